/**
 * One LiteLLM client per connection, shared by every object that uses it:
 * cached by URL and a hash of the master key, so a rotated master key gets a
 * fresh client and the key itself is never a map key or a log field.
 */
import { createHash } from "node:crypto"
import type * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type { Connection } from "@litellm-operator/core"
import { LiteLLMClient } from "@litellm-operator/litellm"
import { Context, Duration, Effect, Layer, Redacted, SynchronizedRef } from "effect"
import { withListObservation } from "./ListObservation.ts"

type Client = LiteLLMClient["Service"]

export interface ConnectionOptions {
  readonly timeout?: Duration.Input
  readonly listMaxAge?: Duration.Input
  /** Reads by id, with no fresh list, before a list is taken (default 10: a handful of objects is read one by one). */
  readonly listMinDemand?: number
}

/** What a client needs of a connection. */
type Endpoint = Pick<Connection, "url" | "masterKey">

// One hash per credential read, not one per use: a reconcile names its connection three times
// (refusal fingerprint, remembered connection, client cache).
const credentialHashes = new WeakMap<Redacted.Redacted<string>, string>()
const credentialHash = (masterKey: Redacted.Redacted<string>): string => {
  const known = credentialHashes.get(masterKey)
  if (known !== undefined) return known
  const hash = createHash("sha256").update(Redacted.value(masterKey)).digest("hex")
  credentialHashes.set(masterKey, hash)
  return hash
}

const cacheKey = (connection: Endpoint): string => `${connection.url}#${credentialHash(connection.masterKey)}`

/**
 * Names a connection as far as a refusal is concerned: its LiteLLM, its
 * credential (hashed) and its policy. A change of any of them is worth trying again.
 */
export const connectionFingerprint = (connection: Connection): string =>
  `${cacheKey(connection)}#${JSON.stringify(connection.policy)}`

export class LiteLLMConnections extends Context.Service<
  LiteLLMConnections,
  {
    clientFor(connection: Endpoint): Effect.Effect<Client>
    /** Remembers the connection an object last used, so its deletion can finish if its Secret goes first. */
    remember(objectKey: string, connection: Connection): Effect.Effect<void>
    recall(objectKey: string): Effect.Effect<Connection | undefined>
    forget(objectKey: string): Effect.Effect<void>
  }
>()("litellm-operator/app/reconcile/LiteLLMConnections") {
  /**
   * `timeout` bounds each LiteLLM call of every client (the client's default
   * when left out); with a `listMaxAge` above zero, reads are answered from
   * whole-list snapshots up to that old (ListObservation.ts).
   */
  static readonly makeWith = (options: ConnectionOptions = {}) =>
    Effect.gen(function* () {
      const pool = yield* Effect.context<NodeHttpClient.Dispatcher>()
      const listMaxAge =
        options.listMaxAge === undefined || Duration.isZero(Duration.fromInputUnsafe(options.listMaxAge))
          ? undefined
          : Duration.fromInputUnsafe(options.listMaxAge)
      const clients = yield* SynchronizedRef.make(new Map<string, Client>())
      // In memory only: after a restart a deletion whose Secret is gone waits for the Secret or for Orphan.
      // Objects share one remembered copy of each connection (thousands of objects, a few connections).
      const lastUsed = new Map<string, string>()
      const remembered = new Map<string, { readonly connection: Connection; readonly key: string; users: number }>()
      const release = (objectKey: string) => {
        const key = lastUsed.get(objectKey)
        const entry = key === undefined ? undefined : remembered.get(key)
        if (key === undefined || entry === undefined) return
        lastUsed.delete(objectKey)
        entry.users -= 1
        // A connection no object uses any more (a rotated master key) is let go.
        if (entry.users === 0) remembered.delete(key)
      }
      return LiteLLMConnections.of({
        remember: (objectKey, connection) =>
          Effect.sync(() => {
            const key = `${connectionFingerprint(connection)}#${connection.secret}`
            if (lastUsed.get(objectKey) === key) return
            release(objectKey)
            const entry = remembered.get(key) ?? { connection, key, users: 0 }
            entry.users += 1
            remembered.set(key, entry)
            // The entry's own copy of the key: one string per connection, not one per object.
            lastUsed.set(objectKey, entry.key)
          }),
        recall: (objectKey) =>
          Effect.sync(() => {
            const key = lastUsed.get(objectKey)
            return key === undefined ? undefined : remembered.get(key)?.connection
          }),
        forget: (objectKey) => Effect.sync(() => release(objectKey)),
        clientFor: (connection) =>
          SynchronizedRef.modifyEffect(clients, (cache) => {
            const key = cacheKey(connection)
            const cached = cache.get(key)
            if (cached !== undefined) return Effect.succeed([cached, cache] as const)
            return LiteLLMClient.make(
              options.timeout === undefined ? connection : { ...connection, timeout: options.timeout }
            ).pipe(
              Effect.provide(pool),
              Effect.flatMap((client) =>
                listMaxAge === undefined
                  ? Effect.succeed(client)
                  : withListObservation(client, {
                      maxAge: Duration.toMillis(listMaxAge),
                      minDemand: options.listMinDemand ?? 10
                    })
              ),
              Effect.map((client) => [client, new Map(cache).set(key, client)] as const)
            )
          })
      })
    })

  static readonly make = LiteLLMConnections.makeWith()

  static readonly layer = Layer.effect(LiteLLMConnections, LiteLLMConnections.make)

  static readonly layerWith = (options: ConnectionOptions) =>
    Layer.effect(LiteLLMConnections, LiteLLMConnections.makeWith(options))
}
