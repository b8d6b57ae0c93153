/**
 * Conflict retries, written once (client-go's RetryOnConflict): an effect
 * that reads an object and writes it under its resourceVersion is run again,
 * from a fresh read, when the server answers 409 because someone wrote in
 * between.
 */
import { retryAfterFailure } from "@litellm-operator/core"
import { Duration, Effect, Random, Schedule } from "effect"
import type { KubeError } from "./KubeError.ts"

/** How many times a write that met a newer resourceVersion (409) is tried in all. */
export const conflictAttempts = 10

/** A 409 from the server. (A refusal the client makes itself, e.g. a Secret owned by another object, carries no status.) */
export const isServerConflict = (error: KubeError): boolean =>
  error.reason._tag === "Conflict" && error.status !== undefined

/** A short, growing, jittered pause before each new attempt (up to 10 ms × attempt), so contending writers spread out. */
export const conflictSchedule = Schedule.recurs(conflictAttempts - 1).pipe(
  Schedule.addDelay(({ attempt }) => Effect.map(Random.nextBetween(0, 10 * attempt), Duration.millis))
)

const onConflict = conflictSchedule.pipe(
  Schedule.setInputType<KubeError>(),
  Schedule.while(({ input }) => isServerConflict(input))
)

/** Runs `attempt` again on a server conflict, up to `conflictAttempts` times in all; any other failure ends it. */
export const retryOnConflict = <A, R>(attempt: Effect.Effect<A, KubeError, R>): Effect.Effect<A, KubeError, R> =>
  retryAfterFailure(attempt, onConflict)

/**
 * `cached` on the first run, `read` on every later one: a write may start from
 * what a cache holds, but a retry after a conflict must read afresh.
 */
export const cachedThenRead = <A, E, R>(
  cached: A | undefined,
  read: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => {
  let first = cached
  return Effect.suspend(() => {
    const value = first
    first = undefined
    return value === undefined ? read : Effect.succeed(value)
  })
}
