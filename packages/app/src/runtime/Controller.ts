/**
 * The controller runtime: N workers take keys from the work queue and
 * reconcile them. A key is never reconciled twice at once (the queue's
 * processing set), failures back off per key, and every success is followed
 * by a resync after the configured period with jitter, so drift made behind
 * the operator's back is found even when no watch event arrives.
 *
 * The controller counts its reconciles (by result), their durations and
 * their errors (by reason), labelled with its name, as controller-runtime's
 * controller does; the queue publishes its own depth. What wakes a key is
 * declared as data: `watches(source, keysFor)` (controller-runtime's
 * `Watches(source, EnqueueRequestsFromMapFunc)`, kube-rs's `.watches`).
 */
import { metricSeries, spanIfTraced } from "@litellm-operator/core"
import type { Duration, Stream as S, Scope } from "effect"
import { Cause, Duration as D, Effect, Exit, Fiber, Metric, Option, Predicate, Queue, Random, Stream } from "effect"
import { reconcileDuration, reconcileErrorsTotal, reconcilesTotal } from "../observability/OperatorMetrics.ts"
import { ReconcileQueue } from "./ReconcileQueue.ts"
import type { SharedEvents } from "./SharedEvents.ts"
import { isSharedEvents } from "./SharedEvents.ts"

/** What a reconcile asks for when it succeeds. */
export interface ReconcileResult {
  /** Check again after this long instead of the resync period (e.g. waiting on a dependency). */
  readonly requeueAfter?: Duration.Duration
  /**
   * Nothing was done: the object is gone, or the event was of the operator's
   * own write. Such a pass is not counted as a reconcile in the metrics.
   */
  readonly skipped?: boolean
}

/**
 * A source of events and the keys of this controller's objects each event
 * names. The keys are found by lookups (reference indexes), not scans.
 */
export interface Watch<R = never> {
  /** Starts it in the current scope: each key an event names goes to `enqueue`. */
  readonly run: (enqueue: (key: string) => Effect.Effect<void>) => Effect.Effect<void, never, R | Scope.Scope>
}

/** Queues every key named, or nothing when none is. */
const queueAll = (keys: Iterable<string>, enqueue: (key: string) => Effect.Effect<void>) => {
  const [first, ...more] = keys
  if (first === undefined) return undefined
  return more.length === 0 ? enqueue(first) : Effect.forEach([first, ...more], enqueue, { discard: true })
}

/**
 * Declares a watch: every event of `source` wakes the keys `keysFor` names. A
 * shared source (one subscription for all its handlers) calls it in its own
 * fiber; a stream gets a fiber of its own.
 */
export function watches<E>(
  source: SharedEvents<E>,
  keysFor: (event: E) => Iterable<string> | Effect.Effect<Iterable<string>>
): Watch
export function watches<E, R = never>(
  source: S.Stream<E>,
  keysFor: (event: E) => Iterable<string> | Effect.Effect<Iterable<string>, never, R>
): Watch<R>
export function watches<E, R = never>(
  source: S.Stream<E> | SharedEvents<E>,
  keysFor: (event: E) => Iterable<string> | Effect.Effect<Iterable<string>, never, R>
): Watch<R> {
  const handle = (enqueue: (key: string) => Effect.Effect<void>) => (event: E) => {
    const keys = keysFor(event)
    return Effect.isEffect(keys)
      ? Effect.flatMap(keys, (named) => queueAll(named, enqueue) ?? Effect.void)
      : queueAll(keys, enqueue)
  }
  return {
    run: (enqueue) => {
      const each = handle(enqueue)
      if (isSharedEvents(source)) {
        return Effect.flatMap(Effect.context<R>(), (context) =>
          source.on((event) => {
            const work = each(event)
            return work === undefined ? undefined : Effect.provideContext(work, context)
          })
        )
      }
      return Effect.asVoid(Effect.forkScoped(Stream.runForEach(source, (event) => each(event) ?? Effect.void)))
    }
  }
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
  /** The reason a failure is counted under in the errors metric; "Error" when not given. */
  readonly reasonOf?: (error: E) => string
  /** The controller's own objects (controller-runtime's `For`): each key an event names is queued as it is. */
  readonly primary?: Watch<R>
  /** What the objects depend on: each key an event names is queued after `beforeWake` ran for it. */
  readonly watches?: ReadonlyArray<Watch<R>>
  /** Runs before a key a watch names is queued (e.g. to forget that the key had settled). */
  readonly beforeWake?: (key: string) => Effect.Effect<void>
}

