/**
 * An informer: list, then watch from the list's resourceVersion, keeping an
 * in-memory cache that reconcilers read, and publishing what changed.
 *
 * - A watch the server ends (timeout) resumes from the last resourceVersion
 *   seen (events or bookmarks), so nothing in between is missed.
 * - 410 Gone (the resourceVersion was compacted) lists again; the list is
 *   compared with the cache, producing Added/Modified/Deleted for whatever
 *   changed meanwhile, so the effect of every missed event still arrives.
 * - Any other error lists again after a jittered exponential backoff.
 * - A watchdog restarts a watch that delivered nothing (no event, no bookmark)
 *   for `silenceTimeout`: a half-open connection otherwise hangs forever.
 *
 * Events only say what changed; reconciles are level-based, so a consumer
 * enqueues the key and reads the current object from the cache.
 *
 * Every object passes through `transform` on arrival, before it is cached or
 * published (controller-runtime's cache transforms): by default it drops the
 * `kubectl.kubernetes.io/last-applied-configuration` annotation, a full copy
 * of the object (for a Secret applied with kubectl, of its data too) that no
 * reconcile reads. `metadata.managedFields` never gets this far: the schemas
 * decode only the metadata fields the operator reads.
 *
 * The parts, as kube-rs splits them: the watch state machine (`Watcher.ts`:
 * list → watch → list again), the store and the events it derives
 * (`Store.ts`), the backoff (`Backoff.ts`, a Schedule) and the stats
 * (`InformerStats.ts`, also on /metrics). This module runs them.
 */
import type { Scope } from "effect"
import { Deferred, Duration, Effect, Option, PubSub, Random, Ref, Semaphore, Stream } from "effect"
import type { KubeObject, ObjectKey } from "../api/ObjectMeta.ts"
import type { ResourceType } from "../api/ResourceType.ts"
import type { ListResult, MalformedObject, WatchEvent } from "../client/KubeClient.ts"
import { collectPages, KubeClient } from "../client/KubeClient.ts"
import { KubeError, Unavailable } from "../client/KubeError.ts"
import { type BackoffOptions, defaultInformerBackoff, informerBackoff } from "./Backoff.ts"
import { type InformerStats, makeStatsRecorder } from "./InformerStats.ts"
import { makeSharedStrings } from "./SharedStrings.ts"
import { type Indexers, type InformerEvent, makeStore } from "./Store.ts"
import * as Watcher from "./Watcher.ts"

/** Called for every event in the informer's own fiber; what it returns runs there before the next event. */
export type InformerHandler<A> = (event: InformerEvent<A>) => Effect.Effect<void> | undefined

export interface Informer<A, I extends string = never> {
  /** The current objects as `Added`, then every change; each subscriber gets its own stream. */
  readonly events: Stream.Stream<InformerEvent<A>>
  /**
   * The same events handed to `handler` where they happen, for as long as the informer runs: the current
   * objects as `Added` at once, then every change as it is cached. No fiber and no queue between the cache
   * and the handler (a subscriber's stream costs a wake-up and some twenty runtime steps per event); the
   * handler must not wait on anything (the watch waits for it), and what it returns must not fail.
   */
  readonly handle: (handler: InformerHandler<A>) => Effect.Effect<void>
  readonly get: (key: ObjectKey) => Effect.Effect<Option.Option<A>>
  /** Cached objects that index `name` files under `value` (the informer's `indexers`), by a lookup. */
  readonly byIndex: (name: I, value: string) => Effect.Effect<ReadonlyArray<A>>
  /** Cached objects, of one namespace or all. */
  readonly list: (namespace?: string) => Effect.Effect<ReadonlyArray<A>>
  /** Completes once the first list is in the cache. */
  readonly synced: Effect.Effect<void>
  readonly isSynced: Effect.Effect<boolean>
  readonly stats: Effect.Effect<InformerStats>
}

export interface InformerOptions {
  /** All namespaces when left out. */
  readonly namespace?: string
  readonly labelSelector?: string
  readonly fieldSelector?: string
  /** The server ends each watch after a random time in this range (client-go: 5 to 10 minutes). */
  readonly watchTimeout?: { readonly min: Duration.Input; readonly max: Duration.Input }
  /** Restart a watch that delivered no event and no bookmark for this long (bookmarks come about once a minute). */
  readonly silenceTimeout?: Duration.Input
  /** Backoff after errors: exponential from `initial`, capped at `max`, jittered. */
  readonly backoff?: BackoffOptions
  /** Objects a page of its lists asks for (default 500; fewer for objects a tenant can make large). */
  readonly pageSize?: number
  /** Applied to each object as it arrives, before it is decoded (see `ListOptions.prune`); `transform` comes after. */
  readonly prune?: (raw: unknown) => unknown
  /**
   * List through a watch (the API server's streaming list, client-go's WatchList): every object comes as an
   * event of its own and is transformed before the next arrives, in one request, instead of pages held whole.
   * For objects a tenant can make large. A server that refuses it (422, 400) gets paged lists instead.
   */
  readonly streamingList?: boolean
}

