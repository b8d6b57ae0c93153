/**
 * The Secrets the reconcilers read, from caches, holding the data of no
 * Secret the operator neither wrote nor was told to use.
 *
 * - Owned Secrets (the key Secrets this operator writes, which carry its
 *   `managed-by` label): one informer with that label selector, data
 *   included, since a stored key is reused. Anyone who may create Secrets can
 *   put that label on one, so of a labelled Secret the cache holds only what
 *   the operator itself writes there (`ownedFields`: its data entries, each
 *   up to `heldValueLimit` characters, and its labels), its controller
 *   reference and its version: what else is on it is never held, whatever
 *   its size.
 * - Every other Secret in scope: one metadata-only watch (PartialObjectMetadata;
 *   the server never sends their data), so the cache knows which Secrets
 *   exist and their resourceVersions. The data of a Secret is fetched with
 *   one GET when a reconcile first asks for it (because an object names it),
 *   kept while its resourceVersion stays the same, and dropped when it
 *   changes, goes, or no object names it any more (`release`). A named
 *   Secret with more than `referencedDataLimit` characters of data is not
 *   held: reading it fails with a message saying so (connection Secrets and
 *   chosen keys are far smaller), and it is not fetched again until it changes.
 *
 * Why a metadata watch rather than one field-selector watch per named
 * Secret: one connection whatever the number of named Secrets, no watch to
 * start or stop as objects change what they name, and it answers "does not
 * exist" and sees a Secret created later, so the objects waiting for it are
 * requeued. Its memory is a few hundred bytes per Secret in scope (name,
 * namespace, uid, resourceVersion), independent of the Secrets' size.
 *
 * Read-your-writes: a write the operator just made may not have reached its
 * informer yet. `wrote` records the written Secret; `owned` answers with it
 * until the informer has seen that resourceVersion or a newer one, so a
 * lagging cache never shows an older key value than the one stored.
 * (resourceVersions are compared as integers, as the API server has issued
 * them since etcd3; if one is not an integer, only equality counts.)
 *
 * A Secret outside the watched namespace (an instance in another namespace)
 * is read from the API server each time, as before.
 */
import { jsonCopy } from "@litellm-operator/core"
import type { Scope } from "effect"
import { Context, Deferred, Effect, Exit, Option, Predicate, Redacted, Schema, Stream } from "effect"
import type { KubeObject, ObjectKey } from "../api/ObjectMeta.ts"
import { keyString } from "../api/ObjectMeta.ts"
import { type Secret, Secrets, SecretsMetadata } from "../api/Secret.ts"
import { KubeClient } from "../client/KubeClient.ts"
import type { KubeError } from "../client/KubeError.ts"
import { makeInformer, withoutLastApplied } from "./Informer.ts"
import type { InformerEvent } from "./Store.ts"

export interface SecretCacheOptions {
  /** All namespaces when left out. */
  readonly namespace?: string
  /** The label on every Secret this operator writes. */
  readonly ownedLabel: { readonly key: string; readonly value: string }
  /** What the operator writes on an owned Secret: the only data entries and labels of one the cache holds. */
  readonly ownedFields: { readonly data: ReadonlyArray<string>; readonly labels: ReadonlyArray<string> }
}

/** The longest value of an owned Secret's data entry the cache holds (a key, a URL: far shorter); a longer one is left out. */
export const heldValueLimit = 8 * 1024

/** The most data, in characters once decoded, of a named Secret the cache holds; a larger one cannot be read. */
export const referencedDataLimit = 64 * 1024

export interface SecretCacheStats {
  /** Secrets not owned whose data is held (fetched because a reconcile asked). */
  readonly held: number
  /** Written Secrets the owned informer has not caught up with yet. */
  readonly unconfirmedWrites: number
}

/** `a` is the same version as `b` or a later one. */
export const notOlder = (a: string, b: string): boolean =>
  /^\d+$/.test(a) && /^\d+$/.test(b) ? BigInt(a) >= BigInt(b) : a === b

/** The entries of `record` named in `keys` (none: undefined). */
const picked = <V>(
  record: Readonly<Record<string, V>> | undefined,
  keys: ReadonlyArray<string>,
  keep: (v: V) => boolean
) => {
  if (record === undefined) return undefined
  const entries = keys.flatMap((k) => {
    const value = record[k]
    return value !== undefined && keep(value) ? [[k, value] as const] : []
  })
  return entries.length === 0 ? undefined : Object.fromEntries(entries)
}

