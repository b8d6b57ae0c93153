/**
 * One LiteLLM client per connection, shared by every object that uses it:
 * cached by URL and a hash of the master key, so a rotated master key gets a
 * fresh client and the key itself is never a map key or a log field.
 */
import { createHash } from "node:crypto"
import type { Connection } from "@litellm-operator/core"
import { LiteLLMClient } from "@litellm-operator/litellm"
import { Context, Effect, Layer, Redacted, SynchronizedRef } from "effect"
import type { HttpClient } from "effect/http"

type Client = LiteLLMClient["Service"]

const cacheKey = (connection: Connection): string =>
  `${connection.url}#${createHash("sha256").update(Redacted.value(connection.masterKey)).digest("hex")}`

export class LiteLLMConnections extends Context.Service<
  LiteLLMConnections,
  {
    clientFor(connection: Connection): Effect.Effect<Client>
  }
>()("litellm-operator/app/reconcile/LiteLLMConnections") {
  static readonly make = Effect.gen(function* () {
    const httpClient = yield* Effect.context<HttpClient.HttpClient>()
    const clients = yield* SynchronizedRef.make(new Map<string, Client>())
    return LiteLLMConnections.of({
      clientFor: (connection) =>
        SynchronizedRef.modifyEffect(clients, (cache) => {
          const key = cacheKey(connection)
          const cached = cache.get(key)
          if (cached !== undefined) return Effect.succeed([cached, cache] as const)
          return LiteLLMClient.make(connection).pipe(
            Effect.provide(httpClient),
            Effect.map((client) => [client, new Map(cache).set(key, client)] as const)
          )
        })
    })
  })

  static readonly layer = Layer.effect(LiteLLMConnections, LiteLLMConnections.make)
}
