/**
 * The controller's queue of keys to reconcile, as an Effect service: core's
 * pure `WorkQueue` state machine in a Ref, a ticket per ready key so workers
 * block without polling, and one timer fiber that moves delayed keys in when
 * they fall due. A named queue publishes its depth (litellm_operator_workqueue_depth)
 * whenever it changes, as controller-runtime's work queue metrics do.
 */
import type { BackoffPolicy } from "@litellm-operator/core"
import { defaultBackoff, WorkQueue as Pure } from "@litellm-operator/core"
import { Context, Duration, Effect, HashMap, Layer, Metric, Option, Queue, Random } from "effect"
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
    // Changed only inside one synchronous step (no other fiber runs meanwhile): every change of a key is one
    // runtime step, where a Ref, its metric and its tickets as effects of their own took some twenty.
    let state = Pure.emptyQueue
    const context = yield* Effect.context<never>()
    const clock = yield* Effect.clockWith(Effect.succeed)
    const depthGauge = name === undefined ? undefined : Metric.withAttributes(queueDepth, { kind: name })
    const publishDepth = () => depthGauge?.updateUnsafe(Pure.length(state), context)
    publishDepth()
    // One ticket per key in the ready FIFO: a worker holding a ticket always finds a key.
    const tickets = yield* Queue.unbounded<void>()
    // Wakes the timer fiber when a delayed key may now be due earlier than it sleeps for.
    const wake = yield* Queue.sliding<void>(1)
    // Until when the timer sleeps (infinity: until woken). A key due later needs no wake-up: most are resyncs,
    // minutes away, and waking the timer for each cost a race of two fibers and a timer per reconcile.
    let sleepsUntil = Number.POSITIVE_INFINITY

    /** Applies `f` and returns what it returned; a ticket for each ready key it added, the depth if it changed. */
    const modifyNow = <A>(f: (q: Pure.WorkQueue) => readonly [A, Pure.WorkQueue]): A => {
      const before = Pure.length(state)
      const [a, next] = f(state)
      state = next
      const added = Pure.length(next) - before
      if (added !== 0) publishDepth()
      for (let i = 0; i < added; i++) Queue.offerUnsafe(tickets, undefined)
      return a
    }
    const transition = (f: (q: Pure.WorkQueue) => Pure.WorkQueue) =>
      Effect.sync(() => modifyNow((q) => [undefined, f(q)] as const))

    const timer = Effect.gen(function* () {
      for (;;) {
        // The next due time and the promise to wake for anything earlier, in one step.
        const due = Pure.nextDue(state)
        sleepsUntil = due ?? Number.POSITIVE_INFINITY
        const now = clock.currentTimeMillisUnsafe()
        if (due !== undefined && due <= now) {
          modifyNow((q) => [undefined, Pure.advance(q, now)] as const)
          continue
        }
        const sleep = due === undefined ? Effect.never : Effect.sleep(Duration.millis(due - now))
        yield* Effect.raceFirst(sleep, Queue.take(wake))
      }
    })
    yield* Effect.forkScoped(timer)

    return ReconcileQueue.of({
      add: (key) => transition((q) => Pure.add(q, key)),
      addAfter: (key, delay) =>
        Effect.sync(() => {
          const now = clock.currentTimeMillisUnsafe()
          const millis = Duration.toMillis(Duration.fromInputUnsafe(delay))
          modifyNow((q) => [undefined, Pure.addAfter(q, key, millis, now)] as const)
          // After the key is in: a timer that read the queue before sleeps no later than this says.
          if (now + millis < sleepsUntil) Queue.offerUnsafe(wake, undefined)
        }),
      addRateLimited: (key) =>
        Effect.flatMap(Random.next, (random) =>
          Effect.sync(() => {
            const now = clock.currentTimeMillisUnsafe()
            modifyNow((q) => [undefined, Pure.addRateLimited(q, key, { now, random, policy })] as const)
            Queue.offerUnsafe(wake, undefined)
          })
        ),
      forget: (key) =>
        Effect.sync(() => {
          state = Pure.forget(state, key)
        }),
      take: Effect.flatMap(Queue.take(tickets), () =>
        Effect.suspend(() =>
          Option.match(modifyNow(Pure.get), {
            onNone: () => Effect.die("work queue ticket without a key"),
            onSome: Effect.succeed
          })
        )
      ),
      done: (key) => transition((q) => Pure.done(q, key)),
      depth: Effect.sync(() => Pure.length(state)),
      delayed: Effect.sync(() => HashMap.size(state.waiting))
    })
  })

  static readonly layer = (policy?: BackoffPolicy, name?: string) =>
    Layer.effect(ReconcileQueue, ReconcileQueue.make(policy, name))
}
