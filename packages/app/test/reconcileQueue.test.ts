import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"
import { ReconcileQueue } from "../src/runtime/ReconcileQueue.ts"

const withQueue = Effect.provide(ReconcileQueue.layer({ baseMs: 100, maxMs: 10_000, jitter: 0 }))

/** The key handed out within `after` of test time, if any. */
const takenWithin = (queue: ReconcileQueue["Service"], after: Duration.Input) =>
  Effect.gen(function* () {
    const taking = yield* Effect.forkChild(queue.take)
    yield* TestClock.adjust(after)
    if (taking.pollUnsafe() === undefined) {
      yield* Fiber.interrupt(taking)
      return Option.none<string>()
    }
    return Option.some(yield* Fiber.join(taking))
  })

describe("reconcile queue: delayed keys", () => {
  it.effect("a key due before the one the timer sleeps for wakes it; one due after is still handed out on time", () =>
    Effect.gen(function* () {
      const queue = yield* ReconcileQueue
      yield* queue.addAfter("ns/resync", Duration.minutes(10))
      yield* Effect.yieldNow
      // The timer now sleeps until the 10th minute: this one is due first.
      yield* queue.addAfter("ns/soon", Duration.minutes(1))
      // … and this one later, with no wake-up.
      yield* queue.addAfter("ns/later", Duration.minutes(20))
      assert.deepStrictEqual(yield* takenWithin(queue, Duration.seconds(59)), Option.none())
      assert.deepStrictEqual(yield* takenWithin(queue, Duration.seconds(1)), Option.some("ns/soon"))
      assert.deepStrictEqual(yield* takenWithin(queue, Duration.minutes(8)), Option.none())
      assert.deepStrictEqual(yield* takenWithin(queue, Duration.minutes(1)), Option.some("ns/resync"))
      assert.deepStrictEqual(yield* takenWithin(queue, Duration.minutes(9)), Option.none())
      assert.deepStrictEqual(yield* takenWithin(queue, Duration.minutes(1)), Option.some("ns/later"))
    }).pipe(withQueue)
  )

  it.effect("a key added while the timer waits for its first delayed key is handed out on time", () =>
    Effect.gen(function* () {
      const queue = yield* ReconcileQueue
      yield* Effect.yieldNow
      yield* queue.addAfter("ns/a", Duration.seconds(30))
      assert.deepStrictEqual(yield* takenWithin(queue, Duration.seconds(29)), Option.none())
      assert.deepStrictEqual(yield* takenWithin(queue, Duration.seconds(1)), Option.some("ns/a"))
    }).pipe(withQueue)
  )
})
