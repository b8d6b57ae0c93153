/**
 * What differs between the four kinds; `reconcileObject` does the rest
 * (finalizer, connection, deletion policy, status patch, events) the same way
 * for all of them.
 */
import type { Condition, Connection, ConnectionRef, Lifecycle, Outcome } from "@litellm-operator/core"
import type { CustomObject, CustomResourceType } from "@litellm-operator/k8s"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import type { Effect } from "effect"
import type { ReconcileFailure } from "./outcomeOf.ts"

export interface SyncContext {
  readonly client: LiteLLMClient["Service"]
  readonly connection: Connection
  readonly lifecycle: Lifecycle
  /** RFC 3339, for conditions that change. */
  readonly now: string
}

export interface Synced<St> {
  readonly status: St
  /** LiteLLM calls made; 0 in the steady state. */
  readonly writes: number
  /** The LiteLLM object was created by this reconcile. */
  readonly created: boolean
  /** A key the operator had minted was gone from LiteLLM (revoked); a new key value was minted. */
  readonly replacedRevokedKey?: boolean
  /** The object already existed under an identity the user chose, and the operator had no record of it. */
  readonly adoptedExisting: boolean
}

export interface KindHandler<A extends CustomObject<St>, St, R> {
  readonly type: CustomResourceType<A, St>
  readonly connectionRef: (object: A) => ConnectionRef
  readonly sync: (object: A, context: SyncContext) => Effect.Effect<Synced<St>, ReconcileFailure, R>
  /** The status after a failure: what was known before, with Ready=False and the reason. */
  readonly failedStatus: (object: A, outcome: Outcome, now: string) => St
  /** A status holding only conditions, for an object too malformed to decode. */
  readonly conditionsOnly: (conditions: ReadonlyArray<Condition>) => St
}
