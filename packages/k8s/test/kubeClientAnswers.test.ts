/**
 * What the client makes of answers a real API server does not give: text that
 * is not JSON, a list that is not a list, a watch line that is not an event, an
 * object that does not match its schema. Each is a Malformed error, or a
 * MALFORMED item beside the good ones, never a defect or a silent skip. A plain
 * HTTP server on 127.0.0.1 stands in for the API server, answering each path
 * with a fixed body.
 */
import { assert, describe, it } from "@effect/vitest"
import { KubeConfig } from "@kubernetes/client-node"
import { Effect, Exit, Layer, Option, Stream } from "effect"
import { KubeClient, type KubeError, KubeTransport, Secrets, VirtualKeys } from "../src/index.ts"
import { frontDoor, kubeconfigFor } from "./support/frontDoor.ts"

const goodKey = {
  metadata: { name: "good", namespace: "ns", uid: "u-1", resourceVersion: "7", generation: 1 },
  spec: { connectionRef: { secretRef: { name: "litellm" } }, keyAlias: "good" }
}
const badKey = {
  metadata: { name: "bad", namespace: "ns", uid: "u-2", resourceVersion: "8", generation: 1 },
  spec: { connectionRef: { secretRef: { name: "litellm" } }, keyAlias: "bad", models: 5 }
}

/** Path (with its query) → body; any other path answers `{}`. */
const answers: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/apis\/auth\.litellm\.ai\/v1alpha1\/namespaces\/ns\/virtualkeys\/html$/, "<html>bad gateway</html>"],
  [/^\/apis\/auth\.litellm\.ai\/v1alpha1\/namespaces\/ns\/virtualkeys\/bad$/, JSON.stringify(badKey)],
  [/^\/api\/v1\/namespaces\/ns\/secrets\/bad$/, JSON.stringify({ metadata: { name: "bad" }, data: 7 })],
  [/^\/apis\/auth\.litellm\.ai\/v1alpha1\/namespaces\/odd\/virtualkeys\?/, JSON.stringify({ items: 5 })],
  [
    /^\/apis\/auth\.litellm\.ai\/v1alpha1\/namespaces\/ns\/virtualkeys\?(?!.*watch)/,
    JSON.stringify({ metadata: { resourceVersion: "9" }, items: [goodKey, badKey] })
  ],
  [
    /^\/apis\/auth\.litellm\.ai\/v1alpha1\/namespaces\/ns\/virtualkeys\?.*watch=true/,
    `${JSON.stringify({ type: "ADDED", object: goodKey })}\n${JSON.stringify({ type: "MODIFIED", object: badKey })}\n`
  ],
  [/^\/apis\/auth\.litellm\.ai\/v1alpha1\/namespaces\/odd\/virtualkeys\?.*watch=true/, "not an event\n"]
]

const server = frontDoor((req, res) => {
  const path = req.url ?? ""
  const body = answers.find(([pattern]) => pattern.test(path))?.[1] ?? "{}"
  res.writeHead(200, { "content-type": "application/json" })
  res.end(body)
})

const clientAt = (url: string) =>
  KubeClient.layerNoDeps.pipe(
    Layer.provideMerge(KubeTransport.layerFromKubeConfig(kubeconfigFor(url, new KubeConfig())))
  )

/** The message of a call's Malformed failure; fails the test on anything else (success, another reason, a defect). */
const malformedOf = <A, R>(effect: Effect.Effect<A, KubeError, R>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(effect)
    const error = Exit.isFailure(exit) ? Option.getOrUndefined(Exit.findErrorOption(exit)) : undefined
    assert.isDefined(error, "a failure, not a success or a defect")
    assert.strictEqual(error?.reason._tag, "Malformed")
    return error?.message ?? ""
  })

describe("KubeClient, given answers no API server gives", () => {
  it.effect("an answer that is not JSON, or an object that does not match its schema, is Malformed", () =>
    Effect.gen(function* () {
      const { url } = yield* server
      yield* Effect.gen(function* () {
        const kube = yield* KubeClient
        const html = yield* malformedOf(kube.get(VirtualKeys, { namespace: "ns", name: "html" }))
        assert.include(html, "not JSON")
        const bad = yield* malformedOf(kube.get(VirtualKeys, { namespace: "ns", name: "bad" }))
        assert.include(bad, "models")
        // A Secret's own content never reaches a message.
        const secret = yield* malformedOf(kube.get(Secrets, { namespace: "ns", name: "bad" }))
        assert.include(secret, "a Secret that does not match its schema")
      }).pipe(Effect.provide(clientAt(url)))
    }).pipe(Effect.scoped)
  )

  it.effect("a list keeps its good items and names the bad ones; a body that is not a list is Malformed", () =>
    Effect.gen(function* () {
      const { url } = yield* server
      yield* Effect.gen(function* () {
        const kube = yield* KubeClient
        const listed = yield* kube.list(VirtualKeys, { namespace: "ns" })
        assert.deepStrictEqual(
          listed.items.map((k) => k.metadata.name),
          ["good"]
        )
        assert.strictEqual(listed.malformed.length, 1)
        assert.deepStrictEqual(listed.malformed[0]?.key, { namespace: "ns", name: "bad" })
        assert.include(listed.malformed[0]?.message ?? "", "models")
        assert.strictEqual(listed.resourceVersion, "9")
        const odd = yield* malformedOf(kube.list(VirtualKeys, { namespace: "odd" }))
        assert.include(odd, "not a list")
      }).pipe(Effect.provide(clientAt(url)))
    }).pipe(Effect.scoped)
  )

  it.effect(
    "a watch turns an object that does not decode into a MALFORMED event, and a line that is not JSON into an error",
    () =>
      Effect.gen(function* () {
        const { url } = yield* server
        yield* Effect.gen(function* () {
          const kube = yield* KubeClient
          const events = yield* Stream.runCollect(kube.watch(VirtualKeys, { namespace: "ns", resourceVersion: "1" }))
          assert.deepStrictEqual(
            events.map((e) => e.type),
            ["ADDED", "MALFORMED"]
          )
          const malformed = events[1]
          assert.isTrue(malformed?.type === "MALFORMED" && malformed.object.key?.name === "bad")
          const odd = yield* malformedOf(
            Stream.runCollect(kube.watch(VirtualKeys, { namespace: "odd", resourceVersion: "1" }))
          )
          assert.include(odd, "a watch event that is not JSON")
        }).pipe(Effect.provide(clientAt(url)))
      }).pipe(Effect.scoped)
  )
})