export interface InformerTransform<A> {
  /** Applied to every object on arrival; default `withoutLastApplied`. Keep only what readers of the cache use. */
  readonly transform?: (object: A) => A
}

export interface InformerIndexers<A, I extends string> {
  /** Indexes kept with the cache (client-go's `Indexers`), read with `byIndex`: lookups instead of scans. */
  readonly indexers?: Indexers<A, I>
}

export const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

/** The object without kubectl's last-applied copy of itself (the same object when it has none). */
export const withoutLastApplied = <A extends KubeObject>(object: A): A => {
  const annotations = object.metadata.annotations
  if (annotations === undefined || !(lastAppliedAnnotation in annotations)) return object
  const { [lastAppliedAnnotation]: _dropped, ...rest } = annotations
  return { ...object, metadata: { ...object.metadata, annotations: rest } }
}

const defaults = {
  watchTimeout: { min: Duration.minutes(5), max: Duration.minutes(10) },
  silenceTimeout: Duration.minutes(3)
}

/** A watch that ends cleanly this soon with no event is treated as an error (client-go's "very short watch"). */
const shortWatch = Duration.seconds(1)

/** Starts an informer that lives as long as the scope. */
export const makeInformer = <A extends KubeObject, I, X extends string = never>(
  type: ResourceType<A, I>,
  options: InformerOptions & InformerTransform<NoInfer<A>> & InformerIndexers<NoInfer<A>, X> = {}
): Effect.Effect<Informer<A, X>, never, Scope.Scope | KubeClient> => make(type, options)

