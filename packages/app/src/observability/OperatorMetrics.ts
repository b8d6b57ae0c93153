/** The operator's own metrics; LiteLLM call metrics live with the LiteLLM client. */
import { Metric } from "effect"

export const reconcilesTotal = Metric.counter("litellm_operator_reconciles_total", {
  description: "Reconciles by kind and result (success, error)"
})

export const reconcileDuration = Metric.histogram("litellm_operator_reconcile_duration_seconds", {
  description: "Time one reconcile took, by kind",
  boundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
})

export const reconcileErrorsTotal = Metric.counter("litellm_operator_reconcile_errors_total", {
  description: "Failed reconciles by kind and reason (the Ready condition's reason)"
})

export const queueDepth = Metric.gauge("litellm_operator_workqueue_depth", {
  description: "Keys ready to be reconciled, by kind, published whenever it changes"
})

export const litellmWritesTotal = Metric.counter("litellm_operator_litellm_writes_total", {
  description: "LiteLLM calls made by plans, by kind and action"
})

export const statusPatchesTotal = Metric.counter("litellm_operator_status_patches_total", {
  description: "Status patches written to the API server, by kind"
})

export const refusalsTotal = Metric.counter("litellm_operator_refusals_total", {
  description:
    "Reconciles refused in a way retrying cannot change (LiteLLM 400/401/403/409/422, ownership, policy), by kind and reason; such objects are not retried until their spec or connection changes"
})

export const objectsNotReady = Metric.gauge("litellm_operator_objects_not_ready", {
  description:
    "Objects whose Ready condition is not True, by kind and reason (Pending: not reconciled yet), kept from the informers' events"
})

export const objectsTotal = Metric.gauge("litellm_operator_objects", {
  description: "Objects the operator watches, by kind, kept from the informers' events"
})

export const isLeader = Metric.gauge("litellm_operator_leader", {
  description:
    "1 while this replica leads (runs the controllers), 0 while it stands by; across replicas the sum is 1 and each change of leader shows as a change of this gauge"
})
