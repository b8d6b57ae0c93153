/** The parts of Kubernetes object metadata the operator reads and writes. */
import { Schema } from "effect"

const opt = Schema.optionalKey

export const OwnerReference = Schema.Struct({
  apiVersion: Schema.String,
  kind: Schema.String,
  name: Schema.String,
  uid: Schema.String,
  controller: opt(Schema.Boolean),
  blockOwnerDeletion: opt(Schema.Boolean)
})
export type OwnerReference = typeof OwnerReference.Type

/** `metadata` of a namespaced object as the API server returns it. */
export const ObjectMeta = Schema.Struct({
  name: Schema.String,
  namespace: Schema.String,
  uid: Schema.String,
  resourceVersion: Schema.String,
  generation: opt(Schema.Int),
  creationTimestamp: opt(Schema.String),
  deletionTimestamp: opt(Schema.String),
  finalizers: opt(Schema.Array(Schema.String)),
  labels: opt(Schema.Record(Schema.String, Schema.String)),
  annotations: opt(Schema.Record(Schema.String, Schema.String)),
  ownerReferences: opt(Schema.Array(OwnerReference))
})
export type ObjectMeta = typeof ObjectMeta.Type

/** Where an object lives: what work queues carry and caches are keyed by. */
export const ObjectKey = Schema.Struct({
  namespace: Schema.NonEmptyString,
  name: Schema.NonEmptyString
})
export type ObjectKey = typeof ObjectKey.Type

/** `namespace/name`, the string form of a key. */
export const keyString = (key: ObjectKey): string => `${key.namespace}/${key.name}`

export const keyOf = (object: {
  readonly metadata: { readonly namespace: string; readonly name: string }
}): ObjectKey => ({
  namespace: object.metadata.namespace,
  name: object.metadata.name
})

/** Any object the adapter handles: type meta plus metadata. */
export interface KubeObject {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: ObjectMeta
}

/** A label selector in the API's string syntax from exact matches: `{a: "1", b: "2"}` → `a=1,b=2`. */
export const labelSelector = (labels: Readonly<Record<string, string>>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",")
