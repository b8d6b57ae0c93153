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
 */
import type { Scope } from "effect"
import { Deferred, Duration, Effect, Metric, Option, PubSub, Random, Ref, Schedule, Semaphore, Stream } from "effect"
import type { KubeObject, ObjectKey } from "../api/ObjectMeta.ts"
import { keyString } from "../api/ObjectMeta.ts"
import type { ResourceType } from "../api/ResourceType.ts"
import type { MalformedObject, WatchEvent } from "../client/KubeClient.ts"
import { KubeClient } from "../client/KubeClient.ts"
import { KubeError, Unavailable } from "../client/KubeError.ts"
import {
  informerLastSyncTimestamp,
  informerListsTotal,
  informerMalformedTotal,
  informerWatchRestartsTotal
} from "./InformerMetrics.ts"

export type InformerEvent<A> =
  | { readonly type: "Added" | "Modified" | "Deleted"; readonly object: A }
  /** An object that does not match its schema; it is not in the cache. */
  | { readonly type: "Malformed"; readonly object: MalformedObject }

export interface InformerStats {
  readonly lists: number
  readonly watches: number
  /** Relists caused by 410 Gone. */
  readonly gone: number
  readonly watchdogRestarts: number
  readonly errors: number
  /** Objects received that do not match their schema, counted per list or watch event that carried one. */
  readonly malformed: number
  /** Epoch millis of the last list or watch line. */
  readonly lastActivity: number | undefined
}

export interface Informer<A> {
  /** The current objects as `Added`, then every change; each subscriber gets its own stream. */
  readonly events: Stream.Stream<InformerEvent<A>>
  readonly get: (key: ObjectKey) => Effect.Effect<Option.Option<A>>
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
  readonly backoff?: { readonly initial: Duration.Input; readonly max: Duration.Input }
}

export interface InformerTransform<A> {
  /** Applied to every object on arrival; default `withoutLastApplied`. Keep only what readers of the cache use. */
  readonly transform?: (object: A) => A
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
  silenceTimeout: Duration.minutes(3),
  backoff: { initial: Duration.seconds(1), max: Duration.seconds(30) }
}

/** A watch that ends cleanly this soon with no event is treated as an error (client-go's "very short watch"). */
const shortWatch = Duration.seconds(1)

/** Starts an informer that lives as long as the scope. */
export const makeInformer = <A extends KubeObject, I>(
  type: ResourceType<A, I>,
  options: InformerOptions & InformerTransform<NoInfer<A>> = {}
): Effect.Effect<Informer<A>, never, Scope.Scope | KubeClient> => make(type, options)

