/**
 * Manifests as `kubectl apply -f` reads them: YAML files of Kubernetes objects,
 * parsed as plain objects (js-yaml, no typed models), and objects written
 * back as one multi-document YAML text.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Schema } from "effect"
import { dump, loadAll } from "js-yaml"

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

/** A manifest's object as the file says it: every field kept, its metadata an object. */
export const ManifestObject = Schema.StructWithRest(
  Schema.Struct({ metadata: Schema.Record(Schema.String, Schema.Unknown) }),
  [Schema.Record(Schema.String, Schema.Unknown)]
)
export type ManifestObject = typeof ManifestObject.Type

/** One object of a manifest file: its header, and the object itself. */
export interface Manifest {
  readonly header: ManifestHeader
  readonly object: ManifestObject
  /** The file it came from, for messages. */
  readonly source: string
}

const decodeHeader = Schema.decodeUnknownEffect(ManifestHeader)
const decodeObject = Schema.decodeUnknownEffect(ManifestObject)

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** Parses every document of a YAML text (empty documents are skipped). */
export const parseManifests = Effect.fnUntraced(function* (text: string, source: string) {
  const documents = yield* Effect.try({
    try: () => loadAll(text),
    catch: (cause) => new ManifestError({ message: `${source}: not valid YAML: ${describe(cause)}` })
  })
  const out: Array<Manifest> = []
  for (const document of documents) {
    if (document === null || document === undefined) continue
    const notAnObject = (error: Schema.SchemaError) =>
      new ManifestError({ message: `${source}: not a Kubernetes object: ${error.message}` })
    const header = yield* decodeHeader(document).pipe(Effect.mapError(notAnObject))
    const object = yield* decodeObject(document).pipe(Effect.mapError(notAnObject))
    out.push({ header, object, source })
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

/** Objects as one multi-document YAML text, as `kubectl apply -f` reads it; each object's keys in its own order. */
export const renderManifests = (objects: ReadonlyArray<object>): string =>
  objects.map((object) => dump(object)).join("---\n")
