/** The Team status: what LiteLLM holds for the team, what the operator applied, and Ready. */
import { budgetFromNumber } from "../api/Budget.ts"
import type { TeamStatus } from "../api/Team.ts"
import type { ObservedTeam } from "../litellm/ObservedTeam.ts"
import type { LastApplied } from "../plan/FieldRule.ts"
import { compact } from "./compact.ts"
import type { MirrorCap } from "./mirrorValues.ts"
import { jsonText, makeMirrorCap, optionalBudget, optionalInt, stringList } from "./mirrorValues.ts"
import type { Outcome } from "./Ready.ts"
import { withReady } from "./Ready.ts"

/** The status fields that mirror LiteLLM's team, each capped (`truncated` names those cut). */
export const teamMirror = (team: ObservedTeam, cap: MirrorCap = makeMirrorCap()): TeamStatus => {
  const mirror = compact({
    teamID: cap.text("teamID", team.team_id),
    teamAlias: cap.text("teamAlias", team.team_alias),
    blocked: team.blocked ?? false,
    budgetDuration: cap.text("budgetDuration", team.budget_duration),
    budgetResetAt: cap.text("budgetResetAt", team.budget_reset_at),
    createdAt: cap.text("createdAt", team.created_at),
    updatedAt: cap.text("updatedAt", team.updated_at),
    maxBudget: optionalBudget(team.max_budget),
    spend: budgetFromNumber(team.spend ?? 0),
    maxParallelRequests: optionalInt(team.max_parallel_requests),
    models: cap.list("models", team.models),
    organizationID: team.organization_id === "" ? undefined : cap.text("organizationID", team.organization_id),
    rpmLimit: optionalInt(team.rpm_limit),
    tpmLimit: optionalInt(team.tpm_limit),
    modelID:
      team.model_id === null || team.model_id === undefined ? undefined : cap.text("modelID", String(team.model_id)),
    tags: cap.list("tags", stringList(team.metadata?.tags)),
    liteLLMModelTable: cap.text("liteLLMModelTable", jsonText(team.litellm_model_table)),
    teamMemberPermissions: cap.list("teamMemberPermissions", team.team_member_permissions),
    membersWithRole: cap.list(
      "membersWithRole",
      team.members_with_roles?.map((m) => compact({ userID: m.user_id, userEmail: m.user_email, role: m.role }))
    )
  })
  return compact({ ...mirror, truncated: cap.truncated() })
}

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
    observedGeneration: options.generation,
    conditions: withReady({
      previous: previous?.conditions,
      outcome: options.outcome,
      generation: options.generation,
      now: options.now
    })
  }
}