const make = Effect.fnUntraced(function* <A extends KubeObject, I>(
  type: ResourceType<A, I>,
  options: InformerOptions & InformerTransform<A>
) {
  const transform = options.transform ?? withoutLastApplied
  const client = yield* KubeClient
  const silence = Duration.fromInputUnsafe(options.silenceTimeout ?? defaults.silenceTimeout)
  const timeoutRange = options.watchTimeout ?? defaults.watchTimeout
  const minTimeout = Math.max(1, Math.round(Duration.toSeconds(Duration.fromInputUnsafe(timeoutRange.min))))
  const maxTimeout = Math.max(minTimeout, Math.round(Duration.toSeconds(Duration.fromInputUnsafe(timeoutRange.max))))
  const backoff = options.backoff ?? defaults.backoff
  const selectors = {
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    ...(options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector }),
    ...(options.fieldSelector === undefined ? {} : { fieldSelector: options.fieldSelector })
  }
  const label = `${type.plural}${options.namespace === undefined ? "" : ` in ${options.namespace}`}`

  // Written only by the informer fiber (under `lock`), read by anyone.
  const cache = new Map<string, A>()
  let resourceVersion: string | undefined

  const hub = yield* Effect.acquireRelease(PubSub.unbounded<InformerEvent<A>>(), PubSub.shutdown)
  // Cache updates and their publication happen together, so a new subscriber's snapshot + stream has no gap.
  const lock = yield* Semaphore.make(1)
  const synced = yield* Deferred.make<void>()
  const stats = yield* Ref.make<InformerStats>({
    lists: 0,
    watches: 0,
    gone: 0,
    watchdogRestarts: 0,
    errors: 0,
    malformed: 0,
    lastActivity: undefined
  })
  // Each count goes to `stats` and to /metrics together (InformerMetrics.ts).
  const labels = { resource: type.plural, selector: options.labelSelector ?? "" }
  const restarts = (reason: "gone" | "silent" | "error") =>
    Metric.withAttributes(informerWatchRestartsTotal, { ...labels, reason })
  const counted = {
    lists: Metric.withAttributes(informerListsTotal, labels),
    gone: restarts("gone"),
    watchdogRestarts: restarts("silent"),
    errors: restarts("error"),
    malformed: Metric.withAttributes(informerMalformedTotal, labels)
  }
  const lastSync = Metric.withAttributes(informerLastSyncTimestamp, labels)
  const count = (field: keyof typeof counted | "watches", n = 1) =>
    Effect.andThen(
      Ref.update(stats, (s) => ({ ...s, [field]: s[field] + n })),
      field === "watches" ? Effect.void : Metric.update(counted[field], n)
    )
  const touch = Effect.flatMap(
    Effect.clockWith((c) => c.currentTimeMillis),
    (now) =>
      Effect.andThen(
        Ref.update(stats, (s) => ({ ...s, lastActivity: now })),
        Metric.update(lastSync, now / 1000)
      )
  )

  const relist = Effect.gen(function* () {
    const result = yield* client.list(type, selectors)
    yield* lock.withPermit(
      Effect.gen(function* () {
        const events: Array<InformerEvent<A>> = []
        const seen = new Set<string>()
        for (const received of result.items) {
          const object = transform(received)
          const k = keyString(object.metadata)
          seen.add(k)
          const previous = cache.get(k)
          cache.set(k, object)
          if (previous === undefined) events.push({ type: "Added", object })
          else if (previous.metadata.resourceVersion !== object.metadata.resourceVersion) {
            events.push({ type: "Modified", object })
          }
        }
        for (const bad of result.malformed) {
          if (bad.key !== undefined) seen.add(keyString(bad.key))
          if (bad.key !== undefined) cache.delete(keyString(bad.key))
          events.push({ type: "Malformed", object: bad })
        }
        for (const [k, object] of cache) {
          if (!seen.has(k)) {
            cache.delete(k)
            events.push({ type: "Deleted", object })
          }
        }
        yield* PubSub.publishAll(hub, events)
      })
    )
    resourceVersion = result.resourceVersion
    yield* count("lists")
    if (result.malformed.length > 0) yield* count("malformed", result.malformed.length)
    yield* touch
    yield* Deferred.succeed(synced, undefined)
  })

  const apply = (event: WatchEvent<A>) =>
    lock.withPermit(
      Effect.gen(function* () {
        switch (event.type) {
          case "BOOKMARK":
            resourceVersion = event.resourceVersion
            return
          case "MALFORMED": {
            const bad = event.object
            if (bad.key !== undefined) cache.delete(keyString(bad.key))
            if (bad.resourceVersion !== undefined) resourceVersion = bad.resourceVersion
            yield* PubSub.publish(hub, { type: "Malformed", object: bad })
            yield* count("malformed")
            return
          }
          case "DELETED": {
            const object = transform(event.object)
            cache.delete(keyString(object.metadata))
            resourceVersion = object.metadata.resourceVersion
            yield* PubSub.publish(hub, { type: "Deleted", object })
            return
          }
          default: {
            const object = transform(event.object)
            const k = keyString(object.metadata)
            const existed = cache.has(k)
            cache.set(k, object)
            resourceVersion = object.metadata.resourceVersion
            yield* PubSub.publish(hub, { type: existed ? "Modified" : "Added", object })
          }
        }
      })
    )

  const watchOnce = Effect.gen(function* () {
    const from = resourceVersion ?? ""
    const timeoutSeconds = yield* Random.nextIntBetween(minTimeout, maxTimeout + 1)
    yield* count("watches")
    const started = yield* Effect.clockWith((c) => c.currentTimeMillis)
    let received = 0
    yield* client.watch(type, { ...selectors, resourceVersion: from, timeoutSeconds }).pipe(
      Stream.timeoutOrElse({
        duration: silence,
        orElse: () =>
          Stream.fromEffect(
            Effect.andThen(
              count("watchdogRestarts"),
              Effect.logWarning(`watch of ${label} silent for ${Duration.format(silence)}; restarting it`)
            )
          ).pipe(Stream.drain)
      }),
      Stream.runForEach((event) =>
        Effect.andThen(
          Effect.sync(() => {
            received++
          }),
          Effect.andThen(touch, apply(event))
        )
      )
    )
    const lasted = (yield* Effect.clockWith((c) => c.currentTimeMillis)) - started
    if (received === 0 && lasted < Duration.toMillis(shortWatch)) {
      return yield* new KubeError({
        operation: `WATCH ${type.plural}`,
        reason: new Unavailable({ message: "the watch ended at once without any event" })
      })
    }
  })

  const cycle = Effect.gen(function* () {
    if (resourceVersion === undefined) yield* relist
    yield* watchOnce.pipe(
      Effect.catchReason("KubeError", "Gone", () =>
        Effect.andThen(
          count("gone"),
          Effect.logInfo(`resourceVersion of ${label} expired (410); listing again`).pipe(
            Effect.andThen(
              Effect.sync(() => {
                resourceVersion = undefined
              })
            )
          )
        )
      )
    )
  })

  const schedule = Schedule.min([
    Schedule.exponential(Duration.fromInputUnsafe(backoff.initial)),
    Schedule.spaced(Duration.fromInputUnsafe(backoff.max))
  ]).pipe(Schedule.jittered)

  yield* cycle.pipe(
    Effect.tapError((error) =>
      Effect.andThen(
        count("errors"),
        Effect.andThen(
          Effect.sync(() => {
            // Start over from a list: the watch position may be what is wrong (e.g. too new after a restore).
            resourceVersion = undefined
          }),
          Effect.logWarning(`informer for ${label}: ${error.message}; retrying`)
        )
      )
    ),
    Effect.retry(schedule),
    Effect.forever,
    Effect.forkScoped
  )

  const events: Stream.Stream<InformerEvent<A>> = Stream.unwrap(
    lock.withPermit(
      Effect.gen(function* () {
        const subscription = yield* PubSub.subscribe(hub)
        const snapshot: Array<InformerEvent<A>> = [...cache.values()].map((object) => ({ type: "Added", object }))
        return Stream.concat(Stream.fromIterable(snapshot), Stream.fromSubscription(subscription))
      })
    )
  )

  return {
    events,
    get: (key: ObjectKey) => Effect.sync(() => Option.fromNullishOr(cache.get(keyString(key)))),
    list: (namespace?: string) =>
      Effect.sync(() =>
        [...cache.values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      ),
    synced: Deferred.await(synced),
    isSynced: Deferred.isDone(synced),
    stats: Ref.get(stats)
  } satisfies Informer<A>
})
