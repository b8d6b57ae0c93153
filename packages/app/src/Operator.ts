/**
 * The operator: one informer and one controller per kind, wired so that
 * every watch event puts its object's key on that kind's queue (unless the
 * event is of a version the operator wrote itself), and changes to what
 * objects depend on requeue them too (a connection Secret → the objects that
 * use it; a Team or User → the associations, keys and users that name it),
 * found through indexes kept from the informers' events rather than scans of
 * their caches. Reconciles read the object, and every Secret, from caches;
 * nothing depends on which event woke them.
 */
import type { Condition, ConnectionRef } from "@litellm-operator/core"
import {
  connectionTarget,
  failed,
  normalizeEmail,
  readyOf,
  teamIdFor,
  userIdFor,
  withReady
} from "@litellm-operator/core"
import type { CustomObject, Informer, InformerEvent, ObjectKey } from "@litellm-operator/k8s"
import { KubeClient, keyOf, keyString, makeInformer, SecretCache } from "@litellm-operator/k8s"
import { Clock, DateTime, Duration, Effect, Metric, Option, Stream } from "effect"
import {
  objectsNotReady,
  objectsTotal,
  queueDepth,
  reconcileDuration,
  reconcileErrorsTotal,
  reconcilesTotal
} from "./observability/OperatorMetrics.ts"
import { Readiness } from "./observability/Readiness.ts"
import type { KindHandler } from "./reconcile/KindHandler.ts"
import { managedByLabel, managedByValue } from "./reconcile/keyMaterial.ts"
import { membershipHandler } from "./reconcile/membershipHandler.ts"
import { NamespaceObjects } from "./reconcile/NamespaceObjects.ts"
import { OwnWrites } from "./reconcile/OwnWrites.ts"
import { outcomeOf } from "./reconcile/outcomeOf.ts"
import { Refusals } from "./reconcile/Refusals.ts"
import type { ReconcileSettings } from "./reconcile/reconcileObject.ts"
import { reconcileObject } from "./reconcile/reconcileObject.ts"
import { instanceUrlFrom } from "./reconcile/resolveConnection.ts"
import { teamHandler } from "./reconcile/teamHandler.ts"
import { userHandler } from "./reconcile/userHandler.ts"
import { virtualKeyHandler } from "./reconcile/virtualKeyHandler.ts"
import { runController } from "./runtime/Controller.ts"
import { ReconcileQueue } from "./runtime/ReconcileQueue.ts"
import type { ReferenceIndex } from "./runtime/ReferenceIndex.ts"
import { makeReferenceIndex } from "./runtime/ReferenceIndex.ts"

export interface OperatorOptions extends ReconcileSettings {
  /** Watch one namespace; all when undefined. */
  readonly namespace: string | undefined
  /** Reconcile only the objects with these labels (a label selector); all when undefined. */
  readonly labelSelector?: string
  readonly workers: number
  readonly resyncPeriod: Duration.Duration
  readonly resyncJitter: number
  readonly reconcileTimeout: Duration.Duration
}

const parseKey = (key: string): ObjectKey => {
  const slash = key.indexOf("/")
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) }
}

interface Running<A> {
  readonly informer: Informer<A>
  readonly queue: ReconcileQueue["Service"]
  /** Something the object depends on changed: reconcile it in full, even if it reconciled moments ago. */
  readonly wake: (key: string) => Effect.Effect<void>
}

/** What every kind's status has: the Ready condition among its conditions. */
type WithConditions = { readonly conditions?: ReadonlyArray<Condition> | undefined }

/** Objects whose Ready condition is not True, by its reason (Pending when there is none yet). */
export const notReadyByReason = (
  objects: ReadonlyArray<{ readonly status?: WithConditions | undefined }>
): ReadonlyMap<string, number> => {
  const counts = new Map<string, number>()
  for (const object of objects) {
    const ready = readyOf(object.status?.conditions)
    if (ready?.status === "True") continue
    const reason = ready === undefined || ready.reason === "" ? "Pending" : ready.reason
    counts.set(reason, (counts.get(reason) ?? 0) + 1)
  }
  return counts
}

