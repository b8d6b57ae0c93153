/**
 * Fault injection for watches, in front of the real client and the real API
 * server: close open watches (as a dropped connection or a server restart
 * would), hold new watches back (a partition), make them fail, or make the
 * next one resume from an expired resourceVersion (as after etcd compaction),
 * which the server answers with 410 Gone.
 */
import type { Stream as StreamType } from "effect"
import { Deferred, Effect, Latch, Ref, Schedule, Stream } from "effect"
import type { KubeObject, ListOptions, ResourceType, WatchEvent, WatchOptions } from "../../src/index.ts"
import { KubeClient, KubeError, Unavailable } from "../../src/index.ts"

export const makeWatchFaults = Effect.gen(function* () {
  const real = yield* KubeClient
  const gate = yield* Latch.make(true)
  /** Set before the gate closes: a watch that got past the gate as a partition began waits again. */
  const partitioned = yield* Ref.make(false)
  const cut = yield* Ref.make(yield* Deferred.make<void>())
  const pending = yield* Ref.make<{ readonly resumeFrom?: string; readonly failures: number }>({ failures: 0 })
  const opened = yield* Ref.make(0)
  /** Watches whose stream has not ended yet: closing waits for them, so no event of an old watch comes after. */
  const open = yield* Ref.make(0)

  /**
   * Past the gate, the deadline (`cut`) of a time with no partition: a watch that passed the gate just as a
   * partition began, and read the deadline after the partition swapped it, would run through the partition unseen.
   */
  const deadline = Effect.gen(function* () {
    while (true) {
      yield* gate.await
      const stop = yield* Ref.get(cut)
      if (!(yield* Ref.get(partitioned))) return stop
    }
  })

  const watch = <A extends KubeObject, I>(
    type: ResourceType<A, I>,
    options: WatchOptions
  ): StreamType.Stream<WatchEvent<A>, KubeError> =>
    Stream.unwrap(
      Effect.gen(function* () {
        const stop = yield* deadline
        // A failure keeps a pending resumeFrom for the watch after it; a watch that connects consumes it.
        const next = yield* Ref.getAndUpdate(pending, (p) =>
          p.failures > 0 ? { ...p, failures: p.failures - 1 } : { failures: 0 }
        )
        if (next.failures > 0) {
          return yield* new KubeError({
            operation: `WATCH ${type.plural}`,
            reason: new Unavailable({ message: "injected: connection refused" })
          })
        }
        yield* Ref.update(opened, (n) => n + 1)
        yield* Ref.update(open, (n) => n + 1)
        return real
          .watch(type, { ...options, resourceVersion: next.resumeFrom ?? options.resourceVersion })
          .pipe(Stream.interruptWhen(Deferred.await(stop)), Stream.ensuring(Ref.update(open, (n) => n - 1)))
      })
    )

  /**
   * Lists wait out a partition too: otherwise an informer whose watch the partition cut at once (no event yet,
   * so it counts as an error) relists straight through it and sees what the partition should hide.
   */
  const list = <A extends KubeObject, I>(type: ResourceType<A, I>, options?: ListOptions) =>
    Effect.andThen(gate.await, real.list(type, options))
  const listPages = <A extends KubeObject, I>(type: ResourceType<A, I>, options?: ListOptions) =>
    Stream.unwrap(Effect.as(gate.await, real.listPages(type, options)))

  /** Ends every open watch, as a dropped connection would. */
  const closeWatches = Effect.gen(function* () {
    const old = yield* Ref.getAndSet(cut, yield* Deferred.make<void>())
    yield* Deferred.succeed(old, undefined)
  })
  /** Closes open watches and waits until their streams have ended (a partition holds new ones back meanwhile). */
  const closeAndDrain = Effect.andThen(
    closeWatches,
    Ref.get(open).pipe(
      Effect.repeat({ schedule: Schedule.spaced("10 millis"), until: (n) => n === 0 }),
      Effect.timeoutOrElse({ duration: "10 seconds", orElse: () => Effect.void })
    )
  )

  return {
    client: KubeClient.of({ ...real, list, listPages, watch }),
    closeWatches,
    /** Closes open watches and holds new ones, and lists, back until `heal`. */
    partition: Effect.andThen(Ref.set(partitioned, true), Effect.andThen(gate.close, closeAndDrain)),
    /** Lets watches through again; with `expired`, the next resumes from a compacted resourceVersion. */
    heal: (options: { readonly expired?: boolean } = {}) =>
      Effect.andThen(
        options.expired === true ? Ref.update(pending, (p) => ({ ...p, resumeFrom: "1" })) : Effect.void,
        Effect.andThen(Ref.set(partitioned, false), gate.open)
      ),
    /** The next `n` watches fail to connect. */
    failNext: (n: number) => Ref.update(pending, (p) => ({ ...p, failures: n })),
    watchesOpened: Ref.get(opened)
  }
})
