/** Team: its LiteLLM team, identified by `spec.teamID` or one derived from the object's uid. */
import type { ObservedTeam, TeamStatus } from "@litellm-operator/core"
import { lastAppliedOf, teamIdFor, teamStatus, withOwnerMarker } from "@litellm-operator/core"
import type { TeamResource } from "@litellm-operator/k8s"
import { Teams } from "@litellm-operator/k8s"
import { Effect } from "effect"
import type { KindHandler } from "./KindHandler.ts"
import { syncedFrom } from "./KindHandler.ts"
import type { NamespaceObjects } from "./NamespaceObjects.ts"
import { syncTeam } from "./syncTeam.ts"
import { guardOf, ownership, requireReferences } from "./tenancy.ts"

export const teamHandler: KindHandler<TeamResource, TeamStatus, NamespaceObjects> = {
  type: Teams,
  connectionRef: (team) => team.spec.connectionRef,
  sync: (team, context) =>
    Effect.gen(function* () {
      const { client, lifecycle, now, connection } = context
      const teamId = teamIdFor(team.spec, team.metadata.uid)
      if (!lifecycle.deleting && team.spec.organizationID !== undefined && team.spec.organizationID !== "") {
        yield* requireReferences([
          {
            field: "spec.organizationID",
            declaredBy: undefined,
            id: team.spec.organizationID,
            namespace: team.metadata.namespace,
            declared: [],
            policy: connection.policy,
            connectionSecret: connection.secret
          }
        ])
      }
      const marked = withOwnerMarker(team.spec.metadata, context.self)
      const spec = {
        ...team.spec,
        metadata: marked.metadata
      }
      const synced = yield* syncTeam(
        client,
        { teamId, spec, ...lifecycle },
        lastAppliedOf(team.status),
        guardOf<ObservedTeam | undefined>({
          check: (before) =>
            ownership(context, {
              what: `team ${JSON.stringify(teamId)}`,
              exists: before !== undefined,
              metadata: before?.metadata,
              recorded: team.status?.teamID === teamId
            }),
          // The id goes into the status before the team is made, so a deletion knows whether anything was.
          beforeWrite:
            team.status?.teamID === teamId ? Effect.void : context.recordStatus({ ...team.status, teamID: teamId })
        })
      )
      return syncedFrom(
        synced,
        teamStatus({
          previous: team.status,
          team: synced.team,
          applied: synced.plan.applied,
          outcome: { _tag: "Reconciled", warnings: [...marked.warnings, ...synced.plan.warnings] },
          generation: team.metadata.generation,
          now
        })
      )
    }),
  mayHaveCreated: (team) => Effect.succeed(team.status?.teamID !== undefined),
  failedStatus: (team, outcome, now) =>
    teamStatus({
      previous: team.status,
      team: undefined,
      applied: lastAppliedOf(team.status),
      outcome,
      generation: team.metadata.generation,
      now
    }),
  conditionsOnly: (conditions) => ({ conditions })
}
