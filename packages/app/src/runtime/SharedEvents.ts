/**
 * One subscription to an event source, shared by every handler of it, as
 * client-go's shared informer hands each event to its registered handlers.
 *
 * Subscribing once per reader made each reader a fiber of its own, woken for
 * every event: an informer's events went to its controller, to the reference
 * indexes kept from them and to the other controllers' watches, up to five
 * wake-ups an event, and while 1,700 objects converged those deliveries were
 * a quarter of every Effect step the operator took (BENCHMARKS.md, "One
 * subscription per event source"). Here handlers are registered while the operator is wired,
 * then `start` subscribes once: every handler sees the same events in the same
 * order, from the source's first (an informer's current objects, as `Added`).
 * An informer needs no subscription at all: it calls the handlers itself as
 * it caches each event (its `handle`), with no queue and no fiber between.
 *
 * A handler runs in the one fiber, for every event before the next: it looks
 * things up and queues keys, and never waits on I/O (that would hold every
 * other handler of the source). What it must do besides, it returns as an
 * Effect; most events need nothing of most handlers, and cost no step then.
 */
import type { Scope } from "effect"
import { Effect, Stream } from "effect"

/** Called for every event; returns what must run (e.g. keys to queue), or nothing. */
export type EventHandler<E> = (event: E) => Effect.Effect<void> | undefined

export interface SharedEvents<E> {
  /** Adds a handler; only before `start` (after it, a bug: the handler would miss the events before). */
  readonly on: (handler: EventHandler<E>) => Effect.Effect<void>
  /** Subscribes once and calls every handler for every event, for as long as the scope lasts. */
  readonly start: Effect.Effect<void, never, Scope.Scope>
}

export const isSharedEvents = (u: unknown): u is SharedEvents<unknown> =>
  typeof u === "object" && u !== null && "on" in u && "start" in u

/** A source that hands each event to a handler itself, in its own fiber (an informer's `handle`). */
export interface HandledSource<E> {
  readonly handle: (handler: EventHandler<E>) => Effect.Effect<void>
}

export const shareEvents = <E>(source: Stream.Stream<E> | HandledSource<E>): SharedEvents<E> => {
  const handlers: Array<EventHandler<E>> = []
  let started = false
  const dispatch = (event: E): Effect.Effect<void> | undefined => {
    const pending: Array<Effect.Effect<void>> = []
    for (const handler of handlers) {
      const effect = handler(event)
      if (effect !== undefined) pending.push(effect)
    }
    const [only, ...more] = pending
    if (only === undefined) return undefined
    return more.length === 0 ? only : Effect.all(pending, { discard: true })
  }
  return {
    on: (handler) =>
      Effect.suspend(() => {
        if (started) return Effect.die(new Error("an event handler was registered after its source started"))
        handlers.push(handler)
        return Effect.void
      }),
    start: Effect.suspend(() => {
      started = true
      // A handled source calls the handlers where its events happen: no subscription, no fiber, no hop.
      if (!Stream.isStream(source)) return source.handle(dispatch)
      return Effect.forkScoped(Stream.runForEach(source, (event) => dispatch(event) ?? Effect.void))
    }).pipe(Effect.asVoid)
  }
}
