/** The Team status: what LiteLLM holds for the team, what the operator applied, and Ready. */
import { budgetFromNumber } from "../api/Budget.ts"
import type { TeamStatus } from "../api/Team.ts"
import type { ObservedTeam } from "../litellm/ObservedTeam.ts"
import type { LastApplied } from "../plan/FieldRule.ts"
import { compact } from "./compact.ts"
import { optionalBudget, optionalInt, stringList } from "./mirrorValues.ts"
import type { Outcome } from "./Ready.ts"
import { withReady } from "./Ready.ts"

/** The status fields that mirror LiteLLM's team. */
export const teamMirror = (team: ObservedTeam): TeamStatus =>
  compact({
    teamID: team.team_id,
    teamAlias: team.team_alias,
    blocked: team.blocked ?? false,
    budgetDuration: team.budget_duration,
    budgetResetAt: team.budget_reset_at,
    createdAt: team.created_at,
    updatedAt: team.updated_at,
    maxBudget: optionalBudget(team.max_budget),
    spend: budgetFromNumber(team.spend ?? 0),
    maxParallelRequests: optionalInt(team.max_parallel_requests),
    models: team.models,
    organizationID: team.organization_id === "" ? undefined : team.organization_id,
    rpmLimit: optionalInt(team.rpm_limit),
    tpmLimit: optionalInt(team.tpm_limit),
    modelID: team.model_id === null || team.model_id === undefined ? undefined : String(team.model_id),
    tags: stringList(team.metadata?.tags),
    teamMemberPermissions: team.team_member_permissions,
    membersWithRole: team.members_with_roles?.map((m) =>
      compact({ userID: m.user_id, userEmail: m.user_email, role: m.role })
    )
  })

/**
 * The next status. With `team` undefined (LiteLLM could not be read) the
 * mirrored fields keep their previous values.
 */
export const teamStatus = (options: {
  readonly previous: TeamStatus | undefined
  readonly team: ObservedTeam | undefined
  readonly applied: LastApplied
  readonly outcome: Outcome
  readonly generation: number
  readonly now: string
}): TeamStatus => {
  const { previous, team, applied } = options
  const { conditions: _c, appliedFields: _a, modelAliases: _m, ...previousMirror } = previous ?? {}
  return {
    ...(team === undefined ? previousMirror : teamMirror(team)),
    ...(applied.modelAliases === undefined ? {} : { modelAliases: applied.modelAliases }),
    appliedFields: [...applied.fields].sort(),
    conditions: withReady({
      previous: previous?.conditions,
      outcome: options.outcome,
      generation: options.generation,
      now: options.now
    })
  }
}
