/**
 * The operator's own objects as the reconcilers ask about them: the Teams and
 * Users of a namespace with an alias or an email (an association resolves its
 * team and user against them), those that declare or recorded an id (a
 * reference to a team or user is allowed when one of them owns it), and
 * whether the owner an owner marker names still exists. Answered from the
 * informer caches by index lookups, so asking costs no API request and no scan
 * however many objects there are; every answer waits until the caches hold
 * their first list, so an owner is never taken for gone because its informer
 * had not listed yet.
 */
import type { DeclaredObject, OwnerRef } from "@litellm-operator/core"
import { normalizeEmail, teamIdFor, userIdFor } from "@litellm-operator/core"
import type { Indexers, Informer, TeamResource, UserResource, VirtualKeyResource } from "@litellm-operator/k8s"
import { Context, Deferred, Effect, Option } from "effect"

/** Index values are scoped by namespace: what an alias, an email or an id means depends on where it is named. */
export const inNamespace = (namespace: string, values: Iterable<string | null | undefined>): Array<string> => {
  const scoped = new Set<string>()
  for (const value of values) if (value !== undefined && value !== null) scoped.add(`${namespace}/${value}`)
  return [...scoped]
}

/** The indexes the Team informer keeps: by the id a Team will have or recorded, and by alias. */
export const teamIndexers: Indexers<TeamResource, "id" | "alias"> = {
  id: (team) => inNamespace(team.metadata.namespace, [teamIdFor(team.spec, team.metadata.uid), team.status?.teamID]),
  alias: (team) => inNamespace(team.metadata.namespace, [team.spec.teamAlias])
}

/** The indexes the User informer keeps: by the id a User will have or recorded, and by email (normalized). */
export const userIndexers: Indexers<UserResource, "id" | "email"> = {
  id: (user) => inNamespace(user.metadata.namespace, [userIdFor(user.spec, user.metadata.uid), user.status?.userID]),
  email: (user) => inNamespace(user.metadata.namespace, [normalizeEmail(user.spec.userEmail)])
}

export interface Informers {
  readonly teams: Informer<TeamResource, "id" | "alias">
  readonly users: Informer<UserResource, "id" | "email">
  readonly virtualKeys: Informer<VirtualKeyResource>
}

export class NamespaceObjects extends Context.Service<
  NamespaceObjects,
  {
    /** The namespace's Teams with this alias (exactly). */
    teamsWithAlias(namespace: string, alias: string): Effect.Effect<ReadonlyArray<TeamResource>>
    /** The namespace's Users with this email (compared normalized). */
    usersWithEmail(namespace: string, email: string): Effect.Effect<ReadonlyArray<UserResource>>
    /**
     * The namespace's Teams that will have the id `id` or recorded it, as references see them (the id each
     * will have, the id its status records): every Team a reference to `id` can be declared by.
     */
    declaredTeams(namespace: string, id: string): Effect.Effect<ReadonlyArray<DeclaredObject>>
    declaredUsers(namespace: string, id: string): Effect.Effect<ReadonlyArray<DeclaredObject>>
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
      teamsWithAlias: (namespace, alias) =>
        Effect.andThen(synced, informers.teams.byIndex("alias", `${namespace}/${alias}`)),
      usersWithEmail: (namespace, email) =>
        Effect.andThen(synced, informers.users.byIndex("email", `${namespace}/${normalizeEmail(email)}`)),
      declaredTeams: (namespace, id) =>
        Effect.andThen(synced, informers.teams.byIndex("id", `${namespace}/${id}`)).pipe(
          Effect.map((teams) =>
            teams.map((t) => ({
              name: t.metadata.name,
              id: teamIdFor(t.spec, t.metadata.uid),
              recordedId: t.status?.teamID
            }))
          )
        ),
      declaredUsers: (namespace, id) =>
        Effect.andThen(synced, informers.users.byIndex("id", `${namespace}/${id}`)).pipe(
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
      teamsWithAlias: (namespace, alias) => use((s) => s.teamsWithAlias(namespace, alias)),
      usersWithEmail: (namespace, email) => use((s) => s.usersWithEmail(namespace, email)),
      declaredTeams: (namespace, id) => use((s) => s.declaredTeams(namespace, id)),
      declaredUsers: (namespace, id) => use((s) => s.declaredUsers(namespace, id)),
      ownerGone: (owner) => use((s) => s.ownerGone(owner))
    })
    return {
      service,
      bind: (informers: Informers, namespace?: string) =>
        Deferred.succeed(bound, NamespaceObjects.fromInformers(informers, namespace))
    }
  })
}
