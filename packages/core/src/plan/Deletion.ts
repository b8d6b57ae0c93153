/** What happens in LiteLLM when the Kubernetes object is deleted. */
import { Schema } from "effect"

/** `Delete` removes the LiteLLM object; `Orphan` leaves it in place. */
export const DeletionPolicy = Schema.Literals(["Delete", "Orphan"])
export type DeletionPolicy = typeof DeletionPolicy.Type

/** The annotation that overrides the default policy on one object: `Delete` or `Orphan`. */
export const deletionPolicyAnnotation = "auth.litellm.ai/deletion-policy"

/** Set by the operator when an object took over a LiteLLM object it did not create. */
export const adoptedAnnotation = "auth.litellm.ai/adopted"

/** Whether the object is being deleted, and what to do with its LiteLLM counterpart. */
export interface Lifecycle {
  readonly deleting: boolean
  readonly deletionPolicy: DeletionPolicy
}

/** The policy an object asks for, or why its annotation names none. */
export type DeletionPolicyResult =
  | { readonly _tag: "Valid"; readonly policy: DeletionPolicy }
  | { readonly _tag: "Invalid"; readonly message: string }

/** The longest part of a wrong value that a message quotes. */
const quotedLimit = 64

/**
 * The policy for one object: the annotation's, otherwise `Delete` for what the operator created and
 * `Orphan` for what it adopted. Any other value is `Invalid`, never a default: read as `Delete`, a
 * misspelt `orphan` would delete what the user meant to keep.
 */
export const deletionPolicyFor = (options: {
  readonly annotation: string | undefined
  readonly adopted: boolean
}): DeletionPolicyResult => {
  const { annotation } = options
  if (annotation === undefined) return { _tag: "Valid", policy: options.adopted ? "Orphan" : "Delete" }
  if (annotation === "Delete" || annotation === "Orphan") return { _tag: "Valid", policy: annotation }
  const quoted = annotation.length > quotedLimit ? `${annotation.slice(0, quotedLimit)}…` : annotation
  return {
    _tag: "Invalid",
    message: `annotation ${deletionPolicyAnnotation} must be "Delete" or "Orphan" (case matters), not ${JSON.stringify(quoted)}`
  }
}
