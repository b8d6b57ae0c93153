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

/**
 * The policy for one object: the annotation when it names a valid policy,
 * otherwise `Delete` for what the operator created and `Orphan` for what it adopted.
 */
export const deletionPolicyFor = (options: {
  readonly annotation: string | undefined
  readonly adopted: boolean
}): DeletionPolicy => {
  if (options.annotation === "Delete" || options.annotation === "Orphan") return options.annotation
  return options.adopted ? "Orphan" : "Delete"
}
