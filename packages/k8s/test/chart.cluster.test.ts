/**
 * The Helm chart, rendered by the real Helm (built from the Go module proxy by
 * tools/helm/build.sh) and applied with server-side dry-run to the test
 * API server: every object it renders is one the API server accepts. The
 * alert rules it renders pass Prometheus's own `promtool check rules` (built
 * the same way, tools/promtool/build.sh).
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, inject, it } from "@effect/vitest"
import { ApiException, KubeConfig, KubernetesObjectApi, loadAllYaml, PatchStrategy } from "@kubernetes/client-node"
import { Effect, Schema } from "effect"

const root = join(import.meta.dirname, "..", "..", "..")
/** The last line a build script prints: the binary's path. */
const built = (script: string) =>
  execFileSync("bash", [join(root, "tools", script, "build.sh")], { encoding: "utf8" })
    .trim()
    .split("\n")
    .at(-1) ?? ""
const helm = built("helm")
// Built while the file loads, as Helm is: a cold build takes minutes, more than a test's timeout.
const promtool = built("promtool")

/** A rendered object: what the test reads of it, and everything else kept for the API server. */
const Rendered = Schema.StructWithRest(
  Schema.Struct({
    apiVersion: Schema.String,
    kind: Schema.String,
    // Labels and annotations too, so that the API server sees the object as rendered.
    metadata: Schema.StructWithRest(
      Schema.Struct({ name: Schema.String, namespace: Schema.optionalKey(Schema.String) }),
      [Schema.Record(Schema.String, Schema.Unknown)]
    )
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

/** The message of a Status the API server answered with. */
const refusalMessage = (body: unknown) =>
  Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Struct({ message: Schema.String })))(body).message

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
        "ServiceAccount",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding"
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
      // Traces only when a collector is named.
      assert.notInclude(deployment, "OTEL_")
      const traced = render(
        "tracing.otlpEndpoint=http://collector.observability:4318",
        "extraEnv[0].name=OTEL_RESOURCE_ATTRIBUTES",
        "extraEnv[0].value=k8s.cluster.name=eu"
      )
      yield* dryRunApply(objects, traced)
      const tracedDeployment = JSON.stringify(traced.find((d) => d.kind === "Deployment"))
      for (const env of [
        '{"name":"OTEL_EXPORTER_OTLP_ENDPOINT","value":"http://collector.observability:4318"}',
        '{"name":"OTEL_EXPORTER_OTLP_PROTOCOL","value":"http/protobuf"}',
        '{"name":"OTEL_SERVICE_NAME","value":"litellm-operator"}',
        '{"name":"OTEL_RESOURCE_ATTRIBUTES","value":"k8s.cluster.name=eu"}'
      ]) {
        assert.include(tracedDeployment, env)
      }
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

  it.effect("adds the Grafana dashboard and the alert rules only when asked, and promtool accepts the rules", () =>
    Effect.gen(function* () {
      const { objects } = api()
      yield* ensureNamespace(objects, "litellm-system")
      yield* ensureNamespace(objects, "monitoring")
      assert.isFalse(render().some((d) => d.kind === "PrometheusRule" || d.kind === "ConfigMap"))
      const docs = render(
        "grafanaDashboard.enabled=true",
        "grafanaDashboard.namespace=monitoring",
        "prometheusRule.enabled=true"
      )

      const dashboard = docs.find((d) => d.kind === "ConfigMap")
      assert.isDefined(dashboard)
      assert.strictEqual(dashboard?.metadata.namespace, "monitoring")
      const configMap = Schema.decodeUnknownSync(
        Schema.Struct({
          metadata: Schema.Struct({ labels: Schema.Record(Schema.String, Schema.String) }),
          data: Schema.Record(Schema.String, Schema.String)
        })
      )(dashboard)
      assert.strictEqual(configMap.metadata.labels.grafana_dashboard, "1")
      // The file as it is in the chart, byte for byte (Helm does not template it).
      assert.strictEqual(
        configMap.data["litellm-operator.json"],
        readFileSync(join(root, "deploy", "chart", "dashboards", "litellm-operator.json"), "utf8").trimEnd()
      )

      // The PrometheusRule's CRD is not in the test API server: the rest is applied, the rules go to promtool.
      const rule = docs.find((d) => d.kind === "PrometheusRule")
      assert.strictEqual(rule?.apiVersion, "monitoring.coreos.com/v1")
      yield* dryRunApply(
        objects,
        docs.filter((d) => d.kind !== "PrometheusRule")
      )
      const dir = mkdtempSync(join(tmpdir(), "chart-rules-"))
      try {
        const file = join(dir, "rules.json")
        // JSON is YAML: promtool reads the rendered spec as a rules file.
        writeFileSync(file, JSON.stringify(rule?.spec))
        const out = execFileSync(promtool, ["check", "rules", file], { encoding: "utf8" })
        assert.match(out, /SUCCESS: 10 rules found/)
        // And it does fail on a broken rule: the check is not a formality.
        writeFileSync(file, JSON.stringify({ groups: [{ name: "x", rules: [{ alert: "X", expr: "rate(x[5m]" }] }] }))
        assert.throws(() => execFileSync(promtool, ["check", "rules", file], { stdio: "pipe" }))
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  )

  // Live: the wait for the policy to take effect is real time.
  it.live(
    "its admission policy refuses a deletion policy the operator does not take, and lets an object keep one it already has",
    () =>
      Effect.gen(function* () {
        const { objects } = api()
        const suffix = Math.random().toString(16).slice(2, 8)
        const ns = `vap-${suffix}`
        yield* ensureNamespace(objects, ns)
        const team = (name: string, annotations?: Record<string, string>) => ({
          apiVersion: "auth.litellm.ai/v1alpha1",
          kind: "Team",
          metadata: { name, namespace: ns, ...(annotations === undefined ? {} : { annotations }) },
          spec: { connectionRef: { secretRef: { name: "litellm" } }, teamAlias: name }
        })
        const policy = (value: string) => ({ "auth.litellm.ai/deletion-policy": value })
        /** The API server's refusal (its Status message), or undefined when it accepted. */
        const attempt = (request: () => Promise<unknown>) =>
          Effect.promise(() =>
            request().then(
              () => undefined,
              (error: unknown) =>
                error instanceof ApiException ? refusalMessage(error.body) : `not a refusal: ${String(error)}`
            )
          )
        const create = (object: ReturnType<typeof team>) => attempt(() => objects.create(object))
        const annotate = (name: string, annotations: Record<string, string>) =>
          attempt(() =>
            objects.patch(
              { apiVersion: "auth.litellm.ai/v1alpha1", kind: "Team", metadata: { name, namespace: ns, annotations } },
              undefined,
              undefined,
              undefined,
              undefined,
              PatchStrategy.MergePatch
            )
          )

        // Made before the policy: an object that already holds a wrong value.
        assert.isUndefined(yield* create(team("before", policy("orphan"))))

        // The chart's policy as rendered; its binding narrowed to this namespace, since other suites share the API server.
        const docs = render().filter((d) => d.kind.startsWith("ValidatingAdmissionPolicy"))
        assert.strictEqual(docs.length, 2)
        const narrowed = docs.map((d) =>
          d.kind === "ValidatingAdmissionPolicyBinding"
            ? {
                ...d,
                metadata: { ...d.metadata, name: `${d.metadata.name}-${suffix}` },
                spec: {
                  ...Schema.decodeUnknownSync(Schema.Record(Schema.String, Schema.Unknown))(d.spec),
                  matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } }
                }
              }
            : d
        )
        yield* Effect.forEach(
          narrowed,
          (d) =>
            Effect.promise(() =>
              objects.patch(d, undefined, undefined, "chart-test", true, PatchStrategy.ServerSideApply)
            ),
          { discard: true }
        )
        try {
          // A policy takes effect once the API server has compiled it: try until it refuses.
          let refusal: string | undefined
          for (let i = 0; i < 60 && refusal === undefined; i++) {
            refusal = yield* create(team(`probe-${i}`, policy("orphan")))
            if (refusal === undefined) yield* Effect.sleep("500 millis")
          }
          assert.isDefined(refusal, "the policy never refused")
          assert.include(refusal, 'annotation auth.litellm.ai/deletion-policy must be "Delete" or "Orphan"')
          assert.include(refusal, 'not "orphan"')

          // The two policies and no annotation are accepted; a long wrong value is quoted cut.
          assert.isUndefined(yield* create(team("orphaned", policy("Orphan"))))
          assert.isUndefined(yield* create(team("deleted", policy("Delete"))))
          assert.isUndefined(yield* create(team("plain")))
          const long = "x".repeat(200)
          const longRefusal = yield* create(team("long", policy(long)))
          assert.include(longRefusal, `${"x".repeat(64)}…`)
          assert.notInclude(longRefusal, "x".repeat(65))
          // Every kind: a VirtualKey too.
          const keyRefusal = yield* attempt(() =>
            objects.create({
              apiVersion: "auth.litellm.ai/v1alpha1",
              kind: "VirtualKey",
              metadata: { name: "key", namespace: ns, annotations: policy("Retain") },
              spec: { connectionRef: { secretRef: { name: "litellm" } }, keyAlias: "key" }
            })
          )
          assert.include(keyRefusal, 'not "Retain"')

          // The object made before keeps its value through other changes (the operator removes its finalizer so),
          assert.isUndefined(yield* annotate("before", { unrelated: "yes" }))
          // may not change it to another wrong one, and may fix it.
          assert.include(yield* annotate("before", policy("retain")), 'not "retain"')
          assert.isUndefined(yield* annotate("before", policy("Orphan")))
          // A valid value may not become a wrong one.
          assert.include(yield* annotate("orphaned", policy("orphan")), 'not "orphan"')
          assert.isUndefined(yield* annotate("orphaned", policy("Delete")))
        } finally {
          yield* Effect.forEach(narrowed, (d) => Effect.promise(() => objects.delete(d).catch(() => undefined)), {
            discard: true
          })
        }
      }),
    60_000
  )

  it.effect("adds a ServiceMonitor only when asked", () =>
    Effect.sync(() => {
      assert.isFalse(render().some((d) => d.kind === "ServiceMonitor"))
      assert.isTrue(render("serviceMonitor.enabled=true").some((d) => d.kind === "ServiceMonitor"))
    })
  )
})
