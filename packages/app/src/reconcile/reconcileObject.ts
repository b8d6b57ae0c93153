/**
 * One reconcile of one object, the same for every kind: keep the finalizer,
 * resolve the connection, let the kind's handler sync LiteLLM, write the
 * status once if it changed, and say what happened in Events.
 *
 * Refusals that trying again cannot change (LiteLLM's 400/403/409/401, an
 * owner elsewhere, adoption not allowed) are held: no call until the spec, the
 * connection or the retry period changes. Policy denials cost no call and are
 * checked again on every event. Waiting for a Team or User of the namespace is
 * not a failure either: the status says it, and that object's change wakes this one.
 *
 * A deletion never waits for anything but LiteLLM itself (decision 6): an
 * object that cannot have made anything goes at once; one whose connection
 * does not work says DeletionBlocked and names the way out.
 */
import type { DeletionPolicyResult, OwnerRef } from "@litellm-operator/core"
import {
  adoptAnnotation,
  adoptedAnnotation,
  deletionPolicyAnnotation,
  deletionPolicyFor,
  failed,
  metricSeries,
  sameStatus
} from "@litellm-operator/core"
import type { CustomObject } from "@litellm-operator/k8s"
import { EventRecorder, KubeClient, keyOf, keyString, type SecretCache } from "@litellm-operator/k8s"
import { Clock, DateTime, Duration, Effect, Metric, Option } from "effect"
import { refusalsTotal, statusPatchesTotal } from "../observability/OperatorMetrics.ts"
import type { ReconcileResult } from "../runtime/Controller.ts"
import { leftOutFinalizers, operatorAnnotations } from "./cachedForm.ts"
import { finalizer } from "./finalizer.ts"
import type { KindHandler } from "./KindHandler.ts"
import { connectionFingerprint, LiteLLMConnections } from "./LiteLLMConnections.ts"
import { OwnWrites } from "./OwnWrites.ts"
import type { ReconcileFailure } from "./outcomeOf.ts"
import { isPermanent, outcomeOf } from "./outcomeOf.ts"
import { type DependencyNotReady, InvalidAnnotation } from "./ReconcileError.ts"
import { Refusals } from "./Refusals.ts"
import { resolveConnection } from "./resolveConnection.ts"

export interface ReconcileSettings {
  readonly instanceUrlTemplate: string
  /** How soon to look again at a deletion blocked by a missing connection. */
  readonly blockedRetry: Duration.Duration
  /** Names this operator installation in the owner markers it writes into LiteLLM. */
  readonly installation: string
  /** How long a refusal that retrying cannot change is held before the object is tried again anyway. */
  readonly refusedRetry: Duration.Duration
  /** When a refused or waiting object is looked at again (policy denials, waits on the namespace's objects: the resync period). */
  readonly deniedRetry: Duration.Duration
}

const policyOf = (object: CustomObject<unknown>): DeletionPolicyResult =>
  deletionPolicyFor({
    annotation: object.metadata.annotations?.[deletionPolicyAnnotation],
    adopted: object.metadata.annotations?.[adoptedAnnotation] === "true"
  })

const orphanWayOut = `set the annotation ${deletionPolicyAnnotation}: Orphan to delete the object and leave LiteLLM as it is`

const statusPatches = metricSeries(statusPatchesTotal)
const refusalSeries = metricSeries(refusalsTotal)

