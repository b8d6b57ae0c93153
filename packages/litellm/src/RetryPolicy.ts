/**
 * When the client tries a call again: only for retryable reasons (Unavailable,
 * RateLimited), with capped exponential backoff and jitter, waiting at least
 * as long as LiteLLM's `retry-after` asks. A `retry-after` longer than
 * `maxRetryAfter` ends the retries: the caller's work queue waits better.
 */
import { Duration, Effect, Schedule } from "effect"
import type { LiteLLMError } from "./LiteLLMError.ts"

export interface RetryOptions {
  /** Retries after the first attempt. */
  readonly times: number
  readonly base: Duration.Input
  readonly cap: Duration.Input
  readonly maxRetryAfter: Duration.Input
}

export const defaultRetryOptions: RetryOptions = {
  times: 3,
  base: Duration.millis(200),
  cap: Duration.seconds(5),
  maxRetryAfter: Duration.seconds(30)
}

const retryAfterMillis = (error: LiteLLMError): number | undefined =>
  error.reason._tag === "RateLimited" ? error.reason.retryAfterMillis : undefined

export const retrySchedule = (options: RetryOptions) => {
  const maxRetryAfter = Duration.toMillis(Duration.fromInputUnsafe(options.maxRetryAfter))
  return Schedule.min([Schedule.exponential(options.base), Schedule.spaced(options.cap)]).pipe(
    Schedule.jittered,
    Schedule.setInputType<LiteLLMError>(),
    Schedule.modifyDelay(({ duration, input }) => {
      const wait = retryAfterMillis(input)
      return Effect.succeed(wait === undefined ? duration : Duration.max(duration, Duration.millis(wait)))
    }),
    Schedule.upTo({ times: options.times }),
    Schedule.while(({ input }) => input.retryable && (retryAfterMillis(input) ?? 0) <= maxRetryAfter)
  )
}