/**
 * An owned Secret as cached: its identity, version, controller reference and
 * the labels and data entries the operator writes (a value longer than
 * `heldValueLimit` is left out: the operator never wrote it), the rest laid
 * out compactly (`jsonCopy`). The data stays as decoded: its `Redacted`
 * values would not survive JSON, and they never pass through anything shared.
 * A key Secret that must change is patched, so nothing else of it is needed.
 */
const boundedOwned =
  (fields: SecretCacheOptions["ownedFields"]) =>
  (secret: Secret): Secret => {
    const { name, namespace, uid, resourceVersion, creationTimestamp, deletionTimestamp } = secret.metadata
    const controller = secret.metadata.ownerReferences?.find((ref) => ref.controller === true)
    const labels = picked(secret.metadata.labels, fields.labels, () => true)
    const compact = jsonCopy({
      apiVersion: secret.apiVersion,
      kind: secret.kind,
      metadata: {
        name,
        namespace,
        uid,
        resourceVersion,
        ...(creationTimestamp === undefined ? {} : { creationTimestamp }),
        ...(deletionTimestamp === undefined ? {} : { deletionTimestamp }),
        ...(labels === undefined ? {} : { labels }),
        ...(controller === undefined ? {} : { ownerReferences: [controller] })
      },
      ...(secret.type === undefined ? {} : { type: secret.type })
    })
    const data = picked(secret.data, fields.data, (value) => Redacted.value(value).length <= heldValueLimit)
    return data === undefined ? compact : { ...compact, data }
  }

/**
 * Owned Secrets a page of their list asks for, where the server has no streaming list: a page is held whole
 * while it is read, and any of them may hold 1 MiB (some 14 MB of JSON for 10).
 */
export const ownedPageSize = 10

/** A Secret an object names holds more data than `referencedDataLimit`: the operator does not read it. */
export class SecretTooLarge extends Schema.TaggedError<SecretTooLarge>()("SecretTooLarge", {
  message: Schema.String
}) {}

/** The longest base64 text of a value of `heldValueLimit` bytes. */
const heldBase64Limit = 4 * Math.ceil(heldValueLimit / 3)

/**
 * An owned Secret as it arrives, before it is decoded: without the data entries the operator does not
 * write or that are longer than it ever writes, and without annotations and managedFields, so what a
 * tenant adds is never decoded (`boundedOwned` then keeps only the operator's fields of what is left).
 */
const pruneOwned =
  (fields: SecretCacheOptions["ownedFields"]) =>
  (raw: unknown): unknown => {
    if (!Predicate.isObject(raw)) return raw
    const { data, metadata, ...rest } = raw
    const kept: Record<string, unknown> = {}
    if (Predicate.isObject(data)) {
      for (const k of fields.data) {
        const value = data[k]
        if (typeof value === "string" && value.length <= heldBase64Limit) kept[k] = value
      }
    }
    if (!Predicate.isObject(metadata)) return { ...rest, data: kept }
    const { annotations: _annotations, managedFields: _managedFields, ...identity } = metadata
    return { ...rest, metadata: identity, data: kept }
  }

/** Of a Secret's metadata as it arrives, before it is decoded, only what tells its identity and version. */
const identityOnly = (raw: unknown): unknown => {
  if (!Predicate.isObject(raw) || !Predicate.isObject(raw.metadata)) return raw
  const { name, namespace, uid, resourceVersion } = raw.metadata
  return { apiVersion: raw.apiVersion, kind: raw.kind, metadata: { name, namespace, uid, resourceVersion } }
}

/** The characters of a Secret's data, once decoded. */
const dataSize = (secret: Secret): number =>
  Object.entries(secret.data ?? {}).reduce((sum, [k, v]) => sum + k.length + Redacted.value(v).length, 0)

export class SecretCache extends Context.Service<
  SecretCache,
  {
    /** A Secret this operator writes: the newest of what it wrote and what its watch delivered; never a request. */
    owned(key: ObjectKey): Effect.Effect<Option.Option<Secret>>
    /** A Secret an object names (a connection Secret); none when it does not exist. */
    referenced(key: ObjectKey): Effect.Effect<Option.Option<Secret>, KubeError | SecretTooLarge>
    /** Records a Secret this process has just written. */
    wrote(secret: Secret): Effect.Effect<void>
    /** Drops the data held for a Secret no object names any more. */
    release(key: ObjectKey): Effect.Effect<void>
    /** Keys of Secrets that appeared, changed or went, labelled or not (first the ones that exist). */
    readonly changes: Stream.Stream<ObjectKey>
    /** The same keys handed to `handler` in the informers' fibers as they are cached (see `Informer.handle`). */
    handleChanges(handler: (key: ObjectKey) => Effect.Effect<void> | undefined): Effect.Effect<void>
    /** Completes once both watches have listed. */
    readonly synced: Effect.Effect<void>
    readonly stats: Effect.Effect<SecretCacheStats>
  }
