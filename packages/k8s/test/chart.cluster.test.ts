/**
 * The Helm chart, rendered by the real Helm (built from the Go module proxy by
 * tools/helm/build.sh) and applied with server-side dry-run to the test
 * API server: every object it renders is one the API server accepts.
 */
import { execFileSync } from "node:child_process"
import { join } from "node:path"
import { assert, describe, inject, it } from "@effect/vitest"
import { KubeConfig, KubernetesObjectApi, loadAllYaml, PatchStrategy } from "@kubernetes/client-node"
import { Effect, Schema } from "effect"

const root = join(import.meta.dirname, "..", "..", "..")
const helm =
  execFileSync("bash", [join(root, "tools", "helm", "build.sh")], { encoding: "utf8" })
    .trim()
    .split("\n")
    .at(-1) ?? ""

/** A rendered object: what the test reads of it, and everything else kept for the API server. */
const Rendered = Schema.StructWithRest(
  Schema.Struct({
    apiVersion: Schema.String,
    kind: Schema.String,
    metadata: Schema.Struct({ name: Schema.String, namespace: Schema.optionalKey(Schema.String) })
  }),
  [Schema.Record(Schema.String, Schema.Unknown)]
)
type Rendered = typeof Rendered.Type

const render = (...sets: ReadonlyArray<string>): ReadonlyArray<Rendered> => {
  const args = [
    "template",
    "ops",
    join(root, "deploy", "chart"),
    "--namespace",
    "litellm-system",
    "--kube-version",
    "1.36.3"
  ]
  for (const set of sets) args.push("--set", set)
  const yaml = execFileSync(helm, args, { encoding: "utf8" })
  return loadAllYaml(yaml)
    .filter((doc) => doc !== null && doc !== undefined)
    .map((doc) => Schema.decodeUnknownSync(Rendered)(doc))
}

const api = () => {
  const kc = new KubeConfig()
  kc.loadFromFile(inject("kubeconfig"))
  return { kc, objects: KubernetesObjectApi.makeApiClient(kc) }
}

const dryRunApply = (objects: KubernetesObjectApi, docs: ReturnType<typeof render>) =>
  Effect.forEach(
    docs,
    (object) =>
      Effect.tryPromise({
        try: () => objects.patch(object, undefined, "All", "chart-test", true, PatchStrategy.ServerSideApply),
        catch: (error) => new Error(`${object.kind} ${object.metadata.name}: ${String(error)}`)
      }),
    { discard: true }
  )

const ensureNamespace = (objects: KubernetesObjectApi, name: string) =>
  Effect.tryPromise(() =>
    objects.patch(
      { apiVersion: "v1", kind: "Namespace", metadata: { name } },
      undefined,
      undefined,
      "chart-test",
      true,
      PatchStrategy.ServerSideApply
    )
  )

describe("Helm chart", () => {
  it.effect("renders a cluster-wide install that the API server accepts", () =>
    Effect.gen(function* () {
      const { objects } = api()
      yield* ensureNamespace(objects, "litellm-system")
      const docs = render()
      const kinds = docs.map((d) => d.kind).sort()
      assert.deepStrictEqual(kinds, [
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "Role",
        "RoleBinding",
        "Service",
        "ServiceAccount"
      ])
      yield* dryRunApply(objects, docs)
      const deployment = JSON.stringify(docs.find((d) => d.kind === "Deployment"))
      for (const hardening of [
        '"runAsNonRoot":true',
        '"readOnlyRootFilesystem":true',
        '"allowPrivilegeEscalation":false',
        '"drop":["ALL"]',
        '"type":"RuntimeDefault"'
      ]) {
        assert.include(deployment, hardening)
      }
      assert.include(deployment, '"path":"/readyz"')
      // The owner markers name this installation: the release by default, or the value given.
      assert.include(deployment, '{"name":"INSTALLATION_ID","value":"litellm-system/ops"}')
      assert.include(deployment, '{"name":"REFUSED_RETRY_PERIOD","value":"10m"}')
      const named = JSON.stringify(render("operator.installationId=prod-eu").find((d) => d.kind === "Deployment"))
      assert.include(named, '{"name":"INSTALLATION_ID","value":"prod-eu"}')
    })
  )

  it.effect("renders a namespace-scoped install: a Role in the watched namespace, no cluster-wide rights", () =>
    Effect.gen(function* () {
      const { objects } = api()
      yield* ensureNamespace(objects, "litellm-system")
      yield* ensureNamespace(objects, "team-a")
      const docs = render("watchNamespace=team-a")
      assert.isFalse(docs.some((d) => d.kind.startsWith("Cluster")))
      const role = docs.find((d) => d.kind === "Role" && d.metadata.namespace === "team-a")
      assert.isDefined(role)
      assert.include(
        JSON.stringify(docs.find((d) => d.kind === "Deployment")),
        '{"name":"WATCH_NAMESPACE","value":"team-a"}'
      )
      yield* dryRunApply(objects, docs)
    })
  )

  it.effect("without leader election runs one replica, replaced rather than rolled", () =>
    Effect.gen(function* () {
      const { objects } = api()
      yield* ensureNamespace(objects, "litellm-system")
      const docs = render("leaderElection.enabled=false", "replicas=3")
      const deployment = JSON.stringify(docs.find((d) => d.kind === "Deployment"))
      assert.include(deployment, '"replicas":1')
      assert.include(deployment, '"type":"Recreate"')
      assert.isFalse(docs.some((d) => d.metadata.name.endsWith("leader-election")))
      yield* dryRunApply(objects, docs)
    })
  )

  it.effect("adds a ServiceMonitor only when asked", () =>
    Effect.sync(() => {
      assert.isFalse(render().some((d) => d.kind === "ServiceMonitor"))
      assert.isTrue(render("serviceMonitor.enabled=true").some((d) => d.kind === "ServiceMonitor"))
    })
  )
})