export const reconcileObject = Effect.fnUntraced(function* <A extends CustomObject<St>, St, R>(
  handler: KindHandler<A, St, R>,
  object: A,
  settings: ReconcileSettings
): Effect.fn.Return<
  ReconcileResult,
  ReconcileFailure,
  R | KubeClient | SecretCache | LiteLLMConnections | EventRecorder | Refusals | OwnWrites
> {
  const kube = yield* KubeClient
  const recorder = yield* EventRecorder
  const refusals = yield* Refusals
  const ownWrites = yield* OwnWrites
  const emit = (event: {
    readonly type: "Normal" | "Warning"
    readonly reason: string
    readonly action: string
    readonly note: string
  }) => recorder.record({ regarding: object, ...event })
  const connections = yield* LiteLLMConnections
  const now = DateTime.formatIso(DateTime.fromDateUnsafe(new Date(yield* Clock.currentTimeMillis)))
  const key = keyOf(object)
  // What the operator remembers of an object is named by its kind too: a Team and a VirtualKey may share a name.
  const objectKey = `${handler.type.kind}/${keyString(key)}`
  const kind = handler.type.kind
  const deleting = object.metadata.deletionTimestamp !== undefined
  const hasFinalizer = object.metadata.finalizers?.includes(finalizer) === true
  // Finalizers are written as a whole list: from the cached object unless the cache cut it (then from a fresh read).
  const finalizerTarget = leftOutFinalizers(object) ? key : object
  const self: OwnerRef = {
    installation: settings.installation,
    namespace: key.namespace,
    kind,
    name: key.name,
    uid: object.metadata.uid
  }

  /**
   * A version this reconcile wrote: its watch event will not wake the object again. Only when the version
   * holds nothing else that a reconcile reads (spec generation, annotations, deletion) beyond what this
   * reconcile acted on: a write lands on whatever the server has, which may already carry someone else's change.
   */
  const own = <B extends CustomObject<unknown>>(written: B) =>
    Effect.as(
      sameInputs(object, written) ? ownWrites.record(objectKey, written.metadata.resourceVersion) : Effect.void,
      written
    )
  const recordStatus = (status: St) =>
    kube
      .patchStatus(handler.type, key, status, { previous: object.status })
      .pipe(Effect.flatMap(own), Effect.andThen(Metric.update(statusPatches({ kind }), 1)))
  const writeStatus = (status: St) => (sameStatus(status, object.status) ? Effect.void : recordStatus(status))

  const fail = Effect.fnUntraced(function* (error: ReconcileFailure) {
    const outcome = outcomeOf(error)
    yield* writeStatus(handler.failedStatus(object, outcome, now))
    yield* emit({ type: "Warning", reason: outcome.reason, action: "Reconcile", note: outcome.message })
    return yield* Effect.fail(error)
  })

  /** A refusal is not an error of the operator's: the status and an Event say it, and the object waits. */
  const refuse = Effect.fnUntraced(function* (error: ReconcileFailure, note: string, retry: Duration.Duration) {
    const { reason, message } = outcomeOf(error)
    yield* Metric.update(refusalSeries({ kind, reason }), 1)
    yield* writeStatus(handler.failedStatus(object, failed(reason, `${message}; ${note}`), now))
    yield* emit({ type: "Warning", reason, action: "Reconcile", note: message })
    yield* Effect.logInfo(`reconcile refused; ${note}`).pipe(Effect.annotateLogs({ reason, error: error.message }))
    return { requeueAfter: retry } satisfies ReconcileResult
  })

  /**
   * Waiting for a Team or User of the namespace (applied together, it is usually still being made) is
   * not a failure: the status says what it waits for, and that object's next change wakes this one, so
   * there is no retry, no Warning Event and no error; the resync looks again in any case.
   */
  const wait = Effect.fnUntraced(function* (error: DependencyNotReady) {
    yield* writeStatus(handler.failedStatus(object, outcomeOf(error), now))
    yield* Effect.logDebug("waiting for a dependency").pipe(Effect.annotateLogs({ reason: error._tag }))
    return { requeueAfter: settings.deniedRetry } satisfies ReconcileResult
  })

  const policy = policyOf(object)
  if (deleting) {
    if (!hasFinalizer) return {}
    const finish = Effect.fnUntraced(function* (reason: string, note: string) {
      yield* kube.removeFinalizer(handler.type, finalizerTarget, finalizer)
      yield* connections.forget(objectKey)
      yield* refusals.release(objectKey)
      yield* ownWrites.forget(objectKey)
      yield* emit({ type: "Normal", reason, action: "Delete", note })
      return {} satisfies ReconcileResult
    })
    if (policy._tag === "Valid" && policy.policy === "Orphan") {
      return yield* finish("Orphaned", `${kind} left in LiteLLM (deletion policy Orphan)`)
    }
    if (!(yield* handler.mayHaveCreated(object))) {
      return yield* finish("Deleted", `nothing of this ${kind} was ever made in LiteLLM; nothing to delete there`)
    }
    /** The deletion waits: the status and a Warning Event say why and what lets it go. */
    const sayBlocked = Effect.fnUntraced(function* (message: string) {
      yield* writeStatus(handler.failedStatus(object, failed("DeletionBlocked", message), now))
      yield* emit({ type: "Warning", reason: "DeletionBlocked", action: "Delete", note: message })
    })
    if (policy._tag === "Invalid") {
      // Neither policy is a safe guess: one deletes what the user may mean to keep, the other leaves a live key.
      yield* sayBlocked(
        `${policy.message}; the ${kind} is left in LiteLLM and the object is not deleted until the annotation says Delete or Orphan`
      )
      return { requeueAfter: settings.blockedRetry }
    }
    const blocked = (cause: string) =>
      sayBlocked(`${cause}; the ${kind} cannot be deleted from LiteLLM until that is fixed, or ${orphanWayOut}`)
    const connection = yield* resolveConnection(
      handler.connectionRef(object),
      key.namespace,
      settings.instanceUrlTemplate
    ).pipe(
      Effect.catchTag("ConnectionUnavailable", (error) =>
        Effect.gen(function* () {
          // The Secret went first (a namespace being deleted): the connection this object used last will do.
          const remembered = yield* connections.recall(objectKey)
          if (remembered !== undefined) return remembered
          yield* blocked(error.message)
          return undefined
        })
      )
    )
    if (connection === undefined) return { requeueAfter: settings.blockedRetry }
    const client = yield* connections.clientFor(connection)
    const synced = yield* handler
      .sync(object, {
        client,
        connection,
        lifecycle: { deleting: true, deletionPolicy: policy.policy },
        now,
        self,
        adoptRequested: false,
        recordStatus
      })
      .pipe(
        Effect.catch((error: ReconcileFailure) =>
          Effect.gen(function* () {
            yield* blocked(error.message)
            // A wrong credential does not fix itself: look again at the blocked-retry pace, not the backoff's.
            return isPermanent(error) ? undefined : yield* Effect.fail(error)
          })
        )
      )
    if (synced === undefined) return { requeueAfter: settings.blockedRetry }
    if (synced.notDeleted !== undefined) return yield* finish("Orphaned", synced.notDeleted)
    return yield* finish("Deleted", `${kind} deleted from LiteLLM`)
  }

  if (policy._tag === "Invalid") {
    return yield* refuse(
      new InvalidAnnotation({ message: policy.message }),
      "nothing is done in LiteLLM until it is fixed",
      settings.deniedRetry
    )
  }
  const deletionPolicy = policy.policy
  // The finalizer goes on before anything exists in LiteLLM, so a deletion can never leak it.
  const current = hasFinalizer
    ? object
    : yield* Effect.flatMap(kube.addFinalizer(handler.type, finalizerTarget, finalizer), own)
  const connection = yield* resolveConnection(
    handler.connectionRef(object),
    key.namespace,
    settings.instanceUrlTemplate
  ).pipe(Effect.catch((error: ReconcileFailure) => fail(error)))
  yield* connections.remember(objectKey, connection)
  const fingerprint = connectionFingerprint(connection)
  const generation = object.metadata.generation
  const held = yield* refusals.held(objectKey, generation, fingerprint)
  if (Option.isSome(held)) return { requeueAfter: held.value }
  const client = yield* connections.clientFor(connection)
  const adoptRequested = object.metadata.annotations?.[adoptAnnotation] === "true"
  const synced = yield* handler
    .sync(current, {
      client,
      connection,
      lifecycle: { deleting: false, deletionPolicy },
      now,
      self,
      adoptRequested,
      recordStatus
    })
    .pipe(Effect.result)
  if (synced._tag === "Failure") {
    const error = synced.failure
    if (isPermanent(error)) {
      yield* refusals.hold(objectKey, generation, fingerprint, settings.refusedRetry)
      return yield* refuse(
        error,
        `not retried until the spec or the connection changes, or for ${Duration.format(settings.refusedRetry)}`,
        settings.refusedRetry
      )
    }
    if (error._tag === "PolicyDenied") {
      return yield* refuse(error, "checked again when the object or its connection changes", settings.deniedRetry)
    }
    if (error._tag === "DependencyNotReady" && error.watched) return yield* wait(error)
    return yield* fail(error)
  }
  const result = synced.success
  if (result.summary.adopts && object.metadata.annotations?.[adoptedAnnotation] === undefined) {
    yield* Effect.flatMap(
      kube.mergePatch(handler.type, key, { metadata: { annotations: { [adoptedAnnotation]: "true" } } }),
      own
    )
    // Adoption makes Orphan the default; an explicit annotation still wins.
    const after = object.metadata.annotations?.[deletionPolicyAnnotation] === undefined ? "Orphan" : deletionPolicy
    yield* emit({
      type: "Normal",
      reason: "Adopted",
      action: "Adopt",
      note: `${kind} already existed in LiteLLM; adopted (deletion policy ${after})`
    })
  }
  yield* writeStatus(result.status)
  if (result.replacedRevokedKey === true) {
    yield* emit({
      type: "Warning",
      reason: "KeyReplaced",
      action: "Create",
      note: `the key was deleted from LiteLLM behind the operator's back; a new key was minted and its Secret updated`
    })
  }
  if (result.summary.creates)
    yield* emit({ type: "Normal", reason: "Created", action: "Create", note: `${kind} created in LiteLLM` })
  else if (result.calls > 0)
    yield* emit({
      type: "Normal",
      reason: "Updated",
      action: "Update",
      note: `${kind} updated in LiteLLM (${result.calls} call(s))`
    })
  return {}
})

/**
 * The parts of an object a reconcile acts on are the same in both versions (the operator's own annotation aside;
 * of the annotations, only those the cache keeps).
 */
const sameInputs = (read: CustomObject<unknown>, written: CustomObject<unknown>): boolean => {
  const { [adoptedAnnotation]: _a, ...readAnnotations } = operatorAnnotations(read)
  const { [adoptedAnnotation]: _b, ...writtenAnnotations } = operatorAnnotations(written)
  const readKeys = Object.keys(readAnnotations)
  return (
    read.metadata.generation === written.metadata.generation &&
    read.metadata.deletionTimestamp === written.metadata.deletionTimestamp &&
    readKeys.length === Object.keys(writtenAnnotations).length &&
    readKeys.every((k) => readAnnotations[k] === writtenAnnotations[k])
  )
}
