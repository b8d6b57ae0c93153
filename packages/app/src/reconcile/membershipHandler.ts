/**
 * TeamMemberAssociation: finds its team by `teamAlias` and its user by
 * `userEmail`, exactly — first among the Team and User objects of its
 * namespace, then in LiteLLM — and refuses to guess between several matches.
 */
import type { Condition, Connection, TeamMemberAssociationStatus } from "@litellm-operator/core"
import {
  allowForeignReferencesAnnotation,
  emptyPlan,
  membershipLastApplied,
  membershipStatus,
  normalizeEmail,
  resolveExact,
  teamIdFor,
  userIdFor
} from "@litellm-operator/core"
import type { TeamMemberAssociationResource } from "@litellm-operator/k8s"
import { TeamMemberAssociations } from "@litellm-operator/k8s"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import { Effect } from "effect"
import type { KindHandler } from "./KindHandler.ts"
import { syncedFrom } from "./KindHandler.ts"
import { NamespaceObjects } from "./NamespaceObjects.ts"
import { AmbiguousReference, DependencyNotReady } from "./ReconcileError.ts"
import { syncMembership } from "./syncMembership.ts"

const pick = <A>(what: string, resolution: ReturnType<typeof resolveExact<A>>) => {
  switch (resolution._tag) {
    case "Found":
      return Effect.succeed(resolution.value)
    case "Ambiguous":
      return Effect.fail(
        new AmbiguousReference({ message: `${what} matches ${resolution.count} objects; make it unique` })
      )
    case "NotFound":
      return Effect.succeed(undefined)
  }
}

const isReady = (status: { readonly conditions?: ReadonlyArray<Condition> } | undefined): boolean =>
  status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true

/**
 * Looking past the namespace (in LiteLLM) needs the connection's consent;
 * without it the association waits for a Team or User of its own namespace.
 */
const outsideNamespace = (connection: Connection, what: string, namespace: string, kind: "Team" | "User") =>
  connection.policy.allowForeignReferences
    ? Effect.void
    : Effect.fail(
        new DependencyNotReady({
          message: `no ${kind} in namespace ${namespace} has ${what} yet; LiteLLM is not searched for it, since that needs the annotation ${allowForeignReferencesAnnotation}: "true" on the connection Secret ${connection.secret}`,
          // A Team or User of the namespace that comes with it wakes the association.
          watched: true
        })
      )

const resolveTeamId = Effect.fnUntraced(function* (
  client: LiteLLMClient["Service"],
  connection: Connection,
  namespace: string,
  alias: string
) {
  const teams = yield* (yield* NamespaceObjects).teamsWithAlias(namespace, alias)
  const what = `teamAlias "${alias}"`
  const fromObjects = yield* pick(
    what,
    resolveExact(teams, (t) => t.spec.teamAlias, alias)
  )
  if (fromObjects !== undefined) {
    // Until the Team is Ready its LiteLLM team may not exist yet, or may not be its own.
    if (fromObjects.status?.teamID === undefined || !isReady(fromObjects.status)) {
      return yield* new DependencyNotReady({
        message: `Team ${namespace}/${fromObjects.metadata.name} is not ready yet`,
        watched: true
      })
    }
    return teamIdFor(fromObjects.spec, fromObjects.metadata.uid)
  }
  yield* outsideNamespace(connection, what, namespace, "Team")
  const fromLiteLLM = yield* pick(
    what,
    resolveExact(yield* client.teamList({ teamAlias: alias }), (t) => t.team_alias, alias)
  )
  if (fromLiteLLM !== undefined) return fromLiteLLM.team_id
  return yield* new DependencyNotReady({
    message: `no team with alias "${alias}" in namespace ${namespace} or in LiteLLM yet`,
    // Nothing watches LiteLLM: looked for again with backoff.
    watched: false
  })
})

