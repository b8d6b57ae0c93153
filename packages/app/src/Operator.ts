/**
 * The operator: one informer and one controller per kind, wired so that
 * every watch event puts its object's key on that kind's queue, and changes to
 * what objects depend on requeue them too (a connection Secret → the objects
 * that use it; a Team or User → the associations that name it), found through
 * indexes kept from the informers' events rather than scans of their caches.
 * Reconciles read the object, and every Secret, from caches; nothing depends
 * on which event woke them.
 */
import type { ConnectionRef } from "@litellm-operator/core"
import { connectionTarget, failed, normalizeEmail, withReady } from "@litellm-operator/core"
import type { CustomObject, Informer, InformerEvent, ObjectKey } from "@litellm-operator/k8s"
import { KubeClient, keyOf, keyString, makeInformer, SecretCache } from "@litellm-operator/k8s"
import type { Duration } from "effect"
import { Clock, DateTime, Effect, Metric, Option, Stream } from "effect"
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
import { outcomeOf } from "./reconcile/outcomeOf.ts"
import type { ReconcileSettings } from "./reconcile/reconcileObject.ts"
import { reconcileObject } from "./reconcile/reconcileObject.ts"
import { instanceUrlFrom } from "./reconcile/resolveConnection.ts"
import { teamHandler } from "./reconcile/teamHandler.ts"
import { userHandler } from "./reconcile/userHandler.ts"
import { virtualKeyHandler } from "./reconcile/virtualKeyHandler.ts"
import { runController } from "./runtime/Controller.ts"
import type { ReferenceIndex } from "./runtime/ReferenceIndex.ts"
import { makeReferenceIndex } from "./runtime/ReferenceIndex.ts"
import { WorkQueue } from "./runtime/WorkQueue.ts"

export interface OperatorOptions extends ReconcileSettings {
  /** Watch one namespace; all when undefined. */
  readonly namespace: string | undefined
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
  const informer = yield* makeInformer(
    handler.type,
    options.namespace === undefined ? {} : { namespace: options.namespace }
  )
  const queue = yield* WorkQueue.make()

  const count = (result: "success" | "error") =>
    Metric.update(Metric.withAttributes(reconcilesTotal, { kind, result }), 1)
  const reconcile = (key: string) =>
    Effect.gen(function* () {
      const object = yield* informer.get(parseKey(key))
      if (Option.isNone(object)) return {}
      const started = yield* Clock.currentTimeMillis
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
      const seconds = ((yield* Clock.currentTimeMillis) - started) / 1000
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
      event.type === "Malformed"
        ? reportMalformed(event)
        : queue.add(keyString({ namespace: event.object.metadata.namespace, name: event.object.metadata.name }))
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
  return { informer, queue } satisfies Running<A>
})

type Dependent = { readonly queue: WorkQueue["Service"]; readonly key: string }

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
  const withSecrets = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provideService(effect, SecretCache, secrets)
  const teams = yield* withSecrets(startKind(teamHandler, options))
  const users = yield* withSecrets(startKind(userHandler, options))
  const keys = yield* withSecrets(startKind(virtualKeyHandler, options))
  // Associations resolve their Team and User from the two informers above.
  const memberships = yield* withSecrets(startKind(membershipHandler, options)).pipe(
    Effect.provideService(
      NamespaceObjects,
      NamespaceObjects.fromInformers({ teams: teams.informer, users: users.informer })
    )
  )

  /** Watches as data: events of `source` requeue the keys `keysFor` names. */
  const watches = <E>(source: Stream.Stream<E>, keysFor: (event: E) => Effect.Effect<ReadonlyArray<Dependent>>) =>
    Effect.forkScoped(
      Stream.runForEach(source, (event) =>
        Effect.flatMap(keysFor(event), (dependents) =>
          Effect.forEach(dependents, (d) => d.queue.add(d.key), { discard: true })
        )
      )
    )
  /** Keeps `index` up to date with what each object of a kind names. */
  const indexes = <A extends CustomObject<unknown>>(
    running: Running<A>,
    index: ReferenceIndex<Dependent>,
    refOf: (object: A) => string,
    onReleased: (ref: string) => Effect.Effect<void> = () => Effect.void
  ) =>
    Effect.forkScoped(
      Stream.runForEach(running.informer.events, (event) => {
        if (event.type === "Malformed") return Effect.void
        const key = keyString(keyOf(event.object))
        const id = `${event.object.kind}/${key}`
        const released = index.set(id, event.type === "Deleted" ? undefined : refOf(event.object), {
          queue: running.queue,
          key
        })
        return released === undefined ? Effect.void : onReleased(released)
      })
    )

  // A connection Secret that appears, changes or goes (a rotated master key, a new URL) requeues the objects
  // that name it; one no object names any more is not kept.
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

  // A Team or User that appears, changes or goes requeues the associations that name it.
  const byTeam = makeReferenceIndex<Dependent>()
  const byUser = makeReferenceIndex<Dependent>()
  yield* indexes(memberships, byTeam, (tma) => `${tma.metadata.namespace}/${tma.spec.teamAlias}`)
  yield* indexes(memberships, byUser, (tma) => `${tma.metadata.namespace}/${normalizeEmail(tma.spec.userEmail)}`)
  yield* watches(teams.informer.events, (event) =>
    Effect.sync(() =>
      event.type === "Malformed"
        ? []
        : byTeam.dependents(`${event.object.metadata.namespace}/${event.object.spec.teamAlias}`)
    )
  )
  yield* watches(users.informer.events, (event) =>
    Effect.sync(() =>
      event.type === "Malformed"
        ? []
        : byUser.dependents(`${event.object.metadata.namespace}/${normalizeEmail(event.object.spec.userEmail)}`)
    )
  )
  return { teams, users, keys, memberships, secrets }
})