/** Starts one kind: its informer, its queue and its workers. */
const startKind = Effect.fnUntraced(function* <
  A extends CustomObject<St> & { readonly spec: { readonly connectionRef: ConnectionRef } },
  St extends WithConditions,
  R
>(handler: KindHandler<A, St, R>, options: OperatorOptions) {
  const kube = yield* KubeClient
  const readiness = yield* Readiness
  const ownWrites = yield* OwnWrites
  const kind = handler.type.kind
  const informer = yield* makeInformer(handler.type, {
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    ...(options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector })
  })
  const queue = yield* ReconcileQueue.make()
  /** Objects of all kinds share OwnWrites and Refusals: their entries are named by kind and key. */
  const written = (key: string) => `${kind}/${key}`

  const count = (result: "success" | "error") =>
    Metric.update(Metric.withAttributes(reconcilesTotal, { kind, result }), 1)
  const reconcile = (key: string) =>
    Effect.gen(function* () {
      const object = yield* informer.get(parseKey(key))
      if (Option.isNone(object)) return {}
      const started = yield* Clock.currentTimeMillis
      // Woken by the event of its own last write, moments after reconciling in full: nothing to do.
      const settled = yield* ownWrites.settled(
        written(key),
        object.value.metadata.resourceVersion,
        started,
        Duration.toMillis(options.resyncPeriod) / 2
      )
      if (settled && object.value.metadata.deletionTimestamp === undefined) return {}
      const result = yield* reconcileObject(handler, object.value, options).pipe(
        Effect.tapError((error) => {
          const { reason } = outcomeOf(error)
          return Effect.andThen(
            count("error"),
            Metric.update(Metric.withAttributes(reconcileErrorsTotal, { kind, reason }), 1)
          )
        })
      )
      const ended = yield* Clock.currentTimeMillis
      if (result.requeueAfter === undefined) yield* ownWrites.reconciled(written(key), ended)
      yield* Metric.update(Metric.withAttributes(reconcileDuration, { kind }), (ended - started) / 1000)
      yield* count("success")
      return result
    }).pipe(Effect.annotateLogs({ kind, key }))

  /** An object that does not decode cannot be reconciled; its status says why. */
  const reportMalformed = (event: Extract<InformerEvent<A>, { readonly type: "Malformed" }>) =>
    Effect.gen(function* () {
      const key = event.object.key
      if (key === undefined) return
      const now = DateTime.formatIso(DateTime.fromDateUnsafe(new Date(yield* Clock.currentTimeMillis)))
      const conditions = withReady({
        previous: undefined,
        outcome: failed("InvalidSpec", event.object.message),
        generation: 0,
        now
      })
      yield* kube
        .patchStatus(handler.type, key, handler.conditionsOnly(conditions.map(({ observedGeneration: _g, ...c }) => c)))
        .pipe(Effect.catch((error) => Effect.logWarning("could not report an invalid object", error.message)))
    })

  yield* readiness.expect(`informer/${kind}`)
  yield* Effect.forkScoped(Effect.andThen(informer.synced, readiness.ready(`informer/${kind}`)))
  yield* Effect.forkScoped(
    Stream.runForEach(informer.events, (event) =>
      Effect.gen(function* () {
        if (event.type === "Malformed") return yield* reportMalformed(event)
        const key = keyString(keyOf(event.object))
        // A version the operator wrote itself (finalizer, status) brings nothing new: the reconcile that wrote it acted on it.
        const own = yield* ownWrites.isOwn(written(key), event.object.metadata.resourceVersion)
        if (event.type === "Modified" && own) return
        yield* queue.add(key)
      })
    )
  )
  // Gauges read from the queue and the cache every 5 seconds; a reason once reported drops back to 0, not out.
  const reasonsSeen = new Set<string>()
  const publishGauges = Effect.gen(function* () {
    yield* Metric.update(Metric.withAttributes(queueDepth, { kind }), yield* queue.depth)
    const objects = yield* informer.list()
    yield* Metric.update(Metric.withAttributes(objectsTotal, { kind }), objects.length)
    const notReady = notReadyByReason(objects)
    for (const reason of notReady.keys()) reasonsSeen.add(reason)
    for (const reason of reasonsSeen) {
      yield* Metric.update(Metric.withAttributes(objectsNotReady, { kind, reason }), notReady.get(reason) ?? 0)
    }
  })
  yield* Effect.forkScoped(Effect.forever(Effect.andThen(publishGauges, Effect.sleep("5 seconds"))))
  yield* runController({
    name: kind,
    workers: options.workers,
    resyncPeriod: options.resyncPeriod,
    resyncJitter: options.resyncJitter,
    reconcileTimeout: options.reconcileTimeout,
    reconcile
  }).pipe(Effect.provideService(ReconcileQueue, queue))
  const wake = (key: string) => Effect.andThen(ownWrites.unsettle(written(key)), queue.add(key))
  return { informer, queue, wake } satisfies Running<A>
})

