/**
 * The operator: one informer and one controller per kind, wired so that
 * every watch event puts its object's key on that kind's queue, and changes to
 * what objects depend on requeue them too (a connection Secret → the objects
 * that use it; a Team or User → the associations that name it). Reconciles
 * read the object from the informer's cache; nothing depends on which event
 * woke them.
 */
import type { ConnectionRef } from "@litellm-operator/core"
import { connectionTarget, failed, normalizeEmail, teamIdFor, userIdFor, withReady } from "@litellm-operator/core"
import type { CustomObject, Informer, InformerEvent, ObjectKey } from "@litellm-operator/k8s"
import { KubeClient, keyString, makeInformer, Secrets } from "@litellm-operator/k8s"
import { Clock, DateTime, Duration, Effect, Metric, Option, Stream } from "effect"
import {
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
import { WorkQueue } from "./runtime/WorkQueue.ts"

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
  readonly queue: WorkQueue["Service"]
  /** Something the object depends on changed: reconcile it even if it reconciled moments ago. */
  readonly wake: (key: string) => Effect.Effect<void>
}

/** Starts one kind: its informer, its queue and its workers. */
const startKind = Effect.fnUntraced(function* <
  A extends CustomObject<St> & { readonly spec: { readonly connectionRef: ConnectionRef } },
  St,
  R
>(handler: KindHandler<A, St, R>, options: OperatorOptions) {
  const kube = yield* KubeClient
  const readiness = yield* Readiness
  const kind = handler.type.kind
  const informer = yield* makeInformer(handler.type, {
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    ...(options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector })
  })
  const queue = yield* WorkQueue.make()
  const ownWrites = yield* OwnWrites

  const count = (result: "success" | "error") =>
    Metric.update(Metric.withAttributes(reconcilesTotal, { kind, result }), 1)
  const reconcile = (key: string) =>
    Effect.gen(function* () {
      const object = yield* informer.get(parseKey(key))
      if (Option.isNone(object)) return {}
      const started = yield* Clock.currentTimeMillis
      // Woken by the event of its own last write, moments after reconciling in full: nothing to do.
      const settled = yield* ownWrites.settled(
        key,
        object.value.metadata.resourceVersion,
        started,
        Duration.toMillis(options.resyncPeriod) / 2
      )
      if (settled && object.value.metadata.deletionTimestamp === undefined) return {}
      const result = yield* reconcileObject(handler, object.value, options).pipe(
        Effect.tapError((error) => {
          const outcome = outcomeOf(error)
          const reason = outcome._tag === "Failed" ? outcome.reason : "Unknown"
          return Effect.andThen(
            count("error"),
            Metric.update(Metric.withAttributes(reconcileErrorsTotal, { kind, reason }), 1)
          )
        })
      )
      const ended = yield* Clock.currentTimeMillis
      if (result.requeueAfter === undefined) yield* ownWrites.reconciled(key, ended)
      const seconds = (ended - started) / 1000
      yield* Metric.update(Metric.withAttributes(reconcileDuration, { kind }), seconds)
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
        const key = keyString({ namespace: event.object.metadata.namespace, name: event.object.metadata.name })
        // A version the operator wrote itself (finalizer, status) brings nothing new: the reconcile that wrote it acted on it.
        if (event.type === "Modified" && (yield* ownWrites.isOwn(key, event.object.metadata.resourceVersion))) return
        yield* queue.add(key)
      })
    )
  )
  yield* Effect.forkScoped(
    Effect.forever(
      Effect.andThen(
        Effect.flatMap(queue.depth, (d) => Metric.update(Metric.withAttributes(queueDepth, { kind }), d)),
        Effect.sleep("5 seconds")
      )
    )
  )
  yield* runController({
    name: kind,
    workers: options.workers,
    resyncPeriod: options.resyncPeriod,
    resyncJitter: options.resyncJitter,
    reconcileTimeout: options.reconcileTimeout,
    reconcile
  }).pipe(Effect.provideService(WorkQueue, queue))
  const wake = (key: string) => Effect.andThen(ownWrites.unsettle(key), queue.add(key))
  return { informer, queue, wake } satisfies Running<A>
})

