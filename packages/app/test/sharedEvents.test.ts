import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Queue, Ref, Stream } from "effect"
import { type HandledSource, shareEvents } from "../src/runtime/SharedEvents.ts"

describe("shared events", () => {
  it.effect("every handler sees every event, in order, from one subscription; what a handler returns runs", () =>
    Effect.gen(function* () {
      const pulls = yield* Ref.make(0)
      const source = Stream.fromIterable([1, 2, 3, 4]).pipe(Stream.tap(() => Ref.update(pulls, (n) => n + 1)))
      const shared = shareEvents(source)
      const seen: Array<string> = []
      const ran = yield* Queue.unbounded<number>()
      yield* shared.on((n) => {
        seen.push(`a${n}`)
        return undefined
      })
      yield* shared.on((n) => {
        seen.push(`b${n}`)
        return n % 2 === 0 ? Queue.offer(ran, n).pipe(Effect.asVoid) : undefined
      })
      yield* shared.start
      assert.deepStrictEqual([yield* Queue.take(ran), yield* Queue.take(ran)], [2, 4])
      assert.deepStrictEqual(seen, ["a1", "b1", "a2", "b2", "a3", "b3", "a4", "b4"])
      assert.strictEqual(yield* Ref.get(pulls), 4)
    }).pipe(Effect.scoped)
  )

  it.effect(
    "a source that hands out its own events (an informer) calls every handler in turn, with no subscription",
    () =>
      Effect.gen(function* () {
        const registered: Array<(n: number) => Effect.Effect<void> | undefined> = []
        const source: HandledSource<number> = {
          handle: (handler) =>
            Effect.sync(() => {
              registered.push(handler)
            })
        }
        const shared = shareEvents(source)
        const seen: Array<string> = []
        const ran: Array<number> = []
        yield* shared.on((n) => {
          seen.push(`a${n}`)
          return undefined
        })
        yield* shared.on((n) => {
          seen.push(`b${n}`)
          return n % 2 === 0 ? Effect.sync(() => ran.push(n)) : undefined
        })
        yield* shared.start
        assert.strictEqual(registered.length, 1, "one handler registered with the source for all")
        const [dispatch] = registered
        for (const n of [1, 2, 3, 4]) {
          const work = dispatch?.(n)
          // Nothing to run for an event no handler needs anything for.
          assert.strictEqual(work === undefined, n % 2 === 1)
          if (work !== undefined) yield* work
        }
        assert.deepStrictEqual(seen, ["a1", "b1", "a2", "b2", "a3", "b3", "a4", "b4"])
        assert.deepStrictEqual(ran, [2, 4])
      })
  )

  it.effect("a handler registered after the source started is a bug, not a silent miss", () =>
    Effect.gen(function* () {
      const shared = shareEvents(Stream.never)
      yield* shared.start
      const late = yield* Effect.exit(shared.on(() => undefined))
      assert.isTrue(Exit.hasDies(late))
    }).pipe(Effect.scoped)
  )
})
