/** Team: its LiteLLM team, identified by `spec.teamID` or one derived from the object's uid. */
import type { LastApplied, TeamStatus } from "@litellm-operator/core"
import { teamIdFor, teamStatus } from "@litellm-operator/core"
import type { TeamResource } from "@litellm-operator/k8s"
import { Teams } from "@litellm-operator/k8s"
import { Effect } from "effect"
import type { KindHandler } from "./KindHandler.ts"
import { syncTeam } from "./syncTeam.ts"

const lastAppliedOf = (status: TeamStatus | undefined): LastApplied => ({
  fields: status?.appliedFields ?? [],
  modelAliases: status?.modelAliases
})

export const teamHandler: KindHandler<TeamResource, TeamStatus, never> = {
  type: Teams,
  connectionRef: (team) => team.spec.connectionRef,
  sync: (team, { client, lifecycle, now }) =>
    Effect.gen(function* () {
      const teamId = teamIdFor(team.spec, team.metadata.uid)
      const { plan, team: observed } = yield* syncTeam(
        client,
        { teamId, spec: team.spec, ...lifecycle },
        lastAppliedOf(team.status)
      )
      const created = plan.actions.some((a) => a._tag === "TeamCreate")
      return {
        status: teamStatus({
          previous: team.status,
          team: observed,
          applied: plan.applied,
          outcome: { _tag: "Reconciled", warnings: plan.warnings },
          generation: team.metadata.generation,
          now
        }),
        writes: plan.actions.length,
        created,
        adoptedExisting: !created && team.spec.teamID !== undefined && team.status?.appliedFields === undefined
      }
    }),
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