/** An object to requeue when what it names changes: its key, and its kind's (shared) way to wake one. */
type Dependent = { readonly key: string; readonly wake: (key: string) => Effect.Effect<void> }

/** Runs the operator until the scope closes. */
export const runOperator = Effect.fnUntraced(function* (options: OperatorOptions) {
  // Every Secret a reconcile reads comes from here: the key Secrets the operator writes (by their label) and
  // the connection Secrets objects name (a metadata-only watch, data fetched for named Secrets only).
  const secrets = yield* SecretCache.make({
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    ownedLabel: { key: managedByLabel, value: managedByValue }
  })
  const readiness = yield* Readiness
  yield* readiness.expect("informer/Secret")
  yield* Effect.forkScoped(Effect.andThen(secrets.synced, readiness.ready("informer/Secret")))
  // Every kind asks about the Teams, Users and VirtualKeys (references, owners): answered from their informers.
  const objects = yield* NamespaceObjects.deferred
  const refusals = yield* Refusals.make
  const ownWrites = yield* OwnWrites.make
  const start = <
    A extends CustomObject<St> & { readonly spec: { readonly connectionRef: ConnectionRef } },
    St extends WithConditions,
    R
  >(
    handler: KindHandler<A, St, R>
  ) =>
    startKind(handler, options).pipe(
      Effect.provideService(SecretCache, secrets),
      Effect.provideService(NamespaceObjects, objects.service),
      Effect.provideService(Refusals, refusals),
      Effect.provideService(OwnWrites, ownWrites)
    )
  const teams = yield* start(teamHandler)
  const users = yield* start(userHandler)
  const keys = yield* start(virtualKeyHandler)
  const memberships = yield* start(membershipHandler)
  yield* objects.bind({ teams: teams.informer, users: users.informer, virtualKeys: keys.informer }, options.namespace)

  /** Watches as data: events of `source` requeue the objects `dependentsOf` names. */
  const watches = <E>(source: Stream.Stream<E>, dependentsOf: (event: E) => Effect.Effect<ReadonlyArray<Dependent>>) =>
    Effect.forkScoped(
      Stream.runForEach(source, (event) =>
        Effect.flatMap(dependentsOf(event), (dependents) =>
          Effect.forEach(dependents, (d) => d.wake(d.key), { discard: true })
        )
      )
    )
  /** Keeps `index` up to date with what each object of a kind names. */
  const indexes = <A extends CustomObject<unknown>>(
    running: Running<A>,
    index: ReferenceIndex<Dependent>,
    refOf: (object: A) => string | undefined,
    onReleased: (ref: string) => Effect.Effect<void> = () => Effect.void
  ) =>
    Effect.forkScoped(
      Stream.runForEach(running.informer.events, (event) => {
        if (event.type === "Malformed") return Effect.void
        const key = keyString(keyOf(event.object))
        const id = `${event.object.kind}/${key}`
        const released = index.set(id, event.type === "Deleted" ? undefined : refOf(event.object), {
          key,
          wake: running.wake
        })
        return released === undefined ? Effect.void : onReleased(released)
      })
    )

  // A connection Secret that appears, changes or goes (a rotated master key, a new URL, a new policy) requeues
  // the objects that name it; one no object names any more is not kept.
  const bySecret = makeReferenceIndex<Dependent>()
  const secretOf = (object: CustomObject<unknown> & { readonly spec: { readonly connectionRef: ConnectionRef } }) => {
    const target = connectionTarget(
      object.spec.connectionRef,
      object.metadata.namespace,
      instanceUrlFrom(options.instanceUrlTemplate)
    )
    return keyString({ namespace: target.secretNamespace, name: target.secretName })
  }
  const release = (ref: string) => secrets.release(parseKey(ref))
  yield* indexes(teams, bySecret, secretOf, release)
  yield* indexes(users, bySecret, secretOf, release)
  yield* indexes(keys, bySecret, secretOf, release)
  yield* indexes(memberships, bySecret, secretOf, release)
  yield* watches(secrets.changes, (secret) => Effect.sync(() => bySecret.dependents(keyString(secret))))

  // A Team or User that appears, changes or goes requeues what names it in its namespace: associations by
  // alias and email, VirtualKeys by team and user id, Users by team id (a list: looked up in the namespace),
  // so a reference refused or waiting is looked at again as soon as its namespace declares what it names.
  const byAlias = makeReferenceIndex<Dependent>()
  const byEmail = makeReferenceIndex<Dependent>()
  const byTeamId = makeReferenceIndex<Dependent>()
  const byUserId = makeReferenceIndex<Dependent>()
  const inNamespace = (namespace: string, id: string | undefined) =>
    id === undefined ? undefined : `${namespace}/${id}`
  yield* indexes(memberships, byAlias, (tma) => `${tma.metadata.namespace}/${tma.spec.teamAlias}`)
  yield* indexes(memberships, byEmail, (tma) => `${tma.metadata.namespace}/${normalizeEmail(tma.spec.userEmail)}`)
  yield* indexes(keys, byTeamId, (vk) => inNamespace(vk.metadata.namespace, vk.spec.teamID))
  yield* indexes(keys, byUserId, (vk) => inNamespace(vk.metadata.namespace, vk.spec.userID))
  yield* watches(teams.informer.events, (event) =>
    Effect.gen(function* () {
      if (event.type === "Malformed") return []
      const team = event.object
      const { namespace } = team.metadata
      const ids = new Set([teamIdFor(team.spec, team.metadata.uid), team.status?.teamID])
      const joining = (yield* users.informer.list(namespace))
        .filter((user) => (user.spec.teams ?? []).some((id) => ids.has(id)))
        .map((user) => ({ key: keyString(keyOf(user)), wake: users.wake }))
      return [
        ...byAlias.dependents(`${namespace}/${team.spec.teamAlias}`),
        ...[...ids].flatMap((id) => (id === undefined ? [] : byTeamId.dependents(`${namespace}/${id}`))),
        ...joining
      ]
    })
  )
  yield* watches(users.informer.events, (event) =>
    Effect.sync(() => {
      if (event.type === "Malformed") return []
      const user = event.object
      const { namespace } = user.metadata
      const ids = new Set([userIdFor(user.spec, user.metadata.uid), user.status?.userID])
      return [
        ...byEmail.dependents(`${namespace}/${normalizeEmail(user.spec.userEmail)}`),
        ...[...ids].flatMap((id) => (id === undefined ? [] : byUserId.dependents(`${namespace}/${id}`)))
      ]
    })
  )
  return { teams, users, keys, memberships, secrets }
})
