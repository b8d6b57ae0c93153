/**
 * How answers and failures become KubeError reasons: the API server's Status
 * for every status code the operator acts on, a connection that fails, and
 * Secrets whose messages are withheld.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { KubeClient, reasonFromResponse, reasonFromStatus, Teams } from "../src/index.ts"

const status = (code: number, reason: string, message: string, details: Record<string, unknown> = {}) =>
  JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message, details })

describe("reasonFromResponse", () => {
  it("maps each status code the operator acts on", () => {
    const table: ReadonlyArray<readonly [number, string, string]> = [
      [400, "BadRequest", "Invalid"],
      [401, "Unauthorized", "Unauthorized"],
      [403, "Forbidden", "Forbidden"],
      [404, "NotFound", "NotFound"],
      [409, "Conflict", "Conflict"],
      [410, "Expired", "Gone"],
      [415, "UnsupportedMediaType", "Invalid"],
      [422, "Invalid", "Invalid"],
      [429, "TooManyRequests", "TooManyRequests"],
      [500, "InternalError", "Unavailable"],
      [503, "ServiceUnavailable", "Unavailable"],
      [504, "Timeout", "Unavailable"]
    ]
    for (const [code, reason, tag] of table) {
      const mapped = reasonFromResponse(code, status(code, reason, `m${code}`), { sensitive: false })
      assert.strictEqual(mapped._tag, tag, String(code))
      assert.strictEqual(mapped.message, `m${code}`)
    }
  })

  it("keeps the field causes of a 422, tells AlreadyExists from a stale write, and reads retryAfterSeconds", () => {
    const invalid = reasonFromResponse(
      422,
      status(422, "Invalid", "Team is invalid", {
        causes: [{ reason: "FieldValueRequired", message: "Required value", field: "spec.teamAlias" }]
      }),
      { sensitive: false }
    )
    assert.deepStrictEqual(invalid._tag === "Invalid" ? invalid.causes : [], [
      { field: "spec.teamAlias", reason: "FieldValueRequired", message: "Required value" }
    ])
    const exists = reasonFromResponse(409, status(409, "AlreadyExists", "exists"), { sensitive: false })
    const stale = reasonFromResponse(409, status(409, "Conflict", "modified"), { sensitive: false })
    assert.isTrue(exists._tag === "Conflict" && exists.alreadyExists)
    assert.isTrue(stale._tag === "Conflict" && !stale.alreadyExists)
    const throttled = reasonFromResponse(429, status(429, "TooManyRequests", "slow down", { retryAfterSeconds: 3 }), {
      sensitive: false
    })
    assert.strictEqual(throttled._tag === "TooManyRequests" ? throttled.retryAfterSeconds : undefined, 3)
  })

  it("copes with bodies that are not a Status", () => {
    assert.strictEqual(reasonFromResponse(502, "<html>bad gateway</html>", { sensitive: false })._tag, "Unavailable")
    assert.strictEqual(reasonFromResponse(404, "", { sensitive: false }).message, "HTTP 404")
  })

  it("withholds the server's messages about sensitive objects", () => {
    const body = status(422, "Invalid", 'Secret "k" is invalid: data[x]: Invalid value: "sk-secret"', {
      causes: [{ reason: "FieldValueInvalid", message: 'Invalid value: "sk-secret"', field: "data[x]" }]
    })
    const mapped = reasonFromResponse(422, body, { sensitive: true })
    assert.notInclude(JSON.stringify(mapped), "sk-secret")
    assert.deepStrictEqual(mapped._tag === "Invalid" ? mapped.causes.map((c) => c.field) : [], ["data[x]"])
  })

  it("maps a watch ERROR event's Status (410 Gone)", () => {
    const gone = reasonFromStatus({ code: 410, reason: "Expired", message: "too old resource version: 1 (42)" })
    assert.strictEqual(gone._tag, "Gone")
  })
})

describe("KubeTransport", () => {
  const unreachable = () => {
    const dir = mkdtempSync(join(tmpdir(), "kubeconfig-"))
    const path = join(dir, "kubeconfig")
    writeFileSync(
      path,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9', insecure-skip-tls-verify: true}}]",
        "users: [{name: u, user: {token: t}}]",
        "contexts: [{name: x, context: {cluster: c, user: u}}]",
        "current-context: x"
      ].join("\n")
    )
    return path
  }

  it.live("a connection that fails is Unavailable, and retryable", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const error = yield* Effect.flip(client.get(Teams, { namespace: "a", name: "b" }))
      assert.strictEqual(error.reason._tag, "Unavailable")
      assert.isTrue(error.retryable)
      assert.include(error.operation, "GET /apis/auth.litellm.ai/v1alpha1/namespaces/a/teams/b")
      const secret = yield* Effect.flip(client.readSecret({ namespace: "a", name: "b" }))
      assert.strictEqual(secret.reason._tag, "Unavailable")
    }).pipe(Effect.provide(KubeClient.layerFromFile(unreachable())))
  )

  it.live("a kubeconfig that cannot be read fails the layer", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.provide(
          Effect.gen(function* () {
            return yield* KubeClient
          }),
          KubeClient.layerFromFile("/nonexistent/kubeconfig")
        )
      )
      assert.strictEqual(error._tag, "KubeConfigError")
    })
  )
})