>()("litellm-operator/k8s/SecretCache") {
  /** Starts the two watches; they live as long as the scope. */
  static readonly make = (
    options: SecretCacheOptions
  ): Effect.Effect<SecretCache["Service"], never, Scope.Scope | KubeClient> => make(options)
}

const make = Effect.fnUntraced(function* (options: SecretCacheOptions) {
  const client = yield* KubeClient
  const scope = options.namespace === undefined ? {} : { namespace: options.namespace }
  const { key: label, value } = options.ownedLabel
  const bounded = boundedOwned(options.ownedFields)
  const tooLargeError = (key: ObjectKey) =>
    new SecretTooLarge({
      message: `Secret ${keyString(key)} holds more than ${referencedDataLimit / 1024} KiB of data: the operator reads no Secret that large (it reads it again once it changes)`
    })
  const ownedInformer = yield* makeInformer(Secrets, {
    ...scope,
    labelSelector: `${label}=${value}`,
    prune: pruneOwned(options.ownedFields),
    transform: bounded,
    // Anyone can give a Secret of up to 1 MiB this label: listed one Secret at a time (a streaming list), or
    // where the server has none, 10 to a page; never whole.
    streamingList: true,
    pageSize: ownedPageSize
  })
  const metadata = yield* makeInformer(SecretsMetadata, {
    ...scope,
    labelSelector: `${label}!=${value}`,
    prune: identityOnly,
    // Labels and finalizers can make one Secret's metadata some 1.5 MB: one at a time, or 100 to a page.
    streamingList: true,
    pageSize: 100
  })
  const inScope = (key: ObjectKey) => options.namespace === undefined || key.namespace === options.namespace

  // Mutated only inside Effect.sync blocks; JavaScript runs each to completion.
  const writes = new Map<string, Secret>()
  const held = new Map<string, Secret>()
  const pending = new Map<string, Deferred.Deferred<Option.Option<Secret>, KubeError | SecretTooLarge>>()
  // Released while a GET was in flight: its answer goes to the waiting readers, not into `held`.
  const releasedInFlight = new Set<string>()

  // Named Secrets found too large, at the version found so: failed again without a GET until they change.
  const tooLarge = new Map<string, string>()

  /** Data held for a Secret that changed or went is out of date: the next read fetches it again. */
  const outdate = (event: InformerEvent<KubeObject>) => {
    if (event.type === "Malformed") return
    const k = keyString(event.object.metadata)
    const version = event.object.metadata.resourceVersion
    const kept = held.get(k)
    if (kept !== undefined && (event.type === "Deleted" || !notOlder(kept.metadata.resourceVersion, version))) {
      held.delete(k)
    }
    const large = tooLarge.get(k)
    if (large !== undefined && (event.type === "Deleted" || !notOlder(large, version))) tooLarge.delete(k)
  }

  // In each informer's fiber as it caches the event, before any other handler of it (`handleChanges`'): a
  // reconcile woken by a change never reads the data held from before it.
  yield* ownedInformer.handle((event) => {
    outdate(event)
    if (event.type === "Malformed") return undefined
    // The owned informer caught up with a write: it answers alone from now on.
    const k = keyString(event.object.metadata)
    const written = writes.get(k)
    if (written !== undefined && notOlder(event.object.metadata.resourceVersion, written.metadata.resourceVersion)) {
      writes.delete(k)
    }
    return undefined
  })
  yield* metadata.handle((event) => {
    outdate(event)
    return undefined
  })
  const keyOf = (handler: (key: ObjectKey) => Effect.Effect<void> | undefined) => (event: InformerEvent<KubeObject>) =>
    event.type === "Malformed"
      ? undefined
      : handler({ namespace: event.object.metadata.namespace, name: event.object.metadata.name })

  const owned = (key: ObjectKey) =>
    Effect.gen(function* () {
      yield* ownedInformer.synced
      const cached = yield* ownedInformer.get(key)
      const written = writes.get(keyString(key))
      if (written === undefined) return cached
      if (Option.isSome(cached) && notOlder(cached.value.metadata.resourceVersion, written.metadata.resourceVersion)) {
        writes.delete(keyString(key))
        return cached
      }
      return Option.some(written)
    })

  const getFromServer = (key: ObjectKey) =>
    client.get(Secrets, key).pipe(
      Effect.map(Option.some),
      Effect.catchReason("KubeError", "NotFound", () => Effect.succeed(Option.none<Secret>()))
    )

  /** One GET per Secret at a time: concurrent readers wait for the same answer. */
  const fetch = (key: ObjectKey): Effect.Effect<Option.Option<Secret>, KubeError | SecretTooLarge> =>
    Effect.suspend(() => {
      const k = keyString(key)
      const inFlight = pending.get(k)
      if (inFlight !== undefined) return Deferred.await(inFlight)
      return Effect.gen(function* () {
        const answer = yield* Deferred.make<Option.Option<Secret>, KubeError | SecretTooLarge>()
        pending.set(k, answer)
        return yield* getFromServer(key).pipe(
          Effect.map(Option.map(withoutLastApplied)),
          Effect.flatMap((found) =>
            Effect.suspend(() => {
              if (Option.isSome(found) && dataSize(found.value) > referencedDataLimit) {
                held.delete(k)
                if (!releasedInFlight.has(k)) tooLarge.set(k, found.value.metadata.resourceVersion)
                return Effect.fail(tooLargeError(key))
              }
              if (Option.isSome(found) && !releasedInFlight.has(k)) held.set(k, found.value)
              else held.delete(k)
              return Effect.succeed(found)
            })
          ),
          Effect.onExit((exit) =>
            Effect.andThen(
              Effect.sync(() => {
                pending.delete(k)
                releasedInFlight.delete(k)
              }),
              Exit.isSuccess(exit) ? Deferred.succeed(answer, exit.value) : Deferred.failCause(answer, exit.cause)
            )
          )
        )
      })
    })

  const referenced = (key: ObjectKey) =>
    Effect.gen(function* () {
      if (!inScope(key)) return yield* getFromServer(key)
      yield* metadata.synced
      const unlabelled = yield* metadata.get(key)
      // Not in the metadata watch: one with the operator's label (read like any other), or absent (data a GET
      // brought back as it went is dropped).
      const known = Option.isSome(unlabelled)
        ? unlabelled
        : yield* Effect.andThen(ownedInformer.synced, ownedInformer.get(key))
      const k = keyString(key)
      if (Option.isNone(known)) {
        held.delete(k)
        tooLarge.delete(k)
        return Option.none<Secret>()
      }
      const version = known.value.metadata.resourceVersion
      const large = tooLarge.get(k)
      if (large !== undefined && notOlder(large, version)) return yield* tooLargeError(key)
      const kept = held.get(k)
      if (kept !== undefined && notOlder(kept.metadata.resourceVersion, version)) return Option.some(kept)
      return yield* fetch(key)
    })

  return SecretCache.of({
    owned,
    referenced,
    wrote: (secret) =>
      Effect.flatMap(ownedInformer.get(secret.metadata), (cached) =>
        Effect.sync(() => {
          const k = keyString(secret.metadata)
          const rv = secret.metadata.resourceVersion
          // The watch may have delivered this write already.
          if (Option.isSome(cached) && notOlder(cached.value.metadata.resourceVersion, rv)) return
          const previous = writes.get(k)
          if (previous === undefined || notOlder(rv, previous.metadata.resourceVersion)) writes.set(k, bounded(secret))
        })
      ),
    release: (key) =>
      Effect.sync(() => {
        const k = keyString(key)
        held.delete(k)
        tooLarge.delete(k)
        if (pending.has(k)) releasedInFlight.add(k)
      }),
    // Labelled ones too: an object may name one (as its connection Secret), and must see it change.
    changes: Stream.merge(metadata.events, ownedInformer.events).pipe(
      Stream.filter((event) => event.type !== "Malformed"),
      Stream.map((event) => ({ namespace: event.object.metadata.namespace, name: event.object.metadata.name }))
    ),
    handleChanges: (handler) => Effect.andThen(metadata.handle(keyOf(handler)), ownedInformer.handle(keyOf(handler))),
    synced: Effect.andThen(ownedInformer.synced, metadata.synced),
    stats: Effect.sync(() => ({ held: held.size, unconfirmedWrites: writes.size }))
  })
})
