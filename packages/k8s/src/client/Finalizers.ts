/**
 * Finalizers on any kind (controller-runtime's controllerutil.AddFinalizer and
 * RemoveFinalizer, written through): `metadata.finalizers` is changed by a
 * merge patch with the object's resourceVersion as a precondition, so a
 * concurrent writer's finalizers are never dropped; on 409 the object is read
 * again and the change retried (`retryOnConflict`).
 */
import { spanIfTraced } from "@litellm-operator/core"
import { Effect, Option } from "effect"
import type { KubeObject, ObjectKey } from "../api/ObjectMeta.ts"
import { keyString } from "../api/ObjectMeta.ts"
import type { ResourceType } from "../api/ResourceType.ts"
import type { KubeVerbs } from "./KubeClient.ts"
import type { KubeError } from "./KubeError.ts"
import { cachedThenRead, isServerConflict, retryOnConflict } from "./retryOnConflict.ts"

export interface Finalizers {
  /** Adds `finalizer` unless present; `target` may be a (possibly stale) cached object, saving a read. */
  addFinalizer<A extends KubeObject, I>(
    type: ResourceType<A, I>,
    target: A | ObjectKey,
    finalizer: string
  ): Effect.Effect<A, KubeError>
  /** Removes `finalizer` if present; `None` when the object is gone (deleted once the last finalizer went). */
  removeFinalizer<A extends KubeObject, I>(
    type: ResourceType<A, I>,
    target: A | ObjectKey,
    finalizer: string
  ): Effect.Effect<Option.Option<A>, KubeError>
}

const isKey = (target: KubeObject | ObjectKey): target is ObjectKey => !("metadata" in target)

/** The finalizer helpers, over a client's generic verbs. */
export const finalizersOn = (verbs: Pick<KubeVerbs, "get" | "mergePatch">): Finalizers => {
  /** `change` says the new list, or `undefined` when there is nothing to write. */
  const changeFinalizers = <A extends KubeObject, I>(
    type: ResourceType<A, I>,
    target: A | ObjectKey,
    change: (finalizers: ReadonlyArray<string>) => ReadonlyArray<string> | undefined
  ): Effect.Effect<A, KubeError> => {
    const key = isKey(target) ? target : { namespace: target.metadata.namespace, name: target.metadata.name }
    const current = cachedThenRead(isKey(target) ? undefined : target, verbs.get(type, key))
    const attempt = Effect.gen(function* () {
      const object = yield* current
      const next = change(object.metadata.finalizers ?? [])
      if (next === undefined) return object
      return yield* verbs
        .mergePatch(type, key, { metadata: { finalizers: next, resourceVersion: object.metadata.resourceVersion } })
        .pipe(
          Effect.tapError((error) =>
            isServerConflict(error)
              ? Effect.logDebug(`finalizers of ${keyString(key)} changed concurrently; reading again`)
              : Effect.void
          )
        )
    })
    return retryOnConflict(attempt)
  }

  const addFinalizer = Effect.fnUntraced(function* <A extends KubeObject, I>(
    type: ResourceType<A, I>,
    target: A | ObjectKey,
    finalizer: string
  ): Effect.fn.Return<A, KubeError> {
    return yield* changeFinalizers(type, target, (fs) => (fs.includes(finalizer) ? undefined : [...fs, finalizer]))
  }, spanIfTraced("KubeClient.addFinalizer"))

  const removeFinalizer = Effect.fnUntraced(function* <A extends KubeObject, I>(
    type: ResourceType<A, I>,
    target: A | ObjectKey,
    finalizer: string
  ): Effect.fn.Return<Option.Option<A>, KubeError> {
    return yield* changeFinalizers(type, target, (fs) =>
      fs.includes(finalizer) ? fs.filter((f) => f !== finalizer) : undefined
    ).pipe(
      Effect.map(Option.some),
      Effect.catchReason("KubeError", "NotFound", () => Effect.succeed(Option.none<A>()))
    )
  }, spanIfTraced("KubeClient.removeFinalizer"))

  return { addFinalizer, removeFinalizer }
}
