/** The Ready condition for a failed reconcile: a reason in one word and a message without secrets. */
import type { Failed } from "@litellm-operator/core"
import { failed } from "@litellm-operator/core"
import type { KubeError } from "@litellm-operator/k8s"
import type { LiteLLMError } from "@litellm-operator/litellm"
import type {
  AdoptedKeyUnusable,
  AmbiguousReference,
  ConnectionUnavailable,
  DependencyNotReady,
  InvalidAnnotation,
  KeySecretUnusable,
  OwnershipRefused,
  PolicyDenied,
  SecretConflict
} from "./ReconcileError.ts"

export type ReconcileFailure =
  | LiteLLMError
  | KubeError
  | ConnectionUnavailable
  | DependencyNotReady
  | AmbiguousReference
  | SecretConflict
  | OwnershipRefused
  | PolicyDenied
  | KeySecretUnusable
  | AdoptedKeyUnusable
  | InvalidAnnotation

/**
 * A refusal that trying again cannot change until the spec, the connection,
 * or a long time changes: LiteLLM's 400/409/422 (invalid, already exists),
 * 403 (a feature or licence), 401 (a wrong credential), and the operator's own
 * ownership refusals. Everything else (5xx, 429, timeouts, a missing Secret, a
 * dependency not ready yet) is transient and backs off as usual.
 */
export const isPermanent = (error: ReconcileFailure): boolean => {
  switch (error._tag) {
    case "OwnershipRefused":
      return true
    case "LiteLLMError":
      switch (error.reason._tag) {
        case "Invalid":
        case "AlreadyExists":
        case "Forbidden":
        case "Unauthorized":
          return true
        default:
          return false
      }
    default:
      return false
  }
}

export const outcomeOf = (error: ReconcileFailure): Failed => {
  switch (error._tag) {
    case "ConnectionUnavailable":
      return failed("ConnectionError", error.message)
    case "DependencyNotReady":
      return failed("DependencyNotReady", error.message)
    case "AmbiguousReference":
      return failed("AmbiguousReference", error.message)
    case "SecretConflict":
      return failed("Conflict", error.message)
    case "OwnershipRefused":
      return failed(error.reason, error.message)
    case "PolicyDenied":
      return failed("PolicyDenied", error.message)
    case "KeySecretUnusable":
    case "AdoptedKeyUnusable":
    case "InvalidAnnotation":
      return failed("InvalidSpec", error.message)
    case "KubeError":
      return error.reason._tag === "Forbidden"
        ? failed(
            "PermissionDenied",
            `Kubernetes refused one of the operator's requests: ${error.message}; the operator's Role or ClusterRole lacks a rule (deploy/chart/README.md lists them)`
          )
        : failed("ConnectionError", error.message)
    case "LiteLLMError":
      switch (error.reason._tag) {
        case "Unauthorized":
          return error.reason.notAdmin === true
            ? failed(
                "CredentialNotAdmin",
                `LiteLLM accepted the connection's credential, but it is not an admin key (the master key or a key of a proxy_admin user is needed): ${error.message}`
              )
            : failed("ConnectionError", `LiteLLM rejected the connection's credential: ${error.message}`)
        case "Invalid":
        case "AlreadyExists":
        case "Forbidden":
          return failed("LiteLLMRejected", error.message)
        default:
          return failed("LiteLLMError", error.message)
      }
  }
}
