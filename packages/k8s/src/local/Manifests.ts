/**
 * Manifests as `kubectl apply -f` takes them: YAML files parsed with
 * client-node's `loadAllYaml`, each object applied with server-side apply to
 * the resource that discovery names for its apiVersion and kind; and the
 * CRDs of deploy/chart/crds installed and waited for until they are served.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import type { KubernetesObject } from "@kubernetes/client-node"
import { dumpYaml, KubeConfig, KubernetesObjectApi, loadAllYaml, PatchStrategy } from "@kubernetes/client-node"
import { Effect, Schedule, Schema } from "effect"
import { KubeTransport } from "../client/KubeTransport.ts"

/** deploy/chart/crds of this repository. */
export const crdDirectory = join(import.meta.dirname, "..", "..", "..", "..", "deploy", "chart", "crds")

export class ManifestError extends Schema.TaggedError<ManifestError>()("ManifestError", {
  message: Schema.String
}) {}

/** What every manifest must say about itself. */
export const ManifestHeader = Schema.Struct({
  apiVersion: Schema.NonEmptyString,
  kind: Schema.NonEmptyString,
  metadata: Schema.Struct({ name: Schema.NonEmptyString, namespace: Schema.optionalKey(Schema.NonEmptyString) })
})
export type ManifestHeader = typeof ManifestHeader.Type

/** One object of a manifest file: its header, and the object as client-node's model (it serializes it). */
export interface Manifest {
  readonly header: ManifestHeader
  readonly object: KubernetesObject
  /** The file it came from, for messages. */
  readonly source: string
}

const decodeHeader = Schema.decodeUnknownEffect(ManifestHeader)

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** Parses every document of a YAML text (empty documents are skipped). */
export const parseManifests = Effect.fnUntraced(function* (text: string, source: string) {
  const documents = yield* Effect.try({
    try: () => loadAllYaml(text),
    catch: (cause) => new ManifestError({ message: `${source}: not valid YAML: ${describe(cause)}` })
  })
  const out: Array<Manifest> = []
  for (const document of documents) {
    if (document === null || document === undefined) continue
    const header = yield* decodeHeader(document).pipe(
      Effect.mapError((error) => new ManifestError({ message: `${source}: not a Kubernetes object: ${error.message}` }))
    )
    out.push({ header, object: document, source })
  }
  return out
})

/** Every `*.yaml` / `*.yml` file of a directory, in name order. */
export const readManifestDirectory = Effect.fnUntraced(function* (dir: string) {
  const files = yield* Effect.try({
    try: () =>
      readdirSync(dir)
        .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
        .sort(),
    catch: (cause) => new ManifestError({ message: `cannot read ${dir}: ${describe(cause)}` })
  })
  const out: Array<Manifest> = []
  for (const file of files) {
    const path = join(dir, file)
    const text = yield* Effect.try({
      try: () => readFileSync(path, "utf8"),
      catch: (cause) => new ManifestError({ message: `cannot read ${path}: ${describe(cause)}` })
    })
    out.push(...(yield* parseManifests(text, file)))
  }
  return out
})

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
        objects.patch(manifest.object, undefined, undefined, options.fieldManager, true, PatchStrategy.ServerSideApply),
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

/**
 * Objects as one multi-document YAML text, as `kubectl apply -f` reads it.
 * Custom kinds are dumped as they are (client-node has no model for them).
 */
export const renderManifests = (objects: ReadonlyArray<object>): string =>
  objects.map((object) => dumpYaml(object)).join("---\n")
