import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { defaultConnectionPolicy } from "@litellm-operator/core"
import { Effect, Redacted } from "effect"
import { LiteLLMConnections } from "../src/reconcile/LiteLLMConnections.ts"

const connection = (masterKey: string) => ({
  url: "http://litellm.test:4000",
  masterKey: Redacted.make(masterKey),
  secret: "ns/litellm",
  policy: defaultConnectionPolicy
})

describe("the connections objects last used", () => {
  it.effect("are remembered once per connection, follow a rotated master key, and are let go", () =>
    Effect.gen(function* () {
      const connections = yield* LiteLLMConnections.make
      const first = connection("sk-master-one")
      yield* connections.remember("ns/a", first)
      // The same connection decoded again for another object: the first copy serves both.
      yield* connections.remember("ns/b", connection("sk-master-one"))
      assert.strictEqual(yield* connections.recall("ns/b"), first)

      const rotated = connection("sk-master-two")
      yield* connections.remember("ns/a", rotated)
      assert.strictEqual(yield* connections.recall("ns/a"), rotated)
      assert.strictEqual(yield* connections.recall("ns/b"), first)

      yield* connections.forget("ns/b")
      assert.isUndefined(yield* connections.recall("ns/b"))
      // Nothing uses the first master key any more: a new object remembering it keeps its own copy.
      const again = connection("sk-master-one")
      yield* connections.remember("ns/c", again)
      assert.strictEqual(yield* connections.recall("ns/c"), again)
      assert.strictEqual(yield* connections.recall("ns/a"), rotated)
    }).pipe(Effect.provide(NodeHttpClient.dispatcherLayerGlobal))
  )
})
