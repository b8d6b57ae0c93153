/**
 * The operator: one controller per kind, and what wakes each of its objects.
 * Its own informer's events (unless of a version the operator wrote itself),
 * and the changes of what its objects name — a connection Secret, a Team, a
 * User — found through reference indexes kept from the informers' events
 * rather than scans of their caches. Reconciles read the object, and every
 * Secret, from caches; nothing depends on which event woke them.
 */
import type { ConnectionRef } from "@litellm-operator/core"
import { connectionTarget, failed, normalizeEmail, withReady } from "@litellm-operator/core"
import type {
  CustomObject,
  CustomResourceType,
  Indexers,
  Informer,
  InformerEvent,
  ObjectKey,
  TeamResource,
  UserResource
} from "@litellm-operator/k8s"
import { KubeClient, keyOf, keyString, makeInformer, SecretCache } from "@litellm-operator/k8s"
import { Clock, DateTime, Duration, Effect, Option, Queue } from "effect"
import type { WithConditions } from "./observability/ObjectCounts.ts"
import { makeObjectCounts } from "./observability/ObjectCounts.ts"
import { Readiness } from "./observability/Readiness.ts"
import { cachedForm } from "./reconcile/cachedForm.ts"
import type { KindHandler } from "./reconcile/KindHandler.ts"
import { keySecretFields, managedByLabel, managedByValue } from "./reconcile/keyMaterial.ts"
import { membershipHandler } from "./reconcile/membershipHandler.ts"
import { inNamespace, NamespaceObjects, teamIndexers, userIndexers } from "./reconcile/NamespaceObjects.ts"
import { OwnWrites } from "./reconcile/OwnWrites.ts"
import { outcomeOf } from "./reconcile/outcomeOf.ts"
import { Refusals } from "./reconcile/Refusals.ts"
import type { ReconcileSettings } from "./reconcile/reconcileObject.ts"
import { reconcileObject } from "./reconcile/reconcileObject.ts"
import { instanceUrlFrom } from "./reconcile/resolveConnection.ts"
import { teamHandler } from "./reconcile/teamHandler.ts"
import { userHandler } from "./reconcile/userHandler.ts"
import { virtualKeyHandler } from "./reconcile/virtualKeyHandler.ts"
import type { Watch } from "./runtime/Controller.ts"
import { runController, watches } from "./runtime/Controller.ts"
import { ReconcileQueue } from "./runtime/ReconcileQueue.ts"
import type { ReferenceIndex } from "./runtime/ReferenceIndex.ts"
import { keepIndex } from "./runtime/ReferenceIndex.ts"
import type { SharedEvents } from "./runtime/SharedEvents.ts"
import { shareEvents } from "./runtime/SharedEvents.ts"

export { notReadyByReason } from "./observability/ObjectCounts.ts"

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

/** What every kind has: a connection, and the Ready condition among its status's conditions. */
type Reconciled<St extends WithConditions = WithConditions> = CustomObject<St> & {
  readonly spec: { readonly connectionRef: ConnectionRef }
}

