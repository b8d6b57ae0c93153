import { assert, describe, it } from "@effect/vitest"
import { parseManifests } from "@litellm-operator/k8s"
import { Effect, Redacted } from "effect"
import { examplesDirectory, operatorObjects, pointConnectionSecrets } from "../src/local/localRun.ts"
import { abbreviateToken, keysTable, notReadyLines, objectsTable, table } from "../src/local/report.ts"

describe("the local main job's report", () => {
  it("aligns columns and leaves no trailing spaces", () => {
    assert.strictEqual(
      table(
        ["A", "LONGER", "C"],
        [
          ["xx", "y", "z"],
          ["x", "", "last"]
        ]
      ),
      "A   LONGER  C\nxx  y       z\nx           last"
    )
  })

  it("shows keys only as shortened tokens", () => {
    const token = "a".repeat(64)
    assert.strictEqual(abbreviateToken(token), `${"a".repeat(12)}…`)
    const text = keysTable([
      {
        token,
        alias: "k",
        userId: null,
        teamId: undefined,
        models: ["m1", "m2"],
        maxBudget: 20,
        secret: "default/k-key"
      }
    ])
    assert.notInclude(text, token)
    assert.include(text, "m1,m2")
    assert.match(text, /-\s+-\s+m1,m2\s+20\s+default\/k-key$/)
  })

  it("says why objects are not Ready", () => {
    const rows = [
      { kind: "Team", namespace: "d", name: "a", ready: "True", reason: "Reconciled", message: "", produced: "team x" },
      {
        kind: "User",
        namespace: "d",
        name: "b",
        ready: "False",
        reason: "ConnectionError",
        message: "Secret d/litellm does not exist",
        produced: ""
      }
    ]
    assert.deepStrictEqual(notReadyLines(rows), [
      "User d/b: Ready=False ConnectionError: Secret d/litellm does not exist"
    ])
    assert.include(objectsTable(rows), "User  d/b             False  ConnectionError")
  })

  it.effect("points the examples' connection Secret at the proxy in use, and nothing else", () =>
    Effect.gen(function* () {
      const text = [
        "apiVersion: v1",
        "kind: Secret",
        "metadata: {name: litellm-connection, namespace: default}",
        "stringData: {url: 'http://127.0.0.1:4000', masterkey: sk-change-me}",
        "---",
        "apiVersion: v1",
        "kind: Secret",
        "metadata: {name: other}",
        "stringData: {token: abc}",
        "---",
        "apiVersion: auth.litellm.ai/v1alpha1",
        "kind: Team",
        "metadata: {name: search}",
        "spec: {teamAlias: search}"
      ].join("\n")
      const manifests = yield* parseManifests(text, "inline.yaml")
      const pointed = pointConnectionSecrets(manifests, "http://127.0.0.1:9999", Redacted.make("sk-new"))
      assert.deepStrictEqual(pointed.rewritten, ["default/litellm-connection"])
      assert.deepStrictEqual(JSON.parse(JSON.stringify(pointed.manifests[0]?.object)).stringData, {
        url: "http://127.0.0.1:9999",
        masterkey: "sk-new"
      })
      assert.strictEqual(pointed.manifests[1], manifests[1])
      assert.deepStrictEqual(
        operatorObjects(pointed.manifests).map((m) => m.header.kind),
        ["Team"]
      )
      assert.isString(examplesDirectory)
    })
  )
})
