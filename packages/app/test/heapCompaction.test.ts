/**
 * The heap is compacted only when it holds much more than it uses, and then
 * either when a burst is over (idle samples in a row, the last compaction not
 * too recent) or within the busy budget: once per `minIntervalMs`, and not
 * before `pauseFactor` times the last compaction's pause has passed.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import type { CompactionSettings, CompactionState, HeapSample } from "../src/runtime/HeapCompaction.ts"
import {
  compacted,
  compactFragmentedHeap,
  decideCompaction,
  defaultCompactionSettings,
  initialCompaction
} from "../src/runtime/HeapCompaction.ts"

const MiB = 1024 * 1024
const settings: CompactionSettings = defaultCompactionSettings

describe("heap compaction", () => {
  it("compacts only a heap with enough unused, after a burst or within the budget", () =>
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            step: fc.integer({ min: 0, max: 30_000 }),
            usedBytes: fc.integer({ min: 10 * MiB, max: 300 * MiB }),
            unusedBytes: fc.integer({ min: 0, max: 200 * MiB }),
            busy: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
            pause: fc.integer({ min: 0, max: 3_000 })
          }),
          { maxLength: 80 }
        ),
        (steps) => {
          let state: CompactionState = initialCompaction
          let now = 0
          let last: { readonly end: number; readonly pause: number; readonly at: number } | undefined
          let low = Number.POSITIVE_INFINITY
          steps.forEach((s, i) => {
            now += s.step
            const sample: HeapSample = {
              now,
              usedBytes: s.usedBytes,
              residentBytes: s.usedBytes + s.unusedBytes,
              busy: s.busy
            }
            const decision = decideCompaction(state, sample, settings)
            state = decision.next
            low = Math.min(low, sample.residentBytes)
            if (!decision.compact) return
            const worth = s.unusedBytes >= Math.max(settings.minUnusedBytes, settings.unusedRatio * s.usedBytes)
            const since = last === undefined ? Number.POSITIVE_INFINITY : now - last.end
            const withinBudget =
              last === undefined || since >= Math.max(settings.minIntervalMs, settings.pauseFactor * last.pause)
            // Idle samples since the last compaction, ending with this one.
            const recent = steps.slice(
              Math.max(last === undefined ? 0 : last.at + 1, i - settings.idleSamples + 1),
              i + 1
            )
            const burstOver =
              recent.length === settings.idleSamples &&
              recent.every((r) => r.busy < settings.idleBelow) &&
              since >= settings.idleMinIntervalMs
            const grown = sample.residentBytes - low >= settings.growthBytes
            assert.isTrue((worth && withinBudget) || (burstOver && (worth || grown)))
            const after = s.usedBytes
            state = compacted(now, now + s.pause, after)
            low = after
            now += s.pause
            last = { end: now, pause: s.pause, at: i }
          })
        }
      )
    ))

  it("when busy, compacts a heap with enough unused once the budget allows, not before", () =>
    fc.assert(
      fc.property(fc.integer({ min: 10 * MiB, max: 300 * MiB }), fc.integer({ min: 0, max: 5_000 }), (used, pause) => {
        const sample = (now: number): HeapSample => ({
          now,
          usedBytes: used,
          residentBytes: 2 * used + 24 * MiB,
          busy: 0.5
        })
        assert.isTrue(decideCompaction(initialCompaction, sample(0), settings).compact)
        const after = compacted(0, pause, used)
        const wait = Math.max(settings.minIntervalMs, settings.pauseFactor * pause)
        assert.isFalse(decideCompaction(after, sample(pause + wait - 1), settings).compact)
        assert.isTrue(decideCompaction(after, sample(pause + wait), settings).compact)
      })
    ))

  it("never compacts a heap that uses most of what it holds and has not grown, however idle", () =>
    fc.assert(
      fc.property(
        fc.integer({ min: 10 * MiB, max: 300 * MiB }),
        fc.array(fc.nat(16 * MiB - 1), { minLength: 1, maxLength: 20 }),
        (used, growth) => {
          let state = initialCompaction
          for (const g of growth) {
            const sample: HeapSample = { now: 1e9, usedBytes: used + g, residentBytes: used + g + MiB, busy: 0 }
            const decision = decideCompaction(state, sample, settings)
            assert.isFalse(decision.compact)
            state = decision.next
          }
        }
      )
    ))

  it("once a burst is over, compacts a heap grown by the step even when what it counts as used hides it", () => {
    const used = 60 * MiB
    const quiet = (now: number, resident: number): HeapSample => ({
      now,
      usedBytes: resident - MiB,
      residentBytes: resident,
      busy: 0
    })
    let state = compacted(0, 100, used)
    state = decideCompaction(state, quiet(40_000, used + 16 * MiB), settings).next
    assert.isTrue(decideCompaction(state, quiet(42_000, used + 16 * MiB), settings).compact)
  })

  it.effect("the loop compacts during a burst within the budget, and once more when the burst is over", () =>
    Effect.gen(function* () {
      // Fragmented (110 MiB resident for 60 used) whenever `fragmented`; 70 for 66 after a compaction.
      const fragmented = yield* Ref.make(true)
      const busy = yield* Ref.make(0.9)
      const compactions = yield* Ref.make<Array<number>>([])
      const sampleAt = (now: number, isFragmented: boolean, load: number): HeapSample =>
        isFragmented
          ? { now, residentBytes: 110 * MiB, usedBytes: 60 * MiB, busy: load }
          : { now, residentBytes: 70 * MiB, usedBytes: 66 * MiB, busy: load }
      const sample = Effect.gen(function* () {
        return sampleAt(yield* Clock.currentTimeMillis, yield* Ref.get(fragmented), yield* Ref.get(busy))
      })
      const compact = Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        yield* Ref.update(compactions, (c) => [...c, now])
        yield* Ref.set(fragmented, false)
        return sampleAt(now, false, 0)
      })
      const fiber = yield* Effect.forkChild(compactFragmentedHeap({ sample, compact }, settings, "2 seconds"))
      // Busy, and fragmented again right after each compaction: once a minute.
      for (let t = 0; t < 100; t += 2) {
        yield* TestClock.adjust("2 seconds")
        yield* Ref.set(fragmented, true)
      }
      // The burst is over at 100 s: two idle samples (102 s, 104 s) and it compacts, 44 s after the last.
      yield* Ref.set(busy, 0)
      yield* TestClock.adjust("60 seconds")
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(yield* Ref.get(compactions), [0, 60_000, 104_000])
    })
  )
})