/** Requeues every object of a kind whose connection Secret is `secret`. */
const requeueUsers = <A extends CustomObject<unknown> & { readonly spec: { readonly connectionRef: ConnectionRef } }>(
  running: Running<A>,
  secret: ObjectKey,
  instanceUrlTemplate: string
) =>
  Effect.gen(function* () {
    for (const object of yield* running.informer.list()) {
      const target = connectionTarget(
        object.spec.connectionRef,
        object.metadata.namespace,
        instanceUrlFrom(instanceUrlTemplate)
      )
      if (target.secretNamespace === secret.namespace && target.secretName === secret.name) {
        yield* running.wake(keyString({ namespace: object.metadata.namespace, name: object.metadata.name }))
      }
    }
  })

/** Runs the operator until the scope closes. */
export const runOperator = Effect.fnUntraced(function* (options: OperatorOptions) {
  // Every kind asks about the Teams, Users and VirtualKeys (references, owners): answered from their informers.
  const objects = yield* NamespaceObjects.deferred
  const refusals = yield* Refusals.make
  const ownWrites = yield* OwnWrites.make
  const start = <A extends CustomObject<St> & { readonly spec: { readonly connectionRef: ConnectionRef } }, St, R>(
    handler: KindHandler<A, St, R>
  ) =>
    startKind(handler, options).pipe(
      Effect.provideService(NamespaceObjects, objects.service),
      Effect.provideService(Refusals, refusals),
      Effect.provideService(OwnWrites, ownWrites)
    )
  const teams = yield* start(teamHandler)
  const users = yield* start(userHandler)
  const keys = yield* start(virtualKeyHandler)
  const memberships = yield* start(membershipHandler)
  yield* objects.bind({ teams: teams.informer, users: users.informer, virtualKeys: keys.informer }, options.namespace)

  // A changed connection Secret (a rotated master key, a new URL) requeues the objects that use it.
  // The key Secrets the operator writes are left out at the server: never cached, never sent.
  const secrets = yield* makeInformer(Secrets, {
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    labelSelector: `${managedByLabel}!=${managedByValue}`
  })
  yield* Effect.forkScoped(
    Stream.runForEach(secrets.events, (event) =>
      event.type === "Malformed"
        ? Effect.void
        : Effect.gen(function* () {
            const key = { namespace: event.object.metadata.namespace, name: event.object.metadata.name }
            yield* requeueUsers(teams, key, options.instanceUrlTemplate)
            yield* requeueUsers(users, key, options.instanceUrlTemplate)
            yield* requeueUsers(keys, key, options.instanceUrlTemplate)
            yield* requeueUsers(memberships, key, options.instanceUrlTemplate)
          })
    )
  )

  // A Team or User that appears, changes or goes requeues what names it in its namespace: the associations
  // (by alias and email), the VirtualKeys (by team and user id) and the Users (by team id), so a reference
  // refused or waiting is looked at again as soon as its namespace declares what it names.
  const requeueNaming = <A extends CustomObject<unknown>>(
    running: Running<A>,
    namespace: string,
    matches: (object: A) => boolean
  ) =>
    Effect.gen(function* () {
      for (const object of yield* running.informer.list(namespace)) {
        if (matches(object)) yield* running.wake(keyString({ namespace, name: object.metadata.name }))
      }
    })
  yield* Effect.forkScoped(
    Stream.runForEach(teams.informer.events, (event) =>
      Effect.gen(function* () {
        if (event.type === "Malformed") return
        const team = event.object
        const { namespace } = team.metadata
        const ids = new Set([teamIdFor(team.spec, team.metadata.uid), team.status?.teamID])
        yield* requeueNaming(memberships, namespace, (tma) => tma.spec.teamAlias === team.spec.teamAlias)
        yield* requeueNaming(keys, namespace, (vk) => vk.spec.teamID !== undefined && ids.has(vk.spec.teamID))
        yield* requeueNaming(users, namespace, (user) => (user.spec.teams ?? []).some((id) => ids.has(id)))
      })
    )
  )
  yield* Effect.forkScoped(
    Stream.runForEach(users.informer.events, (event) =>
      Effect.gen(function* () {
        if (event.type === "Malformed") return
        const user = event.object
        const { namespace } = user.metadata
        const ids = new Set([userIdFor(user.spec, user.metadata.uid), user.status?.userID])
        yield* requeueNaming(
          memberships,
          namespace,
          (tma) => normalizeEmail(tma.spec.userEmail) === normalizeEmail(user.spec.userEmail)
        )
        yield* requeueNaming(keys, namespace, (vk) => vk.spec.userID !== undefined && ids.has(vk.spec.userID))
      })
    )
  )
  return { teams, users, keys, memberships }
})
