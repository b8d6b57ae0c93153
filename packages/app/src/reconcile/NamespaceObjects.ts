/**
 * The Team and User objects of a namespace, for an association to resolve its
 * `teamAlias` and `userEmail` against: answered from the operator's informer
 * caches, so resolving costs no API request however many objects there are.
 */
import type { Informer, TeamResource, UserResource } from "@litellm-operator/k8s"
import { Context, type Effect } from "effect"

export class NamespaceObjects extends Context.Service<
  NamespaceObjects,
  {
    teams(namespace: string): Effect.Effect<ReadonlyArray<TeamResource>>
    users(namespace: string): Effect.Effect<ReadonlyArray<UserResource>>
  }
>()("litellm-operator/app/reconcile/NamespaceObjects") {
  static readonly fromInformers = (informers: {
    readonly teams: Informer<TeamResource>
    readonly users: Informer<UserResource>
  }): NamespaceObjects["Service"] =>
    NamespaceObjects.of({
      teams: (namespace) => informers.teams.list(namespace),
      users: (namespace) => informers.users.list(namespace)
    })
}
