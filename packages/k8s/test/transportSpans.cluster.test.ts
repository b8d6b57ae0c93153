/**
 * Each API-server call is an HTTP client span (method, path, status) under
 * the KubeClient span that made it, and the
 * credential never reaches a span: a bearer token is sent, and redacted.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { KubeConfig } from "@kubernetes/client-node"
import { Effect, Tracer } from "effect"
import { KubeClient, Teams } from "../src/index.ts"
import { kubeconfig } from "./support/cluster.ts"

const TOKEN = "test-bearer-token-Qx7Vb2Lm9Zr4"

/** The test control plane's kubeconfig, its user also carrying a bearer token. */
const withToken = Effect.acquireRelease(
  Effect.sync(() => {
    const kc = new KubeConfig()
    kc.loadFromFile(kubeconfig())
    const withToken = new KubeConfig()
    withToken.loadFromOptions({
      clusters: kc.clusters,
      contexts: kc.contexts,
      users: kc.users.map((user) => ({ ...user, token: TOKEN })),
      currentContext: kc.currentContext
    })
    const dir = mkdtempSync(join(tmpdir(), "kube-spans-"))
    const path = join(dir, "kubeconfig")
    writeFileSync(path, withToken.exportConfig())
    return { dir, path }
  }),
  ({ dir }) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const recordingTracer = (spans: Array<Tracer.Span>) =>
  Tracer.make({
    span(options) {
      const span = Tracer.nativeTracer.span(options)
      spans.push(span)
      return span
    }
  })

describe("KubeTransport spans", () => {
  it.live("every API-server call is an HTTP client span under its KubeClient span, without the credential", () =>
    Effect.gen(function* () {
      const { path } = yield* withToken
      const spans: Array<Tracer.Span> = []
      // The token is unknown to the server: the answer does not matter, only what the spans hold.
      yield* Effect.exit(
        Effect.gen(function* () {
          yield* (yield* KubeClient).get(Teams, { namespace: "default", name: "nobody" })
        }).pipe(
          Effect.provide(KubeClient.layerFromFile(path)),
          Effect.provideService(Tracer.Tracer, recordingTracer(spans))
        )
      )
      const get = spans.find((s) => s.name === "KubeClient.get")
      const http = spans.find(
        (s) =>
          s.attributes.get("http.request.method") === "GET" &&
          s.attributes.get("url.path") === "/apis/auth.litellm.ai/v1alpha1/namespaces/default/teams/nobody"
      )
      assert.isDefined(get)
      assert.isDefined(http)
      assert.strictEqual(http?.kind, "client")
      assert.strictEqual(http?.attributes.get("http.response.status_code"), 404)
      const parent = http?.parent
      assert.strictEqual(parent?._tag === "Some" ? parent.value.spanId : undefined, get?.spanId)
      for (const span of spans) {
        for (const [name, value] of span.attributes) {
          assert.notInclude(String(value), TOKEN, `span ${span.name} attribute ${name}`)
        }
      }
    }).pipe(Effect.scoped)
  )
})