/** Runs the operator until the scope closes. */
export const runOperator = Effect.fnUntraced(function* (options: OperatorOptions) {
  const kube = yield* KubeClient
  const readiness = yield* Readiness
  // Every Secret a reconcile reads comes from here: the key Secrets the operator writes (by their label) and
  // the connection Secrets objects name (a metadata-only watch, data fetched for named Secrets only).
  const secrets = yield* SecretCache.make({
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    ownedLabel: { key: managedByLabel, value: managedByValue },
    ownedFields: keySecretFields
  })
  yield* readiness.expect("informer/Secret")
  yield* Effect.forkScoped(Effect.andThen(secrets.synced, readiness.ready("informer/Secret")))
  // Every kind asks about the Teams, Users and VirtualKeys (references, owners): answered from their informers.
  const objects = yield* NamespaceObjects.deferred
  const refusals = yield* Refusals.make
  const ownWrites = yield* OwnWrites.make

  const informerOf = Effect.fnUntraced(function* <
    A extends Reconciled<St>,
    St extends WithConditions,
    X extends string = never
  >(type: CustomResourceType<A, St>, indexers?: Indexers<A, X>) {
    const informer = yield* makeInformer(type, {
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
      ...(options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector }),
      // Only what a reconcile reads of the metadata a tenant controls, laid out as JSON.parse lays it out.
      transform: cachedForm,
      // A tenant can make each object some 1.5 MB (labels, finalizers): listed one at a time, never a page of
      // them at once; from a server that refuses streaming lists, in pages of 100.
      streamingList: true,
      pageSize: 100,
      ...(indexers === undefined ? {} : { indexers })
    })
    yield* readiness.expect(`informer/${type.kind}`)
    yield* Effect.forkScoped(Effect.andThen(informer.synced, readiness.ready(`informer/${type.kind}`)))
    return informer
  })
  const teams = yield* informerOf(teamHandler.type, teamIndexers)
  const users = yield* informerOf(userHandler.type, userIndexers)
  const keys = yield* informerOf(virtualKeyHandler.type)
  const memberships = yield* informerOf(membershipHandler.type)
  yield* objects.bind({ teams, users, virtualKeys: keys }, options.namespace)
  // Each source is read once, by every handler in turn (its controller, the indexes, the other kinds' watches).
  const teamEvents = shareEvents(teams)
  const userEvents = shareEvents(users)
  const keyEvents = shareEvents(keys)
  const membershipEvents = shareEvents(memberships)
  const secretChanges = shareEvents({ handle: secrets.handleChanges })

  /** Objects of all kinds share OwnWrites and Refusals: their entries are named by kind and key. */
  const named = (kind: string, key: string) => `${kind}/${key}`

  /**
   * One kind's controller: its informer's events queue their object (reporting
   * one that does not decode, counting the objects), `dependsOn` wakes what
   * the watched changes name, in full.
   */
  const controller = Effect.fnUntraced(function* <A extends Reconciled<St>, St extends WithConditions, R>(
    handler: KindHandler<A, St, R>,
    informer: Informer<A>,
    events: SharedEvents<InformerEvent<A>>,
    dependsOn: ReadonlyArray<Watch>
  ) {
    const kind = handler.type.kind
    const counts = yield* makeObjectCounts(kind)
    // Read in place around every reconcile.
    const clock = yield* Effect.clockWith(Effect.succeed)

    const reconcile = (key: string) =>
      Effect.gen(function* () {
        const object = yield* informer.get(parseKey(key))
        if (Option.isNone(object)) return { skipped: true }
        // Woken by the event of its own last write, moments after reconciling in full: nothing to do.
        const settled = yield* ownWrites.settled(
          named(kind, key),
          object.value.metadata.resourceVersion,
          clock.currentTimeMillisUnsafe(),
          Duration.toMillis(options.resyncPeriod) / 2
        )
        if (settled && object.value.metadata.deletionTimestamp === undefined) return { skipped: true }
        const result = yield* reconcileObject(handler, object.value, options)
        if (result.requeueAfter === undefined)
          yield* ownWrites.reconciled(named(kind, key), clock.currentTimeMillisUnsafe())
        return result
      }).pipe(Effect.annotateLogs({ kind, key }))

    /** An object that does not decode cannot be reconciled; its status says why. */
    const reportMalformed = (event: Extract<InformerEvent<A>, { readonly type: "Malformed" }>) =>
      Effect.gen(function* () {
        const key = event.object.key
        if (key === undefined) return
        yield* counts.set(keyString(key), undefined)
        const now = DateTime.formatIso(DateTime.fromDateUnsafe(new Date(yield* Clock.currentTimeMillis)))
        const conditions = withReady({
          previous: undefined,
          outcome: failed("InvalidSpec", event.object.message),
          generation: 0,
          now
        })
        yield* kube
          .patchStatus(
            handler.type,
            key,
            handler.conditionsOnly(conditions.map(({ observedGeneration: _g, ...c }) => c))
          )
          .pipe(Effect.catch((error) => Effect.logWarning("could not report an invalid object", error.message)))
      })

    // Writing such an object's status is I/O: done by a fiber of its own, one at a time, so no other handler
    // of the kind's events waits on it.
    const malformed = yield* Queue.unbounded<Extract<InformerEvent<A>, { readonly type: "Malformed" }>>()
    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.take(malformed), reportMalformed)))

    const own = watches(events, (event: InformerEvent<A>) =>
      Effect.gen(function* () {
        if (event.type === "Malformed") {
          yield* Queue.offer(malformed, event)
          return []
        }
        const key = keyString(keyOf(event.object))
        yield* counts.set(key, event.type === "Deleted" ? undefined : event.object)
        // A version the operator wrote itself (finalizer, status) brings nothing new: the reconcile that wrote it acted on it.
        const isOwn = yield* ownWrites.isOwn(named(kind, key), event.object.metadata.resourceVersion)
        return event.type === "Modified" && isOwn ? [] : [key]
      })
    )
    yield* runController({
      name: kind,
      workers: options.workers,
      resyncPeriod: options.resyncPeriod,
      resyncJitter: options.resyncJitter,
      reconcileTimeout: options.reconcileTimeout,
      reconcile,
      reasonOf: (error) => outcomeOf(error).reason,
      primary: own,
      watches: dependsOn,
      // Something the object depends on changed: reconcile it in full, even if it reconciled moments ago.
      beforeWake: (key) => ownWrites.unsettle(named(kind, key))
    }).pipe(
      Effect.provideService(ReconcileQueue, yield* ReconcileQueue.make(undefined, kind)),
      Effect.provideService(SecretCache, secrets),
      Effect.provideService(NamespaceObjects, objects.service),
      Effect.provideService(Refusals, refusals),
      Effect.provideService(OwnWrites, ownWrites)
    )
  })

  // Reference indexes: what each object names, kept from its kind's events.
  const bySecret: Array<ReferenceIndex<string>> = []
  // A connection Secret no object names any more is not kept.
  const released = (ref: string) =>
    bySecret.every((index) => index.dependents(ref).length === 0) ? secrets.release(parseKey(ref)) : Effect.void
  /** The connection Secret an object names. */
  const secretOf = (object: Reconciled) => {
    const target = connectionTarget(
      object.spec.connectionRef,
      object.metadata.namespace,
      instanceUrlFrom(options.instanceUrlTemplate)
    )
    return [keyString({ namespace: target.secretNamespace, name: target.secretName })]
  }
  /** A connection Secret that appears, changes or goes (a rotated master key, a new URL, a new policy). */
  const namingSecret = Effect.fnUntraced(function* <A extends Reconciled>(events: SharedEvents<InformerEvent<A>>) {
    const index = yield* keepIndex(events, secretOf, released)
    bySecret.push(index)
    return watches(secretChanges, (secret: ObjectKey) => index.dependents(keyString(secret)))
  })
  /** The ids a Team (or User) answers to, as its informer indexes it: the one its spec or uid gives, the one recorded. */
  const teamIds = (event: InformerEvent<TeamResource>) =>
    event.type === "Malformed" ? [] : teamIndexers.id(event.object)
  const userIds = (event: InformerEvent<UserResource>) =>
    event.type === "Malformed" ? [] : userIndexers.id(event.object)
  const dependentsOf = (index: ReferenceIndex<string>, refs: Iterable<string>) =>
    [...refs].flatMap((ref) => index.dependents(ref))

  yield* controller(teamHandler, teams, teamEvents, [yield* namingSecret(teamEvents)])

  // Users join teams by id: a Team that appears, changes or goes wakes the Users naming it in spec.teams.
  const usersByTeamId = yield* keepIndex(userEvents, (user) =>
    inNamespace(user.metadata.namespace, user.spec.teams ?? [])
  )
  yield* controller(userHandler, users, userEvents, [
    yield* namingSecret(userEvents),
    watches(teamEvents, (event) => dependentsOf(usersByTeamId, teamIds(event)))
  ])

  // A key spends its team's and its user's budget: a Team or User that changes wakes the keys naming it.
  const keysByTeamId = yield* keepIndex(keyEvents, (vk) => inNamespace(vk.metadata.namespace, [vk.spec.teamID]))
  const keysByUserId = yield* keepIndex(keyEvents, (vk) => inNamespace(vk.metadata.namespace, [vk.spec.userID]))
  yield* controller(virtualKeyHandler, keys, keyEvents, [
    yield* namingSecret(keyEvents),
    watches(teamEvents, (event) => dependentsOf(keysByTeamId, teamIds(event))),
    watches(userEvents, (event) => dependentsOf(keysByUserId, userIds(event)))
  ])

  // An association names its team by alias and its user by email, exactly.
  const byAlias = yield* keepIndex(membershipEvents, (tma) => inNamespace(tma.metadata.namespace, [tma.spec.teamAlias]))
  const byEmail = yield* keepIndex(membershipEvents, (tma) =>
    inNamespace(tma.metadata.namespace, [normalizeEmail(tma.spec.userEmail)])
  )
  yield* controller(membershipHandler, memberships, membershipEvents, [
    yield* namingSecret(membershipEvents),
    watches(teamEvents, (event) =>
      event.type === "Malformed" ? [] : dependentsOf(byAlias, teamIndexers.alias(event.object))
    ),
    watches(userEvents, (event) =>
      event.type === "Malformed" ? [] : dependentsOf(byEmail, userIndexers.email(event.object))
    )
  ])

  // Every handler is in place: each source is subscribed to once, from its current objects on.
  for (const source of [teamEvents, userEvents, keyEvents, membershipEvents, secretChanges]) yield* source.start
})
