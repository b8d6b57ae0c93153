/**
 * Manifests applied as `kubectl apply --server-side` does, and the CRDs of
 * deploy/chart/crds installed and waited for until they are served. Local runs,
 * tests and benchmarks only: the operator's image never applies manifests.
 */
import { join } from "node:path"
import type { KubernetesObject } from "@kubernetes/client-node"
import { KubeConfig, KubernetesObjectApi, loadYaml, PatchStrategy } from "@kubernetes/client-node"
import { Effect, Schedule, Schema } from "effect"
import { dump } from "js-yaml"
import { KubeTransport } from "../client/KubeTransport.ts"
import { type Manifest, ManifestError, readManifestDirectory } from "../manifests/Manifests.ts"

/** deploy/chart/crds of this repository. */
export const crdDirectory = join(import.meta.dirname, "..", "..", "..", "..", "deploy", "chart", "crds")

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

const ApiFailure = Schema.Struct({ code: Schema.Number, body: Schema.optionalKey(Schema.Unknown) })
const StatusMessage = Schema.fromJsonString(Schema.Struct({ message: Schema.String }))

/** Why the server refused an object: its Status message, never the body of a Secret. */
const refusal = (manifest: Manifest, cause: unknown): string => {
  const failure = Schema.decodeUnknownOption(ApiFailure)(cause)
  if (failure._tag === "None") return describe(cause)
  if (manifest.header.kind === "Secret") return `HTTP ${failure.value.code}`
  const status = Schema.decodeUnknownOption(StatusMessage)(failure.value.body)
  return `HTTP ${failure.value.code}: ${status._tag === "Some" ? status.value.message : describe(cause)}`
}

/**
 * Server-side apply of each manifest (created or updated, as `kubectl apply
 * --server-side --force-conflicts`), in order, through client-node's
 * KubernetesObjectApi (it finds each kind's resource by discovery and writes
 * the objects in their wire form). A namespaced object without a namespace
 * goes to the kubeconfig context's namespace.
 *
 * KubernetesObjectApi writes a built-in kind from client-node's typed model,
 * which names some fields otherwise (a CRD's `x-kubernetes-validations`,
 * `enum`); each manifest is read into that model first (client-node's
 * `loadYaml`), or those fields would be dropped.
 */
export const applyManifests = Effect.fnUntraced(function* (
  kubeconfig: string,
  manifests: ReadonlyArray<Manifest>,
  options: { readonly fieldManager: string }
) {
  const objects = yield* Effect.try({
    try: () => {
      const kc = new KubeConfig()
      kc.loadFromFile(kubeconfig)
      return KubernetesObjectApi.makeApiClient(kc)
    },
    catch: (cause) => new ManifestError({ message: `cannot load kubeconfig ${kubeconfig}: ${describe(cause)}` })
  })
  for (const manifest of manifests) {
    yield* Effect.tryPromise({
      try: () =>
        objects.patch(
          loadYaml<KubernetesObject>(dump(manifest.object)),
          undefined,
          undefined,
          options.fieldManager,
          true,
          PatchStrategy.ServerSideApply
        ),
      catch: (cause) =>
        new ManifestError({
          message: `${manifest.source}: ${manifest.header.kind} ${manifest.header.metadata.name} was refused: ${refusal(manifest, cause)}`
        })
    })
  }
})

const CrdState = Schema.Struct({
  spec: Schema.Struct({
    group: Schema.String,
    names: Schema.Struct({ plural: Schema.String, kind: Schema.String }),
    versions: Schema.Array(Schema.Struct({ name: Schema.String }))
  }),
  status: Schema.optionalKey(
    Schema.Struct({
      conditions: Schema.optionalKey(Schema.Array(Schema.Struct({ type: Schema.String, status: Schema.String })))
    })
  )
})

class NotEstablished extends Schema.TaggedError<NotEstablished>()("NotEstablished", { message: Schema.String }) {}

/**
 * Applies every CRD of `dir` (deploy/chart/crds by default), waits until each
 * is Established, and takes the API server's first-write warm-up of each kind
 * (about 2 s) with a dry run, so the first real object is not slow. Returns
 * the CRDs' names.
 */
export const installCrds = Effect.fnUntraced(function* (kubeconfig: string, dir: string = crdDirectory) {
  const transport = yield* KubeTransport
  const crds = yield* readManifestDirectory(dir)
  yield* applyManifests(kubeconfig, crds, { fieldManager: "litellm-operator" })
  const names = crds.map((crd) => crd.header.metadata.name)
  for (const name of names) {
    const crd = yield* transport
      .request({ method: "GET", path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}` })
      .pipe(
        Effect.flatMap(Schema.decodeUnknownEffect(Schema.fromJsonString(CrdState))),
        Effect.flatMap((crd) =>
          crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") === true
            ? Effect.succeed(crd)
            : Effect.fail(new NotEstablished({ message: `${name}: ${JSON.stringify(crd.status?.conditions ?? [])}` }))
        ),
        Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 300 }),
        Effect.mapError((error) => new ManifestError({ message: `CRD ${name} not established: ${error.message}` }))
      )
    const { group, names: crdNames, versions } = crd.spec
    const version = versions[0]?.name ?? "v1"
    // Validation refuses the empty object; the server has readied the kind's storage by then.
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