/** A reconcile running, and when the watchdog gives it up. */
interface InFlight {
  readonly fiber: Fiber.Fiber<unknown, unknown>
  readonly deadline: number
  timedOut: boolean
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

  const kind = options.name
  const reconciles = metricSeries(reconcilesTotal)
  const errors = metricSeries(reconcileErrorsTotal)
  const duration = Metric.withAttributes(reconcileDuration, { kind })
  // Counted and timed in place (the registry and clock of the controller's context): a step each, not six.
  const context = yield* Effect.context<never>()
  const clock = yield* Effect.clockWith(Effect.succeed)
  const measured = (key: string) =>
    Effect.suspend(() => {
      const started = clock.currentTimeMillisUnsafe()
      return options.reconcile(key).pipe(
        Effect.tapError((error) =>
          Effect.sync(() => {
            reconciles({ kind, result: "error" }).updateUnsafe(1, context)
            errors({ kind, reason: options.reasonOf?.(error) ?? "Error" }).updateUnsafe(1, context)
          })
        ),
        Effect.tap((result) =>
          Effect.sync(() => {
            if (result.skipped === true) return
            duration.updateUnsafe((clock.currentTimeMillisUnsafe() - started) / 1000, context)
            reconciles({ kind, result: "success" }).updateUnsafe(1, context)
          })
        )
      )
    })

  /**
   * Reconciles past the timeout are given up by one watchdog per controller: each reconcile runs in a fiber
   * of its own, and the watchdog sleeps until the oldest one's deadline and interrupts any that passed it. A
   * timeout around each reconcile raced two more fibers and a timer every time; deadlines here only come
   * later than those already waited for, so the watchdog wakes about once a timeout period while busy.
   */
  const timeoutMillis = D.toMillis(options.reconcileTimeout)
  const inFlight = new Set<InFlight>()
  const wakeWatchdog = yield* Queue.sliding<void>(1)
  const watchdog = Effect.gen(function* () {
    for (;;) {
      if (inFlight.size === 0) {
        yield* Queue.take(wakeWatchdog)
        continue
      }
      const now = clock.currentTimeMillisUnsafe()
      let earliest = Number.POSITIVE_INFINITY
      for (const entry of inFlight) {
        if (entry.deadline > now) earliest = Math.min(earliest, entry.deadline)
        else if (!entry.timedOut) {
          entry.timedOut = true
          // Not waited for here: a reconcile slow to stop holds only its own worker.
          yield* Effect.forkChild(Fiber.interrupt(entry.fiber))
        }
      }
      yield* Effect.sleep(D.millis(earliest === Number.POSITIVE_INFINITY ? timeoutMillis : earliest - now))
    }
  })
  yield* Effect.forkScoped(watchdog)

  /** The reconcile in a fiber the watchdog can give up; a given-up reconcile fails with "timeout". */
  const withDeadline = (key: string) =>
    Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(measured(key), { startImmediately: true })
      const entry: InFlight = { fiber, deadline: clock.currentTimeMillisUnsafe() + timeoutMillis, timedOut: false }
      inFlight.add(entry)
      if (inFlight.size === 1) Queue.offerUnsafe(wakeWatchdog, undefined)
      const exit = yield* Fiber.await(fiber)
      inFlight.delete(entry)
      return yield* entry.timedOut && Exit.hasInterrupts(exit) ? Effect.fail("timeout" as const) : exit
    })

  const processOne = (key: string) =>
    withDeadline(key).pipe(
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
      spanIfTraced(`${options.name}.reconcile`, { attributes: { key } })
    )

  // Taking a key is interruptible; the reconcile that follows is not, so shutdown finishes it.
  const worker = Effect.forever(Effect.flatMap(queue.take, (key) => Effect.uninterruptible(processOne(key))))
  for (let i = 0; i < options.workers; i++) yield* Effect.forkScoped(worker)

  const { beforeWake } = options
  const wake = (key: string) =>
    beforeWake === undefined ? queue.add(key) : Effect.andThen(beforeWake(key), queue.add(key))
  if (options.primary !== undefined) yield* options.primary.run(queue.add)
  for (const watch of options.watches ?? []) yield* watch.run(wake)
})
