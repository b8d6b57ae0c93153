/**
 * The controller runtime: N workers take keys from the work queue and
 * reconcile them. A key is never reconciled twice at once (the queue's
 * processing set), failures back off per key, and every success is followed
 * by a resync after the configured period with jitter, so drift made behind
 * the operator's back is found even when no watch event arrives.
 */
import type { Duration } from "effect"
import { Cause, Duration as D, Effect, Option, Predicate, Random } from "effect"
import { ReconcileQueue } from "./ReconcileQueue.ts"

/** What a reconcile asks for when it succeeds. */
export interface ReconcileResult {
  /** Check again after this long instead of the resync period (e.g. waiting on a dependency). */
  readonly requeueAfter?: Duration.Duration
}

export interface ControllerOptions<E, R> {
  /** Names the controller in logs and spans. */
  readonly name: string
  readonly workers: number
  /** The period between resyncs of a key that reconciled successfully. */
  readonly resyncPeriod: Duration.Duration
  /** Up to this fraction of the period is added at random, so resyncs spread out. */
  readonly resyncJitter: number
  /** An upper bound for one reconcile, so a stuck call cannot hold a key forever. */
  readonly reconcileTimeout: Duration.Duration
  readonly reconcile: (key: string) => Effect.Effect<ReconcileResult, E, R>
}

/** Starts the workers in the current scope; closing the scope lets in-flight reconciles finish, then stops. */
export const runController = Effect.fnUntraced(function* <E, R>(options: ControllerOptions<E, R>) {
  const queue = yield* ReconcileQueue

  const afterSuccess = Effect.fnUntraced(function* (key: string, result: ReconcileResult) {
    yield* queue.forget(key)
    if (result.requeueAfter !== undefined) return yield* queue.addAfter(key, result.requeueAfter)
    const jitter = 1 + options.resyncJitter * (yield* Random.next)
    yield* queue.addAfter(key, D.millis(D.toMillis(options.resyncPeriod) * jitter))
  })

  const processOne = (key: string) =>
    options.reconcile(key).pipe(
      Effect.timeoutOrElse({
        duration: options.reconcileTimeout,
        orElse: () => Effect.fail("timeout" as const)
      }),
      Effect.matchCauseEffect({
        onSuccess: (result) => afterSuccess(key, result),
        onFailure: (cause) => {
          // An expected failure is one line (its message says what is wrong); a defect is a bug and keeps its trace.
          const error = Cause.findErrorOption(cause)
          const log = Option.isSome(error)
            ? Effect.logWarning("reconcile failed; retrying with backoff").pipe(
                Effect.annotateLogs({
                  error: Predicate.hasProperty(error.value, "message")
                    ? String(error.value.message)
                    : String(error.value)
                })
              )
            : Effect.logError("reconcile died; retrying with backoff").pipe(
                Effect.annotateLogs({ cause: Cause.pretty(cause) })
              )
          return log.pipe(
            Effect.annotateLogs({ controller: options.name, key }),
            Effect.andThen(queue.addRateLimited(key))
          )
        }
      }),
      Effect.ensuring(queue.done(key)),
      Effect.withSpan(`${options.name}.reconcile`, { attributes: { key } })
    )

  // Taking a key is interruptible; the reconcile that follows is not, so shutdown finishes it.
  const worker = Effect.forever(Effect.flatMap(queue.take, (key) => Effect.uninterruptible(processOne(key))))
  for (let i = 0; i < options.workers; i++) yield* Effect.forkScoped(worker)
})
