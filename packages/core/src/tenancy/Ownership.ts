/**
 * Which object owns a LiteLLM team, user or key (decision 9). The operator
 * writes an owner marker into the metadata of everything it creates or
 * adopts; an object may change a LiteLLM object only when that marker names
 * it. The marker is written by the operator from the object's own identity:
 * a marker in a spec's metadata is dropped before planning and never trusted.
 */
import { Option, Schema } from "effect"

/** The LiteLLM metadata key that holds the owner marker. */
export const ownerMetadataKey = "auth.litellm.ai/owner"

/** On an object: take over a LiteLLM object that exists and that no object of this operator owns. */
export const adoptAnnotation = "auth.litellm.ai/adopt"

/**
 * On a VirtualKey with neither `key` nor `keySecretRef`: the sha256 token of
 * an existing LiteLLM key to adopt without knowing its value (what `export`
 * writes). The operator manages the key's settings; having no value, it
 * writes no key Secret, and cannot make the key again if it is gone.
 */
export const adoptTokenAnnotation = "auth.litellm.ai/adopt-token"

/** An object of one operator installation, as the marker records it. */
export const OwnerRef = Schema.Struct({
  /** Names the operator installation (its `--installation-id`), so several clusters can share one LiteLLM. */
  installation: Schema.String,
  namespace: Schema.String,
  kind: Schema.String,
  name: Schema.String,
  uid: Schema.String
})
export type OwnerRef = typeof OwnerRef.Type

const OwnerMarkerJson = Schema.fromJsonString(OwnerRef)
const decodeMarker = Schema.decodeUnknownOption(OwnerMarkerJson)

/** The marker's value: a JSON object with a fixed key order, so equal owners give equal strings. */
export const ownerMarker = (owner: OwnerRef): string =>
  JSON.stringify({
    installation: owner.installation,
    namespace: owner.namespace,
    kind: owner.kind,
    name: owner.name,
    uid: owner.uid
  })

/** The owner a LiteLLM object's metadata names; none when there is no marker, or one that does not decode. */
export const ownerOf = (metadata: { readonly [key: string]: unknown } | null | undefined): Option.Option<OwnerRef> => {
  const value = metadata?.[ownerMetadataKey]
  return typeof value === "string" ? decodeMarker(value) : Option.none()
}

/**
 * The metadata to ask LiteLLM for: the spec's, with the owner marker set from
 * the object's own identity (a marker key in the spec is replaced, never
 * trusted, and said in a warning).
 */
export const withOwnerMarker = (
  metadata: { readonly [key: string]: string } | undefined,
  owner: OwnerRef
): { readonly metadata: { readonly [key: string]: string }; readonly warnings: ReadonlyArray<string> } => ({
  metadata: { ...metadata, [ownerMetadataKey]: ownerMarker(owner) },
  warnings:
    metadata !== undefined && ownerMetadataKey in metadata
      ? [`metadata key ${ownerMetadataKey} is reserved for the operator's owner marker; the spec's value was replaced`]
      : []
})

/** What an object may do with the LiteLLM object it names. */
export type Ownership =
  /** LiteLLM has no such object: the object may create it. */
  | { readonly _tag: "Absent" }
  /** The object owns it (its marker, or an object this operator made before markers existed). */
  | { readonly _tag: "Owned"; readonly adopted: boolean }
  /** Another object owns it: no write, ever. */
  | { readonly _tag: "OwnedElsewhere"; readonly message: string }
  /** It exists and nobody here owns it; adopting it needs the object's annotation and the connection's consent. */
  | { readonly _tag: "AdoptionRefused"; readonly message: string }

export interface OwnershipInput {
  /** The object asking. */
  readonly self: OwnerRef
  /** How messages name the LiteLLM object, e.g. `team "search"`. */
  readonly what: string
  /** Whether LiteLLM has the object. */
  readonly exists: boolean
  /** Its metadata as read. */
  readonly metadata: { readonly [key: string]: unknown } | null | undefined
  /**
   * The object's status already records this LiteLLM object (its id or token):
   * it was made by this operator before the marker existed, or by this object.
   */
  readonly recorded: boolean
  /** The object carries `auth.litellm.ai/adopt: "true"`. */
  readonly adoptRequested: boolean
  /** The connection allows adoption (`auth.litellm.ai/allow-adoption: "true"` on its Secret). */
  readonly adoptionAllowed: boolean
  /** The connection Secret, to name in messages. */
  readonly connectionSecret: string
  /** Whether the owner a marker names no longer exists in this cluster (asked only for this installation's markers). */
  readonly ownerGone: (owner: OwnerRef) => boolean
}

const adoptionMessage = (input: OwnershipInput, prefix: string): string => {
  const missing = [
    ...(input.adoptRequested ? [] : [`the annotation ${adoptAnnotation}: "true" on this object`]),
    ...(input.adoptionAllowed
      ? []
      : [`the annotation auth.litellm.ai/allow-adoption: "true" on the connection Secret ${input.connectionSecret}`])
  ]
  return `${prefix}; adopting it needs ${missing.join(" and ")}`
}

/**
 * The ownership rule. A marker naming this object's uid is ownership, whatever
 * the installation; a live owner elsewhere is refused; an owner that is gone
 * from this cluster leaves the LiteLLM object unowned, and the same namespace
 * (the same tenant) may take it back without asking.
 */
export const decideOwnership = (input: OwnershipInput): Ownership => {
  if (!input.exists) return { _tag: "Absent" }
  const owner = ownerOf(input.metadata)
  if (Option.isSome(owner)) {
    const o = owner.value
    if (o.uid === input.self.uid) return { _tag: "Owned", adopted: false }
    const sameInstallation = o.installation === input.self.installation
    if (sameInstallation && input.ownerGone(o)) {
      if (o.namespace === input.self.namespace) return { _tag: "Owned", adopted: true }
      if (input.adoptRequested && input.adoptionAllowed) return { _tag: "Owned", adopted: true }
      return {
        _tag: "AdoptionRefused",
        message: adoptionMessage(input, `${input.what} was made for an object that no longer exists`)
      }
    }
    const message = !sameInstallation
      ? `${input.what} belongs to another operator installation (${JSON.stringify(o.installation)})`
      : o.namespace === input.self.namespace
        ? `${input.what} belongs to ${o.kind} ${o.namespace}/${o.name}`
        : `${input.what} belongs to an object in another namespace`
    return { _tag: "OwnedElsewhere", message: `${message}; this object may not change or delete it` }
  }
  if (input.recorded) return { _tag: "Owned", adopted: false }
  if (input.adoptRequested && input.adoptionAllowed) return { _tag: "Owned", adopted: true }
  return {
    _tag: "AdoptionRefused",
    message: adoptionMessage(input, `${input.what} already exists in LiteLLM and was not made by this object`)
  }
}
