/**
 * Secrets an object owns (controller-runtime's controllerutil.CreateOrUpdate
 * with a controller reference): created, or updated to the wanted data,
 * labels and annotations, and left alone when they already match. Values stay
 * `Redacted` until the Secret's schema encodes them for the wire.
 *
 * An update is a merge patch of what the owner wants, with the version it was
 * decided from as precondition: what others put on the Secret (labels,
 * annotations, other data entries) stays, and the version it is decided from
 * need hold nothing else (the operator's cache keeps only its own fields).
 */
import { spanIfTraced } from "@litellm-operator/core"
import { Effect, Option, Redacted, Schema } from "effect"
import type { ObjectKey } from "../api/ObjectMeta.ts"
import { keyString } from "../api/ObjectMeta.ts"
import { type Secret, SecretData, Secrets } from "../api/Secret.ts"
import type { KubeVerbs } from "./KubeClient.ts"
import { Conflict, Invalid, KubeError, Malformed } from "./KubeError.ts"
import { controllerReference, isOwnedBy } from "./OwnerReferences.ts"
import { retryOnConflict } from "./retryOnConflict.ts"

/** What `applyOwnedSecret` makes exist. */
export const OwnedSecret = Schema.Struct({
  namespace: Schema.NonEmptyString,
  name: Schema.NonEmptyString,
  /** The object the Secret belongs to (same namespace); it becomes the controller owner reference. */
  owner: Schema.Struct({
    apiVersion: Schema.NonEmptyString,
    kind: Schema.NonEmptyString,
    name: Schema.NonEmptyString,
    uid: Schema.NonEmptyString
  }),
  labels: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  annotations: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  type: Schema.optionalKey(Schema.String),
  data: Schema.Record(Schema.String, Schema.Redacted(Schema.String))
})
export type OwnedSecret = typeof OwnedSecret.Type

export interface OwnedSecrets {
  readSecret(key: ObjectKey): Effect.Effect<Secret, KubeError>
  /**
   * Creates the Secret, or updates it to the given data, labels and owner
   * reference; writes nothing when it already matches. A Secret of that
   * name that is not owned by `owner` is left alone (Conflict).
   *
   * With `current` (what a cache holds: the Secret, or none), that stands in
   * for the first read, and a write it made stale is not retried: a 409
   * (Conflict) or 404 (NotFound) fails, so the caller reads afresh and
   * decides again what to write (a key value must never be chosen from a
   * stale read).
   */
  applyOwnedSecret(
    secret: OwnedSecret,
    options?: { readonly current?: Option.Option<Secret> }
  ): Effect.Effect<Secret, KubeError>
}

/** Every wanted entry holds its value (entries others added do not matter). */
const sameData = (a: Secret["data"], b: OwnedSecret["data"]): boolean =>
  Object.entries(b).every(([k, v]) => {
    const mine = a?.[k]
    return mine !== undefined && Redacted.value(mine) === Redacted.value(v)
  })

/** The owned-Secret helpers, over a client's generic verbs. */
export const ownedSecretsOn = (verbs: Pick<KubeVerbs, "get" | "create" | "mergePatch">): OwnedSecrets => {
  const readSecret = Effect.fnUntraced(function* (key: ObjectKey): Effect.fn.Return<Secret, KubeError> {
    return yield* verbs.get(Secrets, key)
  }, spanIfTraced("KubeClient.readSecret"))

  const applyOwnedSecret = Effect.fnUntraced(function* (
    input: OwnedSecret,
    options?: { readonly current?: Option.Option<Secret> }
  ): Effect.fn.Return<Secret, KubeError> {
    const operation = `apply Secret ${input.namespace}/${input.name}`
    const secret = yield* Schema.decodeUnknownEffect(OwnedSecret)(input).pipe(
      Effect.mapError(
        (e) => new KubeError({ operation, reason: new Invalid({ message: e.message.slice(0, 500), causes: [] }) })
      )
    )
    const key = { namespace: secret.namespace, name: secret.name }
    const labels = secret.labels ?? {}
    const annotations = secret.annotations ?? {}

    const encodedData = Schema.encodeEffect(SecretData)(secret.data).pipe(
      Effect.mapError(
        () => new KubeError({ operation, reason: new Malformed({ message: "a Secret that cannot be encoded" }) })
      )
    )

    const create = Effect.gen(function* () {
      const data = yield* encodedData
      return yield* verbs.create(Secrets, {
        metadata: { ...key, labels, annotations, ownerReferences: [controllerReference(secret.owner)] },
        type: secret.type ?? "Opaque",
        data
      })
    })

    const update = (current: Secret): Effect.Effect<Secret, KubeError> => {
      if (!isOwnedBy(current, secret.owner.uid)) {
        return Effect.fail(
          new KubeError({
            operation,
            reason: new Conflict({
              message: `Secret ${keyString(key)} exists and is not owned by ${secret.owner.kind} ${secret.owner.name}`,
              alreadyExists: true
            })
          })
        )
      }
      const currentLabels = current.metadata.labels ?? {}
      const currentAnnotations = current.metadata.annotations ?? {}
      const upToDate =
        sameData(current.data, secret.data) &&
        (secret.type === undefined || current.type === secret.type) &&
        Object.entries(labels).every(([k, v]) => currentLabels[k] === v) &&
        Object.entries(annotations).every(([k, v]) => currentAnnotations[k] === v)
      if (upToDate) return Effect.succeed(current)
      return Effect.flatMap(encodedData, (data) =>
        verbs.mergePatch(Secrets, key, {
          metadata: {
            resourceVersion: current.metadata.resourceVersion,
            ...(Object.keys(labels).length === 0 ? {} : { labels }),
            ...(Object.keys(annotations).length === 0 ? {} : { annotations })
          },
          ...(secret.type === undefined ? {} : { type: secret.type }),
          data
        })
      )
    }

    const write = (existing: Option.Option<Secret>) => Option.match(existing, { onNone: () => create, onSome: update })
    // From a cache: one attempt; a write the cache made stale fails, and the caller decides again from a fresh read.
    if (options?.current !== undefined) return yield* write(options.current)
    // A 409 from the server (someone wrote in between, or created it first): read again and retry.
    return yield* retryOnConflict(
      verbs.get(Secrets, key).pipe(
        Effect.map(Option.some),
        Effect.catchReason("KubeError", "NotFound", () => Effect.succeed(Option.none<Secret>())),
        Effect.flatMap(write)
      )
    )
  }, spanIfTraced("KubeClient.applyOwnedSecret"))

  return { readSecret, applyOwnedSecret }
}
