import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import type { ConnectionSecret } from "../src/index.ts"
import { allowNamespacesAnnotation, connectionFromSecret, connectionTarget } from "../src/index.ts"

const secret = (data: Record<string, string>, annotations: Record<string, string> = {}): ConnectionSecret => ({
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Redacted.make(v)])),
  annotations
})

describe("connections", () => {
  it("reads a secretRef with default and custom key names", () => {
    const plain = connectionTarget({ secretRef: { name: "litellm" } }, "apps")
    const r = connectionFromSecret(plain, secret({ masterkey: "sk-master", url: "http://litellm:4000/" }))
    assert.strictEqual(r._tag, "Resolved")
    if (r._tag === "Resolved") {
      assert.strictEqual(r.connection.url, "http://litellm:4000")
      assert.strictEqual(Redacted.value(r.connection.masterKey), "sk-master")
    }
    const custom = connectionTarget({ secretRef: { name: "litellm", keys: { masterKey: "MK", url: "U" } } }, "apps")
    assert.strictEqual(connectionFromSecret(custom, secret({ MK: "x", U: "https://l.example" }))._tag, "Resolved")
  })

  it("says which key is missing, without any secret value", () => {
    const target = connectionTarget({ secretRef: { name: "litellm" } }, "apps")
    const r = connectionFromSecret(target, secret({ url: "http://x" }))
    assert.deepStrictEqual(r, {
      _tag: "Incomplete",
      message: 'Secret apps/litellm has no key "masterkey" for the master key'
    })
    const bad = connectionFromSecret(target, secret({ masterkey: "sk-secret-value", url: "not a url" }))
    assert.strictEqual(bad._tag, "Incomplete")
    assert.notInclude(JSON.stringify(bad), "sk-secret-value")
  })

  it("follows the LiteLLMInstance convention for instanceRef", () => {
    const target = connectionTarget({ instanceRef: { name: "main" } }, "apps")
    assert.strictEqual(target.secretName, "main-secrets")
    const r = connectionFromSecret(target, secret({ masterkey: "m" }))
    assert.strictEqual(r._tag === "Resolved" ? r.connection.url : "", "http://main-service.apps.svc:4000")
  })

  it("refuses an instance in another namespace unless that namespace allows it", () => {
    const target = connectionTarget({ instanceRef: { name: "main", namespace: "platform" } }, "apps")
    assert.strictEqual(target.secretNamespace, "platform")
    const refused = connectionFromSecret(target, secret({ masterkey: "m" }))
    assert.strictEqual(refused._tag, "Refused")
    assert.include(refused._tag === "Refused" ? refused.message : "", allowNamespacesAnnotation)
    const other = connectionFromSecret(target, secret({ masterkey: "m" }, { [allowNamespacesAnnotation]: "ml, web" }))
    assert.strictEqual(other._tag, "Refused")
    for (const allow of ["apps", "web, apps", "*"]) {
      assert.strictEqual(
        connectionFromSecret(target, secret({ masterkey: "m" }, { [allowNamespacesAnnotation]: allow }))._tag,
        "Resolved"
      )
    }
  })
})