const make = Effect.fnUntraced(function* <A extends KubeObject, I, X extends string>(
  type: ResourceType<A, I>,
  options: InformerOptions & InformerTransform<A> & InformerIndexers<A, X>
) {
  // Each object is decoded afresh and owned by the informer, so its strings can be shared in place.
  const strings = makeSharedStrings()
  const transform = (object: A): A => strings.share((options.transform ?? withoutLastApplied)(object))
  const client = yield* KubeClient
  const silence = Duration.fromInputUnsafe(options.silenceTimeout ?? defaults.silenceTimeout)
  const timeoutRange = options.watchTimeout ?? defaults.watchTimeout
  const minTimeout = Math.max(1, Math.round(Duration.toSeconds(Duration.fromInputUnsafe(timeoutRange.min))))
  const maxTimeout = Math.max(minTimeout, Math.round(Duration.toSeconds(Duration.fromInputUnsafe(timeoutRange.max))))
  const selectors = {
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    ...(options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector }),
    ...(options.fieldSelector === undefined ? {} : { fieldSelector: options.fieldSelector }),
    ...(options.prune === undefined ? {} : { prune: options.prune })
  }
  const label = `${type.plural}${options.namespace === undefined ? "" : ` in ${options.namespace}`}`

  // Written only by the informer fiber (under `lock`), read by anyone.
  const store = makeStore<A, X>(options.indexers)
  // Where the watch stands; written only by the informer fiber.
  let position: Watcher.WatcherState = Watcher.relist
  const advanceNow = (input: Watcher.WatcherInput<A>) => {
    position = Watcher.step(position, input)
  }
  const advance = (input: Watcher.WatcherInput<A>) => Effect.sync(() => advanceNow(input))
  const { record, recordNow, stats } = yield* makeStatsRecorder({
    resource: type.plural,
    selector: options.labelSelector ?? ""
  })
  const clock = yield* Effect.clockWith(Effect.succeed)
  const now = Effect.sync(() => clock.currentTimeMillisUnsafe())

  const hub = yield* Effect.acquireRelease(PubSub.unbounded<InformerEvent<A>>(), PubSub.shutdown)
  const handlers: Array<InformerHandler<A>> = []
  /** A handler's answer to an event; a handler that throws is a defect there, logged by `runPending`. */
  const call = (handler: InformerHandler<A>, event: InformerEvent<A>): Effect.Effect<void> | undefined => {
    try {
      return handler(event)
    } catch (defect) {
      return Effect.die(defect)
    }
  }
  /** What handlers returned, in order. */
  const runPending = (pending: ReadonlyArray<Effect.Effect<void>>): Effect.Effect<void> => {
    const [only, ...more] = pending
    if (only === undefined) return Effect.void
    return Effect.catchCause(more.length === 0 ? only : Effect.all(pending, { discard: true }), (cause) =>
      // A handler's bug must not stop the informer: it is logged, and the next event is handled as usual.
      Effect.logError(`a handler of ${label}'s events failed`, cause)
    )
  }
  /** Publishes what the store says changed, and gives it to the handlers; what they return, to run next. */
  const publishNow = (changed: ReadonlyArray<InformerEvent<A>>): Effect.Effect<void> => {
    const pending: Array<Effect.Effect<void>> = []
    for (const event of changed) {
      PubSub.publishUnsafe(hub, event)
      for (const handler of handlers) {
        const effect = call(handler, event)
        if (effect !== undefined) pending.push(effect)
      }
    }
    return runPending(pending)
  }
  // Store updates and their publication happen together, so a new subscriber's snapshot + stream has no gap.
  const lock = yield* Semaphore.make(1)
  const synced = yield* Deferred.make<void>()

  /** What the cache holds already of a listed object: its own copy when the version is the same. */
  const cachedOrTransformed = (object: A): A => {
    const cached = store.get(object.metadata)
    return Option.isSome(cached) && cached.value.metadata.resourceVersion === object.metadata.resourceVersion
      ? cached.value
      : transform(object)
  }

  /**
   * Lists, replaces the store's contents, and returns the position to watch from. Page by page, and an
   * object the cache holds at the same version is kept as cached: a relist of a large collection (after a
   * 410) holds one page decoded and copies only of what changed, not every object a second time.
   */
  const list = Effect.gen(function* () {
    const listed = yield* collectPages(
      client
        .listPages(type, options.pageSize === undefined ? selectors : { ...selectors, pageSize: options.pageSize })
        .pipe(Stream.map((page) => ({ ...page, items: page.items.map(cachedOrTransformed) })))
    )
    yield* replaceAll(listed)
    return listed.resourceVersion
  })

  /** A whole list has come (paged, or streamed): it replaces the store, and the watch goes on from its version. */
  const replaceAll = (listed: ListResult<A>) =>
    Effect.gen(function* () {
      yield* lock.withPermit(Effect.suspend(() => publishNow(store.replace(listed.items, listed.malformed))))
      yield* advance({ _tag: "Listed", resourceVersion: listed.resourceVersion })
      yield* record({ _tag: "Listed", malformed: listed.malformed.length, at: yield* now })
      yield* Deferred.succeed(synced, undefined)
    })

  // Streaming lists until the server refuses one.
  const streaming = yield* Ref.make(options.streamingList === true)

  const transformed = (event: WatchEvent<A>): WatchEvent<A> =>
    event.type === "ADDED" || event.type === "MODIFIED" || event.type === "DELETED"
      ? { type: event.type, object: transform(event.object) }
      : event

  /**
   * One watch event, counted, cached, passed and handed to the handlers in one synchronous step under the
   * lock, then what the handlers returned (it comes for every change of every object: as separate effects,
   * and through a subscriber's fiber, it took some fifty runtime steps).
   */
  const apply = (received: WatchEvent<A>) => {
    const event = transformed(received)
    return lock.withPermit(
      Effect.suspend(() => {
        recordNow({ _tag: "WatchEvent", malformed: received.type === "MALFORMED", at: clock.currentTimeMillisUnsafe() })
        const changed = store.apply(event)
        advanceNow({ _tag: "Event", event })
        return publishNow(changed)
      })
    )
  }

  /**
   * One watch from `resourceVersion`; or, from none, a streaming list: its initial events are gathered (each
   * transformed as it comes) until the bookmark that ends them, which replaces the store as a list would, and
   * the same watch goes on. A watch that ends before that bookmark lists nothing; the next one starts over.
   */
  const watchFrom = Effect.fnUntraced(function* (resourceVersion: string | undefined) {
    const timeoutSeconds = yield* Random.nextIntBetween(minTimeout, maxTimeout + 1)
    yield* record({ _tag: "WatchStarted" })
    const started = clock.currentTimeMillisUnsafe()
    // Written by this watch's one fiber as events arrive; read by its watchdog.
    let received = 0
    let lastHeard = started
    // Mutated only by this watch's one fiber, event after event.
    const initial: { listing: boolean; items: Array<A>; malformed: Array<MalformedObject> } = {
      listing: resourceVersion === undefined,
      items: [],
      malformed: []
    }
    const receive = (event: WatchEvent<A>): Effect.Effect<void> => {
      if (!initial.listing) return apply(event)
      switch (event.type) {
        case "BOOKMARK":
          if (!event.initialEventsEnd) return Effect.void
          initial.listing = false
          // The watch goes on for minutes: it keeps no hold on the list's objects (the store has them).
          return Effect.suspend(() => {
            const listed = {
              items: initial.items,
              malformed: initial.malformed,
              resourceVersion: event.resourceVersion
            }
            initial.items = []
            initial.malformed = []
            return replaceAll(listed)
          })
        case "MALFORMED":
          return Effect.sync(() => {
            initial.malformed.push(event.object)
          })
        default:
          return Effect.sync(() => {
            initial.items.push(cachedOrTransformed(event.object))
          })
      }
    }
    const from = resourceVersion === undefined ? { resourceVersion: "", sendInitialEvents: true } : { resourceVersion }
    const watching = client.watch(type, { ...selectors, ...from, timeoutSeconds }).pipe(
      Stream.runForEach((event) => {
        received += 1
        lastHeard = clock.currentTimeMillisUnsafe()
        return receive(event)
      })
    )
    // A fiber beside the watch, not a timeout around each event: that put a fiber hop and a queue between
    // the connection and the cache for every chunk read.
    const silenceMillis = Duration.toMillis(silence)
    const watchdog = Effect.gen(function* () {
      for (;;) {
        const quiet = clock.currentTimeMillisUnsafe() - lastHeard
        if (quiet >= silenceMillis) return
        yield* Effect.sleep(Duration.millis(silenceMillis - quiet))
      }
    })
    const silent = yield* Effect.raceFirst(Effect.as(watching, false), Effect.as(watchdog, true))
    if (silent) {
      yield* record({ _tag: "Restarted", reason: "silent" })
      yield* Effect.logWarning(`watch of ${label} silent for ${Duration.format(silence)}; restarting it`)
    }
    if (initial.listing) {
      return yield* new KubeError({
        operation: `WATCH ${type.plural}`,
        reason: new Unavailable({ message: "the streaming list ended before its last initial event" })
      })
    }
    const lasted = clock.currentTimeMillisUnsafe() - started
    if (received === 0 && lasted < Duration.toMillis(shortWatch)) {
      return yield* new KubeError({
        operation: `WATCH ${type.plural}`,
        reason: new Unavailable({ message: "the watch ended at once without any event" })
      })
    }
  })

  /**
   * One step: a list if there is no position (streamed, or paged), then one watch; 410 Gone goes back to a
   * list. A server that refuses a streaming list gets paged ones from then on.
   */
  const cycle = Effect.gen(function* () {
    const current = position
    const stream = current._tag === "Relist" && (yield* Ref.get(streaming))
    const from = current._tag === "Watching" ? current.resourceVersion : stream ? undefined : yield* list
    yield* watchFrom(from).pipe(
      Effect.catchReason("KubeError", "Gone", () =>
        Effect.all([
          record({ _tag: "Restarted", reason: "gone" }),
          Effect.logInfo(`resourceVersion of ${label} expired (410); listing again`),
          advance({ _tag: "Gone" })
        ])
      ),
      Effect.catchReason("KubeError", "Invalid", (reason, error) =>
        stream
          ? Effect.andThen(
              Ref.set(streaming, false),
              Effect.logInfo(`the API server refuses streaming lists of ${label} (${reason.message}); paging them`)
            )
          : Effect.fail(error)
      )
    )
  })

  yield* cycle.pipe(
    Effect.tapError((error) =>
      Effect.all([
        record({ _tag: "Restarted", reason: "error" }),
        advance({ _tag: "Failed" }),
        Effect.logWarning(`informer for ${label}: ${error.message}; retrying`)
      ])
    ),
    Effect.retry(informerBackoff(options.backoff ?? defaultInformerBackoff)),
    Effect.forever,
    Effect.forkScoped
  )

  const events: Stream.Stream<InformerEvent<A>> = Stream.unwrap(
    lock.withPermit(
      Effect.gen(function* () {
        const subscription = yield* PubSub.subscribe(hub)
        const snapshot: Array<InformerEvent<A>> = store.list().map((object) => ({ type: "Added", object }))
        return Stream.concat(Stream.fromIterable(snapshot), Stream.fromSubscription(subscription))
      })
    )
  )

  const handle = (handler: InformerHandler<A>) =>
    lock.withPermit(
      Effect.suspend(() => {
        handlers.push(handler)
        const pending: Array<Effect.Effect<void>> = []
        for (const object of store.list()) {
          const effect = call(handler, { type: "Added", object })
          if (effect !== undefined) pending.push(effect)
        }
        return runPending(pending)
      })
    )

  return {
    events,
    handle,
    get: (key: ObjectKey) => Effect.sync(() => store.get(key)),
    byIndex: (name: X, value: string) => Effect.sync(() => store.byIndex(name, value)),
    list: (namespace?: string) => Effect.sync(() => store.list(namespace)),
    synced: Deferred.await(synced),
    isSynced: Deferred.isDone(synced),
    stats
  } satisfies Informer<A, X>
})
