/**
 * Per-key exponential backoff with jitter and a cap, as client-go's
 * per-item rate limiter: base·2^failures, capped, stretched by up to `jitter`.
 */

export interface BackoffPolicy {
  /** The delay after the first failure, in milliseconds. */
  readonly baseMs: number
  /** The longest delay, in milliseconds; jitter never goes past it. */
  readonly maxMs: number
  /** Up to this fraction is added at random (0.1 = up to 10 % longer). */
  readonly jitter: number
}

/** controller-runtime's shape (5 ms doubling) with a cap suited to a remote API. */
export const defaultBackoff: BackoffPolicy = { baseMs: 5, maxMs: 5 * 60 * 1000, jitter: 0.1 }

/**
 * The delay before retry number `failures + 1`. `random` is a number in [0, 1),
 * taken as an argument so the function stays pure; with the same `random` the
 * delay never decreases as failures grow, and it never exceeds `maxMs`.
 */
export const backoffDelay = (policy: BackoffPolicy, failures: number, random: number): number => {
  const exponent = Math.min(Math.max(0, failures), 60)
  const raw = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent)
  return Math.min(policy.maxMs, raw * (1 + policy.jitter * Math.min(Math.max(random, 0), 1)))
}
