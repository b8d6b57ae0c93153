/** Secrets: values are `Redacted` from the moment they are decoded, so they cannot reach logs or errors. */
import { Schema } from "effect"
import { ObjectMeta } from "./ObjectMeta.ts"
import type { ResourceType } from "./ResourceType.ts"

/** `data` as the API carries it (base64), decoded to redacted UTF-8 strings. */
export const SecretData = Schema.Record(Schema.String, Schema.RedactedFromValue(Schema.StringFromBase64))
export type SecretData = typeof SecretData.Type

export const Secret = Schema.Struct({
  apiVersion: Schema.Literal("v1"),
  kind: Schema.Literal("Secret"),
  metadata: ObjectMeta,
  type: Schema.optionalKey(Schema.String),
  immutable: Schema.optionalKey(Schema.Boolean),
  data: Schema.optionalKey(SecretData)
})
export type Secret = typeof Secret.Type

export const Secrets: ResourceType<Secret, typeof Secret.Encoded> = {
  group: "",
  version: "v1",
  kind: "Secret",
  plural: "secrets",
  schema: Secret,
  sensitive: true
}

/** A Secret's metadata without its data (PartialObjectMetadata): enough to know it exists and when it changed. */
export const SecretMetadata = Schema.Struct({
  apiVersion: Schema.String,
  kind: Schema.String,
  metadata: ObjectMeta
})
export type SecretMetadata = typeof SecretMetadata.Type

/** Secrets read as metadata only: watching them never brings any Secret's data into memory. */
export const SecretsMetadata: ResourceType<SecretMetadata, typeof SecretMetadata.Encoded> = {
  group: "",
  version: "v1",
  kind: "Secret",
  plural: "secrets",
  schema: SecretMetadata,
  sensitive: true,
  metadataOnly: true
}
