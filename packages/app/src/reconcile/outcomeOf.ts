/** The Ready condition for a failed reconcile: a reason in one word and a message without secrets. */
import type { Outcome } from "@litellm-operator/core"
import { failed } from "@litellm-operator/core"
import type { KubeError } from "@litellm-operator/k8s"
import type { LiteLLMError } from "@litellm-operator/litellm"
import type { AmbiguousReference, ConnectionUnavailable, DependencyNotReady, SecretConflict } from "./ReconcileError.ts"

export type ReconcileFailure =
  | LiteLLMError
  | KubeError
  | ConnectionUnavailable
  | DependencyNotReady
  | AmbiguousReference
  | SecretConflict

export const outcomeOf = (error: ReconcileFailure): Outcome => {
  switch (error._tag) {
    case "ConnectionUnavailable":
      return failed("ConnectionError", error.message)
    case "DependencyNotReady":
      return failed("DependencyNotReady", error.message)
    case "AmbiguousReference":
      return failed("AmbiguousReference", error.message)
    case "SecretConflict":
      return failed("Conflict", error.message)
    case "KubeError":
      return failed("ConnectionError", error.message)
    case "LiteLLMError":
      return error.reason._tag === "Unauthorized"
        ? failed("ConnectionError", `LiteLLM rejected the master key: ${error.message}`)
        : failed("LiteLLMError", error.message)
  }
}
