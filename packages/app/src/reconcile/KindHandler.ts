/**
 * What differs between the four kinds; `reconcileObject` does the rest
 * (finalizer, connection, deletion policy, refusals, status patch, events) the
 * same way for all of them.
 */
import type { Condition, Connection, ConnectionRef, Lifecycle, Outcome, OwnerRef } from "@litellm-operator/core"
import type { CustomObject, CustomResourceType, KubeError } from "@litellm-operator/k8s"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import type { Effect } from "effect"
import type { ReconcileFailure } from "./outcomeOf.ts"

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
  /** LiteLLM calls made; 0 in the steady state. */
  readonly writes: number
  /** The LiteLLM object was created by this reconcile. */
  readonly created: boolean
  /** A key the operator had minted was gone from LiteLLM (revoked); a new key value was minted. */
  readonly replacedRevokedKey?: boolean
  /** The object took over a LiteLLM object it did not create (adoption, or a marker whose owner is gone). */
  readonly adopted: boolean
  /** On deletion: why the LiteLLM object was left alone (it was never this object's). */
  readonly notDeleted?: string
}

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
