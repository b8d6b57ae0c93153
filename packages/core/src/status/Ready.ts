/**
 * The `Ready` condition. Its reason says what is wrong in one word; its
 * `lastTransitionTime` moves only when its status moves, so an unchanged
 * object gets an unchanged status and no write.
 */
import type { Condition } from "../api/Condition.ts"

export const readyReasons = [
  "Reconciled",
  "ReconciledWithWarnings",
  "Deleting",
  "InvalidSpec",
  "ConnectionError",
  "LiteLLMError",
  "DependencyNotReady",
  "AmbiguousReference",
  "Conflict",
  "DeletionBlocked",
  // Tenancy (decision 9): another object owns what the spec names; adoption not allowed; the connection's policy says no.
  "OwnershipConflict",
  "AdoptionNotAllowed",
  "PolicyDenied",
  // LiteLLM refused the request in a way that retrying cannot change (400, 403, 409, 422).
  "LiteLLMRejected",
  // Kubernetes refused one of the operator's own requests (RBAC): the operator's Role lacks a rule.
  "PermissionDenied",
  // The connection's credential is a valid key, but not an admin's (LiteLLM's 401 "Only proxy admin…").
  "CredentialNotAdmin"
] as const
export type ReadyReason = (typeof readyReasons)[number]

/** How a reconcile ended, as far as the status is concerned. */
export type Outcome =
  | { readonly _tag: "Reconciled"; readonly warnings: ReadonlyArray<string> }
  | {
      readonly _tag: "Failed"
      readonly reason: Exclude<ReadyReason, "Reconciled" | "ReconciledWithWarnings">
      readonly message: string
    }

export const reconciled = (warnings: ReadonlyArray<string> = []): Outcome => ({ _tag: "Reconciled", warnings })

/** The outcome of a reconcile that did not reach LiteLLM's match. */
export type Failed = Extract<Outcome, { readonly _tag: "Failed" }>

export const failed = (reason: Failed["reason"], message: string): Failed => ({ _tag: "Failed", reason, message })

/**
 * A condition message holds at most this many characters: a message carries
 * LiteLLM's error text and the spec's own values, and a status must stay small
 * enough to be written whatever they are.
 */
export const MAX_CONDITION_MESSAGE = 2048

const bounded = (message: string): string =>
  message.length <= MAX_CONDITION_MESSAGE ? message : `${message.slice(0, MAX_CONDITION_MESSAGE - 1)}…`

const readyFrom = (outcome: Outcome): Pick<Condition, "status" | "reason" | "message"> => {
  if (outcome._tag === "Failed") return { status: "False", reason: outcome.reason, message: outcome.message }
  if (outcome.warnings.length === 0)
    return { status: "True", reason: "Reconciled", message: "LiteLLM matches the spec" }
  return { status: "True", reason: "ReconciledWithWarnings", message: outcome.warnings.join("; ") }
}

/**
 * The conditions with `Ready` set from the outcome. Other condition types are
 * kept as they are; `lastTransitionTime` is kept unless the status changed.
 */
export const withReady = (options: {
  readonly previous: ReadonlyArray<Condition> | undefined
  readonly outcome: Outcome
  readonly generation: number
  /** The current time, RFC 3339; used only when the status changes. */
  readonly now: string
}): ReadonlyArray<Condition> => {
  const previous = options.previous ?? []
  const before = previous.find((c) => c.type === "Ready")
  const next = readyFrom(options.outcome)
  const ready: Condition = {
    type: "Ready",
    status: next.status,
    observedGeneration: options.generation,
    lastTransitionTime: before !== undefined && before.status === next.status ? before.lastTransitionTime : options.now,
    reason: next.reason,
    message: bounded(next.message)
  }
  return [...previous.filter((c) => c.type !== "Ready"), ready]
}

/** The Ready condition of a status, if any. */
export const readyOf = (conditions: ReadonlyArray<Condition> | undefined): Condition | undefined =>
  conditions?.find((c) => c.type === "Ready")
