/**
 * One reconcile of one object, the same for every kind: keep the finalizer,
 * resolve the connection, let the kind's handler sync LiteLLM, write the
 * status once if it changed, and say what happened in Events. A deletion ends
 * by removing the finalizer, and never waits for anything but LiteLLM itself
 * (decision 6): a connection that is gone blocks it with a condition that
 * names the way out.
 */
import type { DeletionPolicy, Outcome } from "@litellm-operator/core"
import {
  adoptedAnnotation,
  deletionPolicyAnnotation,
  deletionPolicyFor,
  failed,
  sameStatus
} from "@litellm-operator/core"
import type { CustomObject } from "@litellm-operator/k8s"
import { EventRecorder, KubeClient, keyOf, keyString, type SecretCache } from "@litellm-operator/k8s"
import { Clock, DateTime, type Duration, Effect, Metric } from "effect"
import { statusPatchesTotal } from "../observability/OperatorMetrics.ts"
import type { ReconcileResult } from "../runtime/Controller.ts"
import { finalizer } from "./finalizer.ts"
import type { KindHandler } from "./KindHandler.ts"
import { LiteLLMConnections } from "./LiteLLMConnections.ts"
import type { ReconcileFailure } from "./outcomeOf.ts"
import { outcomeOf } from "./outcomeOf.ts"
import { resolveConnection } from "./resolveConnection.ts"

export interface ReconcileSettings {
  readonly instanceUrlTemplate: string
  /** How soon to look again at a deletion blocked by a missing connection. */
  readonly blockedRetry: Duration.Duration
}

const policyOf = (object: CustomObject<unknown>): DeletionPolicy =>
  deletionPolicyFor({
    annotation: object.metadata.annotations?.[deletionPolicyAnnotation],
    adopted: object.metadata.annotations?.[adoptedAnnotation] === "true"
  })

export const reconcileObject = Effect.fnUntraced(function* <A extends CustomObject<St>, St, R>(
  handler: KindHandler<A, St, R>,
  object: A,
  settings: ReconcileSettings
): Effect.fn.Return<
  ReconcileResult,
  ReconcileFailure,
  R | KubeClient | SecretCache | LiteLLMConnections | EventRecorder
> {
  const kube = yield* KubeClient
  const recorder = yield* EventRecorder
  const emit = (event: {
    readonly type: "Normal" | "Warning"
    readonly reason: string
    readonly action: string
    readonly note: string
  }) => recorder.record({ regarding: object, ...event })
  const connections = yield* LiteLLMConnections
  const now = DateTime.formatIso(DateTime.fromDateUnsafe(new Date(yield* Clock.currentTimeMillis)))
  const key = keyOf(object)
  const kind = handler.type.kind
  const deleting = object.metadata.deletionTimestamp !== undefined
  const hasFinalizer = object.metadata.finalizers?.includes(finalizer) === true

  const writeStatus = Effect.fnUntraced(function* (status: St) {
    if (sameStatus(status, object.status)) return
    yield* kube.patchStatus(handler.type, key, status, { previous: object.status })
    yield* Metric.update(Metric.withAttributes(statusPatchesTotal, { kind }), 1)
  })

  const fail = Effect.fnUntraced(function* (error: ReconcileFailure, outcome: Outcome = outcomeOf(error)) {
    yield* writeStatus(handler.failedStatus(object, outcome, now))
    if (outcome._tag === "Failed") {
      yield* emit({ type: "Warning", reason: outcome.reason, action: "Reconcile", note: outcome.message })
    }
    return yield* Effect.fail(error)
  })

  if (deleting) {
    if (!hasFinalizer) return {}
    const policy = policyOf(object)
    if (policy === "Orphan") {
      yield* kube.removeFinalizer(handler.type, object, finalizer)
      yield* emit({
        type: "Normal",
        reason: "Orphaned",
        action: "Delete",
        note: `${kind} left in LiteLLM (deletion policy Orphan)`
      })
      return {}
    }
    const connection = yield* resolveConnection(
      handler.connectionRef(object),
      key.namespace,
      settings.instanceUrlTemplate
    ).pipe(
      Effect.catchTag("ConnectionUnavailable", (error) =>
        Effect.gen(function* () {
          // The Secret went first (a namespace being deleted): the connection this object used last will do.
          const remembered = yield* connections.recall(keyString(key))
          if (remembered !== undefined) return remembered
          const message = `${error.message}; the ${kind} cannot be deleted from LiteLLM until the connection is back, or until the ${deletionPolicyAnnotation} annotation is set to Orphan`
          yield* writeStatus(handler.failedStatus(object, failed("DeletionBlocked", message), now))
          yield* emit({ type: "Warning", reason: "DeletionBlocked", action: "Delete", note: message })
          return undefined
        })
      )
    )
    if (connection === undefined) return { requeueAfter: settings.blockedRetry }
    const client = yield* connections.clientFor(connection)
    yield* handler
      .sync(object, { client, connection, lifecycle: { deleting: true, deletionPolicy: policy }, now })
      .pipe(Effect.catch((error: ReconcileFailure) => fail(error)))
    yield* kube.removeFinalizer(handler.type, object, finalizer)
    yield* connections.forget(keyString(key))
    yield* emit({ type: "Normal", reason: "Deleted", action: "Delete", note: `${kind} deleted from LiteLLM` })
    return {}
  }

  // The finalizer goes on before anything exists in LiteLLM, so a deletion can never leak it.
  const current = hasFinalizer ? object : yield* kube.addFinalizer(handler.type, object, finalizer)
  const connection = yield* resolveConnection(
    handler.connectionRef(object),
    key.namespace,
    settings.instanceUrlTemplate
  ).pipe(Effect.catch((error: ReconcileFailure) => fail(error)))
  yield* connections.remember(keyString(key), connection)
  const client = yield* connections.clientFor(connection)
  const synced = yield* handler
    .sync(current, { client, connection, lifecycle: { deleting: false, deletionPolicy: policyOf(object) }, now })
    .pipe(Effect.catch((error: ReconcileFailure) => fail(error)))
  if (synced.adoptedExisting && object.metadata.annotations?.[adoptedAnnotation] === undefined) {
    yield* kube.mergePatch(handler.type, key, { metadata: { annotations: { [adoptedAnnotation]: "true" } } })
    yield* emit({
      type: "Normal",
      reason: "Adopted",
      action: "Adopt",
      note: `${kind} already existed in LiteLLM; adopted (deletion policy Orphan)`
    })
  }
  yield* writeStatus(synced.status)
  if (synced.replacedRevokedKey === true) {
    yield* emit({
      type: "Warning",
      reason: "KeyReplaced",
      action: "Create",
      note: `the key was deleted from LiteLLM behind the operator's back; a new key was minted and its Secret updated`
    })
  }
  if (synced.created)
    yield* emit({ type: "Normal", reason: "Created", action: "Create", note: `${kind} created in LiteLLM` })
  else if (synced.writes > 0)
    yield* emit({
      type: "Normal",
      reason: "Updated",
      action: "Update",
      note: `${kind} updated in LiteLLM (${synced.writes} call(s))`
    })
  return {}
})
