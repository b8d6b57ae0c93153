/**
 * The Secrets the reconcilers read, from caches, holding the data of no
 * Secret the operator neither wrote nor was told to use.
 *
 * - Owned Secrets (the key Secrets this operator writes, which carry its
 *   `managed-by` label): one informer with that label selector, data
 *   included, since a stored key is reused.
 * - Every other Secret in scope: one metadata-only watch (PartialObjectMetadata;
 *   the server never sends their data), so the cache knows which Secrets
 *   exist and their resourceVersions. The data of a Secret is fetched with
 *   one GET when a reconcile first asks for it (because an object names it),
 *   kept while its resourceVersion stays the same, and dropped when it
 *   changes, goes, or no object names it any more (`release`).
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
import { Context, Deferred, Effect, Exit, Option, Stream } from "effect"
import type { ObjectKey } from "../api/ObjectMeta.ts"
import { keyString } from "../api/ObjectMeta.ts"
import { type Secret, type SecretMetadata, Secrets, SecretsMetadata } from "../api/Secret.ts"
import { KubeClient } from "../client/KubeClient.ts"
import type { KubeError } from "../client/KubeError.ts"
import { makeInformer, withoutLastApplied } from "./Informer.ts"

export interface SecretCacheOptions {
  /** All namespaces when left out. */
  readonly namespace?: string
  /** The label on every Secret this operator writes. */
  readonly ownedLabel: { readonly key: string; readonly value: string }
}

export interface SecretCacheStats {
  /** Secrets not owned whose data is held (fetched because a reconcile asked). */
  readonly held: number
  /** Written Secrets the owned informer has not caught up with yet. */
  readonly unconfirmedWrites: number
}

/** `a` is the same version as `b` or a later one. */
export const notOlder = (a: string, b: string): boolean =>
  /^\d+$/.test(a) && /^\d+$/.test(b) ? BigInt(a) >= BigInt(b) : a === b

/** Only what tells a Secret's identity and version: nothing else of an unrelated Secret is kept. */
const identityOnly = (object: SecretMetadata): SecretMetadata => ({
  apiVersion: object.apiVersion,
  kind: object.kind,
  metadata: {
    name: object.metadata.name,
    namespace: object.metadata.namespace,
    uid: object.metadata.uid,
    resourceVersion: object.metadata.resourceVersion
  }
})

/**
 * An owned Secret as cached: everything but its data laid out compactly
 * (`jsonCopy`, about 0.15 KB less per Secret). The data stays as decoded:
 * its `Redacted` values would not survive JSON, and they never pass through
 * anything shared. Every field is kept: a key Secret that must change is
 * replaced from this copy, and must keep what others put on it.
 */
const compactOwned = (secret: Secret): Secret => {
  const { data, ...rest } = withoutLastApplied(secret)
  const compact = jsonCopy(rest)
  return data === undefined ? compact : { ...compact, data }
}

export class SecretCache extends Context.Service<
  SecretCache,
  {
    /** A Secret this operator writes: the newest of what it wrote and what its watch delivered; never a request. */
    owned(key: ObjectKey): Effect.Effect<Option.Option<Secret>>
    /** A Secret an object names (a connection Secret); none when it does not exist. */
    referenced(key: ObjectKey): Effect.Effect<Option.Option<Secret>, KubeError>
    /** Records a Secret this process has just written. */
    wrote(secret: Secret): Effect.Effect<void>
    /** Drops the data held for a Secret no object names any more. */
    release(key: ObjectKey): Effect.Effect<void>
    /** Keys of Secrets not owned that appeared, changed or went (first the ones that exist). */
    readonly changes: Stream.Stream<ObjectKey>
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
  const ownedInformer = yield* makeInformer(Secrets, {
    ...scope,
    labelSelector: `${label}=${value}`,
    transform: compactOwned
  })
  const metadata = yield* makeInformer(SecretsMetadata, {
    ...scope,
    labelSelector: `${label}!=${value}`,
    transform: identityOnly
  })
  const inScope = (key: ObjectKey) => options.namespace === undefined || key.namespace === options.namespace

  // Mutated only inside Effect.sync blocks; JavaScript runs each to completion.
  const writes = new Map<string, Secret>()
  const held = new Map<string, Secret>()
  const pending = new Map<string, Deferred.Deferred<Option.Option<Secret>, KubeError>>()
  // Released while a GET was in flight: its answer goes to the waiting readers, not into `held`.
  const releasedInFlight = new Set<string>()

  // The owned informer caught up with a write: it answers alone from now on.
  yield* Effect.forkScoped(
    Stream.runForEach(ownedInformer.events, (event) =>
      Effect.sync(() => {
        if (event.type === "Malformed") return
        const k = keyString(event.object.metadata)
        const written = writes.get(k)
        if (
          written !== undefined &&
          notOlder(event.object.metadata.resourceVersion, written.metadata.resourceVersion)
        ) {
          writes.delete(k)
        }
      })
    )
  )
  // Data held for a Secret that changed or went is out of date: the next read fetches it again.
  yield* Effect.forkScoped(
    Stream.runForEach(metadata.events, (event) =>
      Effect.sync(() => {
        if (event.type === "Malformed") return
        const k = keyString(event.object.metadata)
        const kept = held.get(k)
        if (
          kept !== undefined &&
          (event.type === "Deleted" || !notOlder(kept.metadata.resourceVersion, event.object.metadata.resourceVersion))
        ) {
          held.delete(k)
        }
      })
    )
  )

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
  const fetch = (key: ObjectKey): Effect.Effect<Option.Option<Secret>, KubeError> =>
    Effect.suspend(() => {
      const k = keyString(key)
      const inFlight = pending.get(k)
      if (inFlight !== undefined) return Deferred.await(inFlight)
      return Effect.gen(function* () {
        const answer = yield* Deferred.make<Option.Option<Secret>, KubeError>()
        pending.set(k, answer)
        return yield* getFromServer(key).pipe(
          Effect.map(Option.map(withoutLastApplied)),
          Effect.tap((found) =>
            Effect.sync(() => {
              if (Option.isSome(found) && !releasedInFlight.has(k)) held.set(k, found.value)
              else held.delete(k)
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
      const known = yield* metadata.get(key)
      if (Option.isNone(known)) {
        // Not in the metadata watch: absent (data a GET brought back as it went is dropped), or one of ours.
        held.delete(keyString(key))
        yield* ownedInformer.synced
        return yield* ownedInformer.get(key)
      }
      const kept = held.get(keyString(key))
      if (kept !== undefined && notOlder(kept.metadata.resourceVersion, known.value.metadata.resourceVersion)) {
        return Option.some(kept)
      }
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
          if (previous === undefined || notOlder(rv, previous.metadata.resourceVersion)) writes.set(k, secret)
        })
      ),
    release: (key) =>
      Effect.sync(() => {
        const k = keyString(key)
        held.delete(k)
        if (pending.has(k)) releasedInFlight.add(k)
      }),
    changes: metadata.events.pipe(
      Stream.filter((event) => event.type !== "Malformed"),
      Stream.map((event) => ({ namespace: event.object.metadata.namespace, name: event.object.metadata.name }))
    ),
    synced: Effect.andThen(ownedInformer.synced, metadata.synced),
    stats: Effect.sync(() => ({ held: held.size, unconfirmedWrites: writes.size }))
  })
})
