/**
 * The operator's own objects as the reconcilers ask about them: the Teams and
 * Users of a namespace (an association resolves its alias and email against
 * them; a reference to a team or user is allowed when one of them owns it),
 * and whether the owner an owner marker names still exists. Answered from the
 * informer caches, so asking costs no API request however many objects there
 * are; every answer waits until the caches hold their first list, so an owner
 * is never taken for gone because its informer had not listed yet.
 */
import type { DeclaredObject, OwnerRef } from "@litellm-operator/core"
import { teamIdFor, userIdFor } from "@litellm-operator/core"
import type { Informer, TeamResource, UserResource, VirtualKeyResource } from "@litellm-operator/k8s"
import { Context, Deferred, Effect, Option } from "effect"

export interface Informers {
  readonly teams: Informer<TeamResource>
  readonly users: Informer<UserResource>
  readonly virtualKeys: Informer<VirtualKeyResource>
}

export class NamespaceObjects extends Context.Service<
  NamespaceObjects,
  {
    teams(namespace: string): Effect.Effect<ReadonlyArray<TeamResource>>
    users(namespace: string): Effect.Effect<ReadonlyArray<UserResource>>
    /** The namespace's Teams as references see them: the id each will have, and the id its status records. */
    declaredTeams(namespace: string): Effect.Effect<ReadonlyArray<DeclaredObject>>
    declaredUsers(namespace: string): Effect.Effect<ReadonlyArray<DeclaredObject>>
    /** The object a marker names is gone from this cluster (no object of that kind, name and uid). */
    ownerGone(owner: OwnerRef): Effect.Effect<boolean>
  }
>()("litellm-operator/app/reconcile/NamespaceObjects") {
  /**
   * `namespace`: the one namespace the informers watch, if any. An owner in
   * another namespace cannot be seen from here, so it is never taken for gone.
   */
  static readonly fromInformers = (informers: Informers, namespace?: string): NamespaceObjects["Service"] => {
    const synced = Effect.all([informers.teams.synced, informers.users.synced, informers.virtualKeys.synced], {
      discard: true
    })
    const uidOf = (owner: OwnerRef): Effect.Effect<Option.Option<string>> => {
      const key = { namespace: owner.namespace, name: owner.name }
      switch (owner.kind) {
        case "Team":
          return Effect.map(
            informers.teams.get(key),
            Option.map((o) => o.metadata.uid)
          )
        case "User":
          return Effect.map(
            informers.users.get(key),
            Option.map((o) => o.metadata.uid)
          )
        case "VirtualKey":
          return Effect.map(
            informers.virtualKeys.get(key),
            Option.map((o) => o.metadata.uid)
          )
        default:
          return Effect.succeed(Option.none())
      }
    }
    return NamespaceObjects.of({
      teams: (namespace) => Effect.andThen(synced, informers.teams.list(namespace)),
      users: (namespace) => Effect.andThen(synced, informers.users.list(namespace)),
      declaredTeams: (namespace) =>
        Effect.andThen(synced, informers.teams.list(namespace)).pipe(
          Effect.map((teams) =>
            teams.map((t) => ({
              name: t.metadata.name,
              id: teamIdFor(t.spec, t.metadata.uid),
              recordedId: t.status?.teamID
            }))
          )
        ),
      declaredUsers: (namespace) =>
        Effect.andThen(synced, informers.users.list(namespace)).pipe(
          Effect.map((users) =>
            users.map((u) => ({
              name: u.metadata.name,
              id: userIdFor(u.spec, u.metadata.uid),
              recordedId: u.status?.userID
            }))
          )
        ),
      ownerGone: (owner) =>
        namespace !== undefined && owner.namespace !== namespace
          ? Effect.succeed(false)
          : Effect.andThen(synced, uidOf(owner)).pipe(
              Effect.map((uid) => Option.isNone(uid) || uid.value !== owner.uid)
            )
    })
  }

  /**
   * A service answered by informers that are made after the reconcilers that
   * ask (every kind's controller may ask about every other kind); asking waits
   * until `bind` has given them.
   */
  static readonly deferred = Effect.gen(function* () {
    const bound = yield* Deferred.make<NamespaceObjects["Service"]>()
    const use = <A>(f: (service: NamespaceObjects["Service"]) => Effect.Effect<A>) =>
      Effect.flatMap(Deferred.await(bound), f)
    const service = NamespaceObjects.of({
      teams: (namespace) => use((s) => s.teams(namespace)),
      users: (namespace) => use((s) => s.users(namespace)),
      declaredTeams: (namespace) => use((s) => s.declaredTeams(namespace)),
      declaredUsers: (namespace) => use((s) => s.declaredUsers(namespace)),
      ownerGone: (owner) => use((s) => s.ownerGone(owner))
    })
    return {
      service,
      bind: (informers: Informers, namespace?: string) =>
        Deferred.succeed(bound, NamespaceObjects.fromInformers(informers, namespace))
    }
  })
}
