/**
 * What the operator keeps of one of the four kinds in its informers' caches.
 *
 * A tenant may put anything in its objects' labels and annotations (up to
 * 256 KiB of annotations each, as the API server allows), and the operator
 * reads none of it but its own `auth.litellm.ai/` annotations, whose valid
 * values are a few characters. So the cache keeps only those, each cut at
 * `annotationValueLimit` characters (a value that long is invalid either way),
 * and no labels: what a tenant adds to its objects costs the operator's memory
 * nothing. Writes to these objects are merge patches, so nothing left out of
 * the cache is ever written back.
 *
 * Finalizers are the one list the operator writes whole (a merge patch under
 * the object's resourceVersion), and a tenant may add any number. Past
 * `finalizersKept` the cache keeps only the operator's own, and an entry that
 * says how many were left out (`leftOutFinalizers`), which is no valid
 * finalizer name: the API server refuses it should it ever be written back.
 * Such an object's finalizers are changed from a fresh read instead.
 */
import { jsonCopy } from "@litellm-operator/core"
import type { CustomObject } from "@litellm-operator/k8s"
import { finalizer } from "./finalizer.ts"

/** The prefix of every annotation the operator reads on its objects. */
export const operatorAnnotationPrefix = "auth.litellm.ai/"

/** The longest annotation value kept (the operator's valid values are far shorter). */
export const annotationValueLimit = 1024

/** The object's `auth.litellm.ai/` annotations, each value cut at `annotationValueLimit` characters. */
export const operatorAnnotations = (object: CustomObject<unknown>): Record<string, string> => {
  const kept: Record<string, string> = {}
  for (const [key, value] of Object.entries(object.metadata.annotations ?? {})) {
    if (key.startsWith(operatorAnnotationPrefix)) kept[key] = value.slice(0, annotationValueLimit)
  }
  return kept
}

/** The most finalizers kept as they are (objects carry one to three). */
export const finalizersKept = 16

const leftOutPattern = /^\(\d+ finalizers left out of the cache\)$/

/** Whether the cached object's finalizers were cut: write them from a fresh read. */
export const leftOutFinalizers = (object: CustomObject<unknown>): boolean =>
  object.metadata.finalizers?.some((f) => leftOutPattern.test(f)) === true

const keptFinalizers = (finalizers: ReadonlyArray<string>): ReadonlyArray<string> => {
  if (finalizers.length <= finalizersKept) return finalizers
  const ours = finalizers.includes(finalizer) ? [finalizer] : []
  return [...ours, `(${finalizers.length - ours.length} finalizers left out of the cache)`]
}

/**
 * The object as cached: its `auth.litellm.ai/` annotations only, no labels, at most `finalizersKept`
 * finalizers, laid out as `JSON.parse` lays data out (about 0.75 KB less per object).
 */
export const cachedForm = <A extends CustomObject<unknown>>(object: A): A => {
  const { labels: _labels, annotations: _annotations, finalizers, ...rest } = object.metadata
  const annotations = operatorAnnotations(object)
  const metadata = finalizers === undefined ? rest : { ...rest, finalizers: keptFinalizers(finalizers) }
  return jsonCopy({
    ...object,
    metadata: Object.keys(annotations).length === 0 ? metadata : { ...metadata, annotations }
  })
}
