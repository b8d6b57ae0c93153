/**
 * The controller's queue of keys to reconcile, as an Effect service: core's
 * pure `WorkQueue` state machine in a Ref, a ticket per ready key so workers
 * block without polling, and one timer fiber that moves delayed keys in when
 * they fall due. A named queue publishes its depth (litellm_operator_workqueue_depth)
 * whenever it changes, as controller-runtime's work queue metrics do.
 */
import type { BackoffPolicy } from "@litellm-operator/core"
import { defaultBackoff, WorkQueue as Pure } from "@litellm-operator/core"
import { Clock, Context, Duration, Effect, HashMap, Layer, Metric, Option, Queue, Random, Ref } from "effect"
import { queueDepth } from "../observability/OperatorMetrics.ts"

export class ReconcileQueue extends Context.Service<
  ReconcileQueue,
  {
    /** Marks the key as needing a reconcile (deduplicated while it waits). */
    add(key: string): Effect.Effect<void>
    /** Adds the key after the delay; an earlier pending due time wins. */
    addAfter(key: string, delay: Duration.Input): Effect.Effect<void>
    /** Adds the key after its per-key backoff and counts a failure. */
    addRateLimited(key: string): Effect.Effect<void>
    /** Resets the key's backoff after a success. */
    forget(key: string): Effect.Effect<void>
    /** Waits for the next key; it is not handed out again until `done`. */
    readonly take: Effect.Effect<string>
    done(key: string): Effect.Effect<void>
    /** Keys ready to be handed out. */
    readonly depth: Effect.Effect<number>
    /** Keys waiting for their delay. */
    readonly delayed: Effect.Effect<number>
  }
>()("litellm-operator/app/runtime/ReconcileQueue") {
  static readonly make = Effect.fnUntraced(function* (
    policy: BackoffPolicy = defaultBackoff,
    /** Names the queue (the kind) in the depth gauge; an unnamed queue publishes nothing. */
    name?: string
  ) {
    const state = yield* Ref.make(Pure.emptyQueue)
    const depthGauge = name === undefined ? undefined : Metric.withAttributes(queueDepth, { kind: name })
    // Read again when published: of two changes racing, the depth published last is the current one.
    const publishDepth =
      depthGauge === undefined
        ? Effect.void
        : Effect.flatMap(Ref.get(state), (q) => Metric.update(depthGauge, Pure.length(q)))
    yield* publishDepth
    /** Applies `f`; returns what it returned and how many ready keys it added (negative: took). */
    const modify = <A>(f: (q: Pure.WorkQueue) => readonly [A, Pure.WorkQueue]) =>
      Effect.tap(
        Ref.modify(state, (q) => {
          const [a, next] = f(q)
          return [[a, Pure.length(next) - Pure.length(q)] as const, next] as const
        }),
        ([, added]) => (added === 0 ? Effect.void : publishDepth)
      )
    // One ticket per key in the ready FIFO: a worker holding a ticket always finds a key.
    const tickets = yield* Queue.unbounded<void>()
    // Wakes the timer fiber when a delayed key may now be due earlier than it sleeps for.
    const wake = yield* Queue.sliding<void>(1)
    // Until when the timer sleeps (infinity: until woken). A key due later needs no wake-up: most are resyncs,
    // minutes away, and waking the timer for each cost a race of two fibers and a timer per reconcile.
    let sleepsUntil = Number.POSITIVE_INFINITY

    const transition = (f: (q: Pure.WorkQueue) => Pure.WorkQueue) =>
      Effect.flatMap(
        modify((q) => [undefined, f(q)] as const),
        ([, added]) =>
          added > 0
            ? Queue.offerAll(
                tickets,
                Array.from({ length: added }, () => undefined)
              )
            : Effect.void
      )

    const addAfter = (key: string, delay: Duration.Input) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const millis = Duration.toMillis(Duration.fromInputUnsafe(delay))
        yield* transition((q) => Pure.addAfter(q, key, millis, now))
        // Read after the key is in: a timer that read the queue before sleeps no later than this says.
        if (now + millis < sleepsUntil) yield* Queue.offer(wake, undefined)
      })

    const timer = Effect.gen(function* () {
      for (;;) {
        // The next due time and the promise to wake for anything earlier, in one step.
        const due = yield* Ref.modify(state, (q) => {
          const next = Pure.nextDue(q)
          sleepsUntil = next ?? Number.POSITIVE_INFINITY
          return [next, q] as const
        })
        const now = yield* Clock.currentTimeMillis
        if (due !== undefined && due <= now) {
          yield* transition((q) => Pure.advance(q, now))
          continue
        }
        const sleep = due === undefined ? Effect.never : Effect.sleep(Duration.millis(due - now))
        yield* Effect.raceFirst(sleep, Queue.take(wake))
      }
    })
    yield* Effect.forkScoped(timer)

    return ReconcileQueue.of({
      add: (key) => transition((q) => Pure.add(q, key)),
      addAfter,
      addRateLimited: (key) =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const random = yield* Random.next
          yield* transition((q) => Pure.addRateLimited(q, key, { now, random, policy }))
          yield* Queue.offer(wake, undefined)
        }),
      forget: (key) => Ref.update(state, (q) => Pure.forget(q, key)),
      take: Effect.flatMap(Queue.take(tickets), () =>
        modify(Pure.get).pipe(
          Effect.map(([key]) => key),
          Effect.flatMap(
            Option.match({ onNone: () => Effect.die("work queue ticket without a key"), onSome: Effect.succeed })
          )
        )
      ),
      done: (key) => transition((q) => Pure.done(q, key)),
      depth: Effect.map(Ref.get(state), Pure.length),
      delayed: Effect.map(Ref.get(state), (q) => HashMap.size(q.waiting))
    })
  })

  static readonly layer = (policy?: BackoffPolicy, name?: string) =>
    Layer.effect(ReconcileQueue, ReconcileQueue.make(policy, name))
}
