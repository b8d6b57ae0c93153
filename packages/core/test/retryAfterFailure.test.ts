/**
 * `retryAfterFailure` must be `Effect.retry` with a schedule, only cheaper when
 * the first attempt succeeds: for any run of failures before a success (or none),
 * the same attempts at the same times and the same outcome.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Schedule } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { retryAfterFailure } from "../src/index.ts"

interface Failure {
  readonly attempt: number
  readonly retryable: boolean
}

/** Attempt n (from 1) fails while n ≤ failures, retryable unless it is attempt `fatalAt`; each records when it ran. */
const flaky = (failures: number, fatalAt: number, at: Array<number>) =>
  Effect.gen(function* () {
    at.push(yield* TestClockNow)
    const attempt = at.length
    if (attempt <= failures) return yield* Effect.fail<Failure>({ attempt, retryable: attempt !== fatalAt })
    return `ok after ${attempt}`
  })

const TestClockNow = Effect.clockWith((clock) => clock.currentTimeMillis)

const schedule = Schedule.exponential(Duration.millis(100)).pipe(
  Schedule.setInputType<Failure>(),
  Schedule.upTo({ times: 4 }),
  Schedule.while(({ input }) => input.retryable)
)

/** The outcome and attempt times of `run(effect)`, the clock moved on until it ends. */
const observe = (
  run: (effect: Effect.Effect<string, Failure>) => Effect.Effect<string, Failure>,
  failures: number,
  fatalAt: number
) =>
  Effect.gen(function* () {
    const at: Array<number> = []
    const start = yield* TestClockNow
    const fiber = yield* Effect.forkChild(Effect.result(run(flaky(failures, fatalAt, at))))
    yield* TestClock.adjust(Duration.seconds(10))
    const outcome = yield* Fiber.join(fiber)
    return { outcome, at: at.map((t) => t - start) }
  })

describe("retryAfterFailure", () => {
  it.effect("makes the same attempts at the same times, with the same outcome, as Effect.retry", () =>
    Effect.gen(function* () {
      const cases = fc.sample(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 })), 60)
      for (const [failures, fatalAt] of [[0, 0], [1, 0], [5, 0], [3, 2], ...cases] as const) {
        const expected = yield* observe((e) => Effect.retry(e, schedule), failures, fatalAt)
        const actual = yield* observe((e) => retryAfterFailure(e, schedule), failures, fatalAt)
        assert.deepStrictEqual(actual, expected, `${failures} failures, attempt ${fatalAt} not retryable`)
      }
    })
  )

  it.effect("runs a succeeding effect once and a failing one as often as the schedule allows", () =>
    Effect.gen(function* () {
      const once = yield* observe((e) => retryAfterFailure(e, schedule), 0, 0)
      assert.deepStrictEqual(once.at, [0])
      const always = yield* observe((e) => retryAfterFailure(e, schedule), 100, 0)
      // Four retries after the first attempt, 100, 200, 400 and 800 ms apart.
      assert.deepStrictEqual(always.at, [0, 100, 300, 700, 1500])
    })
  )
})
