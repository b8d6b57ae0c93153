/**
 * A resource the adapter can read, write and watch: where it lives in the API
 * and the schema that decodes one object. Everything in this package is
 * generic over it, so the custom kinds, Secrets, Leases and Events share one
 * client, one error mapping and one informer.
 */
import type { Schema } from "effect"
import type { KubeObject, ObjectKey } from "./ObjectMeta.ts"

export interface ResourceType<A extends KubeObject, I = unknown> {
  /** "" for the core group (`/api/v1`). */
  readonly group: string
  readonly version: string
  readonly kind: string
  readonly plural: string
  readonly schema: Schema.Codec<A, I>
  /** Objects hold secrets: decoding failures and server messages about them are not echoed into errors. */
  readonly sensitive?: boolean
  /**
   * Read as PartialObjectMetadata: the server sends metadata only (for a
   * Secret, never its data). For gets, lists and watches; `schema` decodes
   * the metadata object.
   */
  readonly metadataOnly?: boolean
}

const partialMetadata = "g=meta.k8s.io;v=v1"

/** The Accept header for reading `type`: one object (or watch events) or a list. */
export const acceptOf = (type: ResourceType<KubeObject>, shape: "object" | "list"): string =>
  type.metadataOnly !== true
    ? "application/json"
    : shape === "list"
      ? `application/json;as=PartialObjectMetadataList;${partialMetadata}`
      : `application/json;as=PartialObjectMetadata;${partialMetadata}`

export const apiVersionOf = (type: ResourceType<KubeObject>): string =>
  type.group === "" ? type.version : `${type.group}/${type.version}`

export const collectionPath = (type: ResourceType<KubeObject>, namespace?: string): string => {
  const root = type.group === "" ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`
  const ns = namespace === undefined ? "" : `/namespaces/${encodeURIComponent(namespace)}`
  return `${root}${ns}/${type.plural}`
}

export const objectPath = (type: ResourceType<KubeObject>, key: ObjectKey): string =>
  `${collectionPath(type, key.namespace)}/${encodeURIComponent(key.name)}`