const resolveUserId = Effect.fnUntraced(function* (
  client: LiteLLMClient["Service"],
  connection: Connection,
  namespace: string,
  email: string
) {
  const users = yield* (yield* NamespaceObjects).usersWithEmail(namespace, email)
  const what = `userEmail "${email}"`
  const fromObjects = yield* pick(
    what,
    resolveExact(users, (u) => u.spec.userEmail, email, normalizeEmail)
  )
  if (fromObjects !== undefined) {
    if (fromObjects.status?.userID === undefined || !isReady(fromObjects.status)) {
      return yield* new DependencyNotReady({
        message: `User ${namespace}/${fromObjects.metadata.name} is not ready yet`,
        watched: true
      })
    }
    return userIdFor(fromObjects.spec, fromObjects.metadata.uid)
  }
  yield* outsideNamespace(connection, what, namespace, "User")
  const fromLiteLLM = yield* pick(
    what,
    resolveExact(yield* client.userList({ userEmail: email }), (u) => u.user_email, email, normalizeEmail)
  )
  if (fromLiteLLM !== undefined) return fromLiteLLM.user_id
  return yield* new DependencyNotReady({
    message: `no user with email "${email}" in namespace ${namespace} or in LiteLLM yet`,
    // Nothing watches LiteLLM: looked for again with backoff.
    watched: false
  })
})

export const membershipHandler: KindHandler<
  TeamMemberAssociationResource,
  TeamMemberAssociationStatus,
  NamespaceObjects
> = {
  type: TeamMemberAssociations,
  connectionRef: (tma) => tma.spec.connectionRef,
  sync: (tma, { client, connection, lifecycle, now, recordStatus }) =>
    Effect.gen(function* () {
      const { namespace } = tma.metadata
      // On deletion the ids resolved before are what to remove; the team or user may be gone by now.
      const knownTeam = tma.status?.teamID
      const knownUser = tma.status?.userID
      if (lifecycle.deleting && (knownTeam === undefined || knownUser === undefined)) {
        // Never resolved, so never added: nothing to remove.
        return { status: tma.status ?? {}, summary: emptyPlan.summary, calls: 0 }
      }
      const teamId =
        lifecycle.deleting && knownTeam !== undefined
          ? knownTeam
          : yield* resolveTeamId(client, connection, namespace, tma.spec.teamAlias)
      const userId =
        lifecycle.deleting && knownUser !== undefined
          ? knownUser
          : yield* resolveUserId(client, connection, namespace, tma.spec.userEmail)
      const synced = yield* syncMembership(
        client,
        { teamId, userId, spec: tma.spec, ...lifecycle },
        membershipLastApplied(tma.status),
        // The ids go into the status before the member is added, so a deletion knows what to remove.
        knownTeam === teamId && knownUser === userId
          ? Effect.void
          : recordStatus({ ...tma.status, teamID: teamId, userID: userId })
      )
      return syncedFrom(
        synced,
        membershipStatus({
          previous: tma.status,
          teamAlias: tma.spec.teamAlias,
          userEmail: tma.spec.userEmail,
          teamId,
          userId,
          membership: synced.membership,
          outcome: { _tag: "Reconciled", warnings: synced.plan.warnings },
          generation: tma.metadata.generation,
          now
        })
      )
    }),
  mayHaveCreated: (tma) => Effect.succeed(tma.status?.teamID !== undefined && tma.status.userID !== undefined),
  failedStatus: (tma, outcome, now) =>
    membershipStatus({
      previous: tma.status,
      teamAlias: tma.spec.teamAlias,
      userEmail: tma.spec.userEmail,
      teamId: tma.status?.teamID,
      userId: tma.status?.userID,
      // What was applied before stays known, so ownership of the budget survives a failure.
      membership:
        tma.status?.teamID === undefined || tma.status.userID === undefined || tma.status.role === undefined
          ? undefined
          : {
              teamId: tma.status.teamID,
              userId: tma.status.userID,
              role: tma.status.role,
              maxBudgetInTeam: tma.status.maxBudgetInTeam === undefined ? undefined : Number(tma.status.maxBudgetInTeam)
            },
      outcome,
      generation: tma.metadata.generation,
      now
    }),
  conditionsOnly: (conditions) => ({ conditions })
}
