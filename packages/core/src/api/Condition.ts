/** The standard Kubernetes condition (metav1.Condition). */
import { Schema } from "effect"

export const ConditionStatus = Schema.Literals(["True", "False", "Unknown"])
export type ConditionStatus = typeof ConditionStatus.Type

export const Condition = Schema.Struct({
  type: Schema.String.annotate({ description: "Type of the condition, such as Ready." }),
  status: ConditionStatus.annotate({ description: "Status of the condition: True, False or Unknown." }),
  observedGeneration: Schema.optionalKey(
    Schema.Int.annotate({ description: "The metadata.generation the condition was computed from." })
  ),
  lastTransitionTime: Schema.String.annotate({
    description: "When the condition last changed from one status to another (RFC 3339)."
  }),
  reason: Schema.String.annotate({ description: "A CamelCase reason for the condition's last transition." }),
  message: Schema.String.annotate({ description: "A human readable message with details about the transition." })
})
export type Condition = typeof Condition.Type

export const Conditions = Schema.Array(Condition)

/**
 * `status.observedGeneration`: the metadata.generation the status (its Ready
 * condition) was last computed from, where tools such as kstatus (Flux, kpt)
 * and the Go operator's CRDs look for it; the Ready condition carries it too.
 */
export const ObservedGeneration = Schema.Int.annotate({
  description:
    "ObservedGeneration is the metadata.generation the status and its Ready condition were last computed from"
})
