/**
 * Test support: installs the committed CRD manifests (deploy/chart/crds) as
 * `kubectl apply -f` would, and waits until the API server serves them.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import type { KubernetesObject, V1CustomResourceDefinition } from "@kubernetes/client-node"
import { KubeConfig, KubernetesObjectApi, loadYaml } from "@kubernetes/client-node"
import { Effect, Schedule, Schema } from "effect"
import { KubeTransport } from "../../src/index.ts"

export const crdDir = join(import.meta.dirname, "..", "..", "..", "..", "deploy", "chart", "crds")

const CrdState = Schema.Struct({
  status: Schema.optionalKey(
    Schema.Struct({
      conditions: Schema.optionalKey(
        Schema.Array(
          Schema.Struct({
            type: Schema.String,
            status: Schema.String,
            message: Schema.optionalKey(Schema.String)
          })
        )
      )
    })
  )
})

class NotEstablished extends Schema.TaggedError<NotEstablished>()("NotEstablished", {
  message: Schema.String
}) {}

/** Creates every CRD in `dir` (the server rejects a bad one with its reasons) and waits for Established. */
export const installCrds = Effect.fn("installCrds")(function* (kubeconfig: string, dir: string = crdDir) {
  const kc = new KubeConfig()
  kc.loadFromFile(kubeconfig)
  const objects = KubernetesObjectApi.makeApiClient(kc)
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"))
  const names: Array<string> = []
  for (const file of files) {
    const manifest = loadYaml<KubernetesObject>(readFileSync(join(dir, file), "utf8"))
    yield* Effect.tryPromise({
      try: () => objects.create(manifest),
      catch: (cause) =>
        new Error(`the API server rejected ${file}: ${cause instanceof Error ? cause.message : String(cause)}`)
    })
    names.push(manifest.metadata?.name ?? file)
  }
  const transport = yield* KubeTransport
  for (const name of names) {
    yield* transport
      .request({ method: "GET", path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}` })
      .pipe(
        Effect.flatMap(Schema.decodeUnknownEffect(Schema.fromJsonString(CrdState))),
        Effect.flatMap((crd) => {
          const established = crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")
          return established === true
            ? Effect.void
            : Effect.fail(new NotEstablished({ message: `${name}: ${JSON.stringify(crd.status?.conditions ?? [])}` }))
        }),
        Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 300 })
      )
  }
  // The first write of each kind waits about 2 s on the server (its storage getting ready); take that
  // here with a dry run that validation refuses, so tests measure themselves, not the warm-up.
  for (const file of files) {
    const manifest = loadYaml<V1CustomResourceDefinition>(readFileSync(join(dir, file), "utf8"))
    const { group, names: crdNames, versions } = manifest.spec
    const version = versions[0]?.name ?? "v1"
    yield* transport
      .request({
        method: "POST",
        path: `/apis/${group}/${version}/namespaces/default/${crdNames.plural}`,
        query: { dryRun: "All" },
        body: { apiVersion: `${group}/${version}`, kind: crdNames.kind, metadata: { name: "warm-up" }, spec: {} }
      })
      .pipe(Effect.ignore)
  }
  return names
})
