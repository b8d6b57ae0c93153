/**
 * The controller runtime owns its metrics (reconciles by result, durations,
 * errors by reason, the queue's depth as it changes) and runs the watches it
 * is given as data; the object counts behind the operator's gauges agree
 * with a count of the same objects (the reference indexes behind its watches:
 * referenceIndex.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Metric, Queue, Ref, Stream } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { makeObjectCounts, notReadyByReason } from "../src/observability/ObjectCounts.ts"
import {
  objectsNotReady,
  objectsTotal,
  queueDepth,
  reconcileDuration,
  reconcileErrorsTotal,
  reconcilesTotal
} from "../src/observability/OperatorMetrics.ts"
import { runController, watches } from "../src/runtime/Controller.ts"
import { ReconcileQueue as WorkQueue } from "../src/runtime/ReconcileQueue.ts"

const base = {
  workers: 1,
  resyncPeriod: Duration.minutes(5),
  resyncJitter: 0,
  reconcileTimeout: Duration.minutes(2)
}

const counter = (metric: typeof reconcilesTotal, attributes: Record<string, string>) =>
  Effect.map(Metric.value(Metric.withAttributes(metric, attributes)), (state) => state.count)

describe("controller runtime metrics", () => {
  it.effect("counts reconciles by result, errors by reason and durations; a skipped pass is not counted", () =>
    Effect.gen(function* () {
      // A name of its own: metrics are process-wide.
      const kind = "MetricsTest"
      yield* runController({
        ...base,
        name: kind,
        reconcile: (key) =>
          key === "ns/bad"
            ? Effect.fail({ reason: "LiteLLMUnavailable" })
            : key === "ns/skip"
              ? Effect.as(Effect.sleep(Duration.millis(10)), { skipped: true })
              : Effect.as(Effect.sleep(Duration.millis(250)), {}),
        reasonOf: (error) => error.reason
      })
      const queue = yield* WorkQueue
      for (const key of ["ns/ok", "ns/bad", "ns/skip"]) yield* queue.add(key)
      yield* TestClock.adjust(Duration.seconds(1))
      assert.strictEqual(yield* counter(reconcilesTotal, { kind, result: "success" }), 1)
      assert.strictEqual(yield* counter(reconcilesTotal, { kind, result: "error" }), 1)
      assert.strictEqual(yield* counter(reconcileErrorsTotal, { kind, reason: "LiteLLMUnavailable" }), 1)
      const duration = yield* Metric.value(Metric.withAttributes(reconcileDuration, { kind }))
      assert.strictEqual(duration.count, 1)
      assert.strictEqual(duration.sum, 0.25)
    }).pipe(Effect.provide(WorkQueue.layer({ baseMs: 100_000, maxMs: 100_000, jitter: 0 })))
  )

  it.effect("a named queue publishes its depth whenever it changes", () =>
    Effect.gen(function* () {
      const name = "DepthTest"
      const depth = Effect.map(Metric.value(Metric.withAttributes(queueDepth, { kind: name })), (s) => s.value)
      const queue = yield* WorkQueue.make(undefined, name)
      assert.strictEqual(yield* depth, 0)
      yield* queue.add("a")
      yield* queue.add("b")
      yield* queue.add("a")
      assert.strictEqual(yield* depth, 2)
      yield* queue.addAfter("c", Duration.seconds(5))
      assert.strictEqual(yield* depth, 2)
      yield* TestClock.adjust(Duration.seconds(5))
      assert.strictEqual(yield* depth, 3)
      const key = yield* queue.take
      assert.strictEqual(yield* depth, 2)
      yield* queue.add(key) // processing: waits for done
      assert.strictEqual(yield* depth, 2)
      yield* queue.done(key)
      assert.strictEqual(yield* depth, 3)
    })
  )
})

describe("controller watches", () => {
  it.effect("each event wakes the keys its mapping names, after beforeWake; the primary source queues as it is", () =>
    Effect.gen(function* () {
      const reconciled = yield* Ref.make<Array<string>>([])
      const woken = yield* Ref.make<Array<string>>([])
      const primary = yield* Queue.unbounded<string>()
      const secrets = yield* Queue.unbounded<string>()
      // Which objects name which Secret: what the operator keeps in a reference index.
      const bySecret: Record<string, ReadonlyArray<string>> = { s1: ["ns/a", "ns/b"], s2: [] }
      yield* runController({
        ...base,
        name: "WatchTest",
        reconcile: (key) =>
          Effect.as(
            Ref.update(reconciled, (r) => [...r, key]),
            {}
          ),
        primary: watches(Stream.fromQueue(primary), (key) => [key]),
        watches: [watches(Stream.fromQueue(secrets), (secret) => Effect.succeed(bySecret[secret] ?? []))],
        beforeWake: (key) => Ref.update(woken, (w) => [...w, key])
      })
      yield* Queue.offer(primary, "ns/c")
      yield* Queue.offer(secrets, "s1")
      yield* Queue.offer(secrets, "s2")
      for (let i = 0; i < 5; i++) yield* TestClock.adjust(Duration.millis(1))
      assert.deepStrictEqual([...(yield* Ref.get(reconciled))].sort(), ["ns/a", "ns/b", "ns/c"])
      assert.deepStrictEqual([...(yield* Ref.get(woken))].sort(), ["ns/a", "ns/b"])
    }).pipe(Effect.provide(WorkQueue.layer()))
  )
})

describe("object counts kept from events", () => {
  it.effect("agree with a count of the cache after every change; an emptied reason reads 0", () =>
    Effect.gen(function* () {
      const condition = (status: "True" | "False", reason: string) => ({
        type: "Ready",
        status,
        reason,
        message: "",
        lastTransitionTime: "2026-01-01T00:00:00Z"
      })
      const states = [
        undefined,
        {},
        { status: { conditions: [condition("True", "Synced")] } },
        { status: { conditions: [condition("False", "LiteLLMUnavailable")] } },
        { status: { conditions: [condition("False", "InvalidSpec")] } }
      ] as const
      const ops = fc.sample(
        fc.array(fc.tuple(fc.constantFrom("ns/a", "ns/b", "ns/c"), fc.nat({ max: states.length - 1 })), {
          minLength: 20,
          maxLength: 40
        }),
        { numRuns: 30, seed: 17 }
      )
      for (const [run, sequence] of ops.entries()) {
        const kind = `CountsTest${run}`
        const counts = yield* makeObjectCounts(kind)
        const cache = new Map<string, (typeof states)[number]>()
        const seen = new Set<string>()
        for (const [key, which] of sequence) {
          const object = states[which]
          if (object === undefined) cache.delete(key)
          else cache.set(key, object)
          yield* counts.set(key, object)
          const expected = notReadyByReason([...cache.values()].filter((o) => o !== undefined))
          for (const reason of expected.keys()) seen.add(reason)
          assert.strictEqual((yield* Metric.value(Metric.withAttributes(objectsTotal, { kind }))).value, cache.size)
          for (const reason of seen) {
            const gauge = yield* Metric.value(Metric.withAttributes(objectsNotReady, { kind, reason }))
            assert.strictEqual(gauge.value, expected.get(reason) ?? 0, `${kind} ${reason}`)
          }
        }
      }
    })
  )
})
