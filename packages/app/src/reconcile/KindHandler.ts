/**
 * What differs between the four kinds: what they check and observe, their
 * plan (through the shared step, `syncLiteLLM`) and their status.
 * `reconcileObject` does the rest (finalizer, connection, deletion policy,
 * refusals, status patch, Events from the plan's summary) the same way for
 * all of them.
 */
import type {
  Condition,
  Connection,
  ConnectionRef,
  Lifecycle,
  Outcome,
  OwnerRef,
  Plan,
  PlanSummary
} from "@litellm-operator/core"
import type { CustomObject, CustomResourceType, KubeError } from "@litellm-operator/k8s"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import type { Effect } from "effect"
import type { ReconcileFailure } from "./outcomeOf.ts"
import type { GuardVerdict } from "./tenancy.ts"

export interface SyncContext<St> {
  readonly client: LiteLLMClient["Service"]
  readonly connection: Connection
  readonly lifecycle: Lifecycle
  /** RFC 3339, for conditions that change. */
  readonly now: string
  /** The object, as the owner marker names it. */
  readonly self: OwnerRef
  /** The object carries `auth.litellm.ai/adopt: "true"`. */
  readonly adoptRequested: boolean
  /** Writes the status now: a LiteLLM identity is recorded before the call that creates it. */
  readonly recordStatus: (status: St) => Effect.Effect<void, KubeError>
}

export interface Synced<St> {
  readonly status: St
  /** What the plan did to the kind's LiteLLM object: the reconcile's Events say it. */
  readonly summary: PlanSummary
  /** LiteLLM calls made; 0 in the steady state. */
  readonly calls: number
  /** A key the operator had minted was gone from LiteLLM (revoked); a new key value was minted. */
  readonly replacedRevokedKey?: boolean
  /** On deletion: why the LiteLLM object was left alone (it was never this object's). */
  readonly notDeleted?: string
}

/** A kind's sync as the reconcile reads it: its status, and what its plan did (or why it left the object alone). */
export const syncedFrom = <St>(
  result: { readonly plan: Plan; readonly verdict: GuardVerdict },
  status: St,
  replacedRevokedKey = false
): Synced<St> => ({
  status,
  summary: result.plan.summary,
  calls: result.plan.actions.length,
  ...(replacedRevokedKey ? { replacedRevokedKey } : {}),
  ...(result.verdict._tag === "Skip" ? { notDeleted: result.verdict.message } : {})
})

export interface KindHandler<A extends CustomObject<St>, St, R> {
  readonly type: CustomResourceType<A, St>
  readonly connectionRef: (object: A) => ConnectionRef
  readonly sync: (object: A, context: SyncContext<St>) => Effect.Effect<Synced<St>, ReconcileFailure, R>
  /**
   * Whether the object may have made anything in LiteLLM: an identity recorded
   * in its status, or a key Secret of its own. When it cannot have, its
   * deletion needs no connection and no call.
   */
  readonly mayHaveCreated: (object: A) => Effect.Effect<boolean, KubeError, R>
  /** The status after a failure: what was known before, with Ready=False and the reason. */
  readonly failedStatus: (object: A, outcome: Outcome, now: string) => St
  /** A status holding only conditions, for an object too malformed to decode. */
  readonly conditionsOnly: (conditions: ReadonlyArray<Condition>) => St
}
