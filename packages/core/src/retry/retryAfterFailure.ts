/**
 * `Effect.retry` whose schedule is set up only once the effect has failed.
 * `Effect.retry` starts its schedule before the first attempt, a dozen runtime
 * steps for every call; nearly every call succeeds at once, and then this
 * costs one. The first failure is the schedule's first input, as with
 * `Effect.retry`: the attempts, their delays and the outcome are the same.
 */
import type { Schedule } from "effect"
import { Effect } from "effect"

export const retryAfterFailure = <A, E, R, B, Er, Env>(
  self: Effect.Effect<A, E, R>,
  schedule: Schedule.Schedule<B, NoInfer<E>, Er, Env>
): Effect.Effect<A, E | Er, R | Env> =>
  Effect.catch(self, (first) => {
    // The schedule's first run replays the failure that was already had, then the effect runs again.
    let replayed = false
    return Effect.retry(
      Effect.suspend(() => {
        if (replayed) return self
        replayed = true
        return Effect.fail(first)
      }),
      schedule
    )
  })
