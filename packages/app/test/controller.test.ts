import { assert, describe, it } from "@effect/vitest"
import { Clock, Deferred, Duration, Effect, Exit, Fiber, Layer, Ref, Scope } from "effect"
import { TestClock } from "effect/testing"
import { runController } from "../src/runtime/Controller.ts"
import { ReconcileQueue as WorkQueue } from "../src/runtime/ReconcileQueue.ts"

const base = {
  name: "test",
  workers: 4,
  resyncPeriod: Duration.minutes(5),
  resyncJitter: 0,
  reconcileTimeout: Duration.minutes(2)
}

const withQueue = Effect.provide(WorkQueue.layer({ baseMs: 100, maxMs: 10_000, jitter: 0 }))

describe("controller runtime", () => {
  it.effect("never reconciles one key twice at once, and catches up with adds made meanwhile", () =>
    Effect.gen(function* () {
      const running = yield* Ref.make(0)
      const maxRunning = yield* Ref.make(0)
      const calls = yield* Ref.make(0)
      yield* runController({
        ...base,
        reconcile: () =>
          Effect.gen(function* () {
            const now = yield* Ref.updateAndGet(running, (n) => n + 1)
            yield* Ref.update(maxRunning, (m) => Math.max(m, now))
            yield* Ref.update(calls, (n) => n + 1)
            yield* Effect.sleep(Duration.seconds(1))
            yield* Ref.update(running, (n) => n - 1)
            return {}
          })
      })
      const queue = yield* WorkQueue
      yield* queue.add("ns/a")
      yield* Effect.yieldNow
      for (let i = 0; i < 10; i++) yield* queue.add("ns/a") // while it is processing
      yield* TestClock.adjust(Duration.seconds(1))
      yield* TestClock.adjust(Duration.seconds(1))
      assert.strictEqual(yield* Ref.get(maxRunning), 1)
      assert.strictEqual(yield* Ref.get(calls), 2)
    }).pipe(withQueue)
  )

  it.effect("retries a failing key with growing backoff, then resyncs after success", () =>
    Effect.gen(function* () {
      const attempts = yield* Ref.make<Array<number>>([])
      yield* runController({
        ...base,
        reconcile: () =>
          Effect.gen(function* () {
            const now = yield* Clock.currentTimeMillis
            const n = (yield* Ref.updateAndGet(attempts, (a) => [...a, now])).length
            if (n <= 3) return yield* Effect.fail("LiteLLM unavailable")
            return {}
          })
      })
      const queue = yield* WorkQueue
      yield* queue.add("ns/a")
      for (let i = 0; i < 10; i++) yield* TestClock.adjust(Duration.millis(100))
      const start = (yield* Ref.get(attempts))[0] ?? 0
      // 100 ms, then 200 ms, then 400 ms after each failure.
      yield* TestClock.adjust(Duration.seconds(1))
      const times = (yield* Ref.get(attempts)).map((t) => t - start)
      assert.deepStrictEqual(times, [0, 100, 300, 700])
      yield* TestClock.adjust(Duration.minutes(5))
      assert.strictEqual((yield* Ref.get(attempts)).length, 5)
    }).pipe(withQueue)
  )

  it.effect(
    "a reconcile that hangs is given up after the reconcile timeout; the worker goes on and the key is retried",
    () =>
      Effect.gen(function* () {
        const seen = yield* Ref.make<Array<string>>([])
        yield* runController({
          ...base,
          workers: 1,
          reconcile: (key) =>
            Effect.gen(function* () {
              const before = yield* Ref.getAndUpdate(seen, (s) => [...s, key])
              // The first attempt at ns/a never ends (a call that waits on nothing that will come).
              if (key === "ns/a" && !before.includes(key)) yield* Effect.never
              return {}
            })
        })
        const queue = yield* WorkQueue
        yield* queue.add("ns/a")
        yield* queue.add("ns/b")
        yield* TestClock.adjust(Duration.minutes(1))
        assert.deepStrictEqual(yield* Ref.get(seen), ["ns/a"])
        yield* TestClock.adjust(Duration.minutes(1))
        assert.deepStrictEqual(yield* Ref.get(seen), ["ns/a", "ns/b"])
        // Retried with the backoff's first delay, 100 ms.
        yield* TestClock.adjust(Duration.millis(100))
        assert.deepStrictEqual(yield* Ref.get(seen), ["ns/a", "ns/b", "ns/a"])
      }).pipe(withQueue)
  )

  it.effect("each hung reconcile is given up at its own deadline, however many are in flight", () =>
    Effect.gen(function* () {
      const seen = yield* Ref.make<Array<readonly [string, number]>>([])
      yield* runController({
        ...base,
        workers: 3,
        reconcile: (key) =>
          Effect.gen(function* () {
            const now = yield* Clock.currentTimeMillis
            const before = yield* Ref.getAndUpdate(seen, (s) => [...s, [key, now] as const])
            // The first attempts at ns/a and ns/b never end; ns/c's take a second each.
            if (key !== "ns/c" && !before.some(([k]) => k === key)) yield* Effect.never
            if (key === "ns/c") yield* Effect.sleep(Duration.seconds(1))
            return { requeueAfter: Duration.seconds(10) }
          })
      })
      const queue = yield* WorkQueue
      yield* queue.add("ns/a")
      yield* queue.add("ns/c")
      yield* TestClock.adjust(Duration.seconds(30))
      yield* queue.add("ns/b")
      // ns/a is given up at 2 minutes and retried 100 ms later; ns/b, started 30 s later, is still waited for.
      yield* TestClock.adjust(Duration.seconds(90))
      yield* TestClock.adjust(Duration.millis(100))
      const attemptsOf = (key: string) =>
        Effect.map(Ref.get(seen), (s) => s.filter(([k]) => k === key).map(([, at]) => at))
      assert.deepStrictEqual(yield* attemptsOf("ns/a"), [0, 120_100])
      assert.deepStrictEqual(yield* attemptsOf("ns/b"), [30_000])
      yield* TestClock.adjust(Duration.seconds(30))
      yield* TestClock.adjust(Duration.millis(100))
      assert.deepStrictEqual(yield* attemptsOf("ns/b"), [30_000, 150_100])
      // ns/c went on all along: once every 11 s (a second's work, then 10 s).
      assert.isAtLeast((yield* attemptsOf("ns/c")).length, 13)
    }).pipe(withQueue)
  )

  it.effect("a defect in one reconcile does not stop the workers", () =>
    Effect.gen(function* () {
      const seen = yield* Ref.make<Array<string>>([])
      yield* runController({
        ...base,
        workers: 1,
        reconcile: (key) =>
          Effect.gen(function* () {
            yield* Ref.update(seen, (s) => [...s, key])
            if (key === "ns/bad") return yield* Effect.die("bug")
            return {}
          })
      })
      const queue = yield* WorkQueue
      yield* queue.add("ns/bad")
      yield* queue.add("ns/good")
      yield* TestClock.adjust(Duration.millis(1))
      assert.deepStrictEqual(yield* Ref.get(seen), ["ns/bad", "ns/good"])
    }).pipe(withQueue)
  )

  it.effect("shutting down lets the reconcile in flight finish", () =>
    Effect.gen(function* () {
      const finished = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      const scope = yield* Scope.make()
      yield* runController({
        ...base,
        reconcile: () =>
          Effect.gen(function* () {
            yield* Deferred.succeed(started, undefined)
            yield* Effect.sleep(Duration.seconds(3))
            yield* Deferred.succeed(finished, undefined)
            return {}
          })
      }).pipe(Scope.provide(scope))
      yield* (yield* WorkQueue).add("ns/a")
      yield* Deferred.await(started)
      const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
      yield* TestClock.adjust(Duration.seconds(3))
      yield* Fiber.join(closing)
      assert.isTrue(yield* Deferred.isDone(finished))
    }).pipe(withQueue)
  )
})

describe("WorkQueue service", () => {
  it.effect("delayed keys arrive when due, the earliest due time winning", () =>
    Effect.gen(function* () {
      const queue = yield* WorkQueue
      yield* queue.addAfter("a", Duration.seconds(10))
      yield* queue.addAfter("a", Duration.seconds(2))
      yield* TestClock.adjust(Duration.seconds(1))
      assert.strictEqual(yield* queue.depth, 0)
      yield* TestClock.adjust(Duration.seconds(1))
      assert.strictEqual(yield* queue.depth, 1)
      assert.strictEqual(yield* queue.take, "a")
      yield* TestClock.adjust(Duration.seconds(20))
      assert.strictEqual(yield* queue.depth, 0)
    }).pipe(Effect.provide(Layer.fresh(WorkQueue.layer())))
  )
})
