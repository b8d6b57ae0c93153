/** The LiteLLM calls that make a team match its Team spec. */

import { budgetToNumber } from "../api/Budget.ts"
import { optionalCanonicalDuration } from "../api/Duration.ts"
import type { TeamSpec } from "../api/Team.ts"
import type { ObservedTeam } from "../litellm/ObservedTeam.ts"
import type { LiteLLMAction, Plan, PlanObject } from "./Action.ts"
import { LiteLLMAction as Action, planOf } from "./Action.ts"
import type { Lifecycle } from "./Deletion.ts"
import { createdFields, createFields, diffFields } from "./diffFields.ts"
import type { FieldRule, LastApplied } from "./FieldRule.ts"
import { wireEquals } from "./wireEquals.ts"

export interface TeamDesired extends Lifecycle {
  readonly teamId: string
  readonly spec: TeamSpec
}

export interface TeamObserved {
  /** The team read by its id; undefined when LiteLLM has no such team. */
  readonly team: ObservedTeam | undefined
  readonly lastApplied: LastApplied
  /** The team exists and this object takes it over (adoption, or a marker whose owner is gone). */
  readonly adopting?: boolean
}

const theTeam: PlanObject = {
  creates: (a) => a._tag === "TeamCreate",
  deletes: (a) => a._tag === "TeamDelete"
}

const metadataValue = (team: ObservedTeam, key: string): unknown => team.metadata?.[key]

export const teamRules: ReadonlyArray<FieldRule<TeamSpec, ObservedTeam>> = [
  {
    name: "teamAlias",
    wire: "team_alias",
    desired: (s) => s.teamAlias,
    observed: (o) => o.object.team_alias,
    clear: "unclearable"
  },
  {
    name: "budgetDuration",
    wire: "budget_duration",
    desired: (s) => optionalCanonicalDuration(s.budgetDuration),
    observed: (o) => o.object.budget_duration,
    clear: null
  },
  {
    name: "maxBudget",
    wire: "max_budget",
    desired: (s) => (s.maxBudget === undefined ? undefined : budgetToNumber(s.maxBudget)),
    observed: (o) => o.object.max_budget,
    clear: null
  },
  { name: "models", wire: "models", desired: (s) => s.models, observed: (o) => o.object.models, clear: [] },
  // LiteLLM treats "" as "no organization" on update.
  {
    name: "organizationID",
    wire: "organization_id",
    desired: (s) => s.organizationID,
    observed: (o) => o.object.organization_id ?? "",
    clear: ""
  },
  { name: "rpmLimit", wire: "rpm_limit", desired: (s) => s.rpmLimit, observed: (o) => o.object.rpm_limit, clear: null },
  { name: "tpmLimit", wire: "tpm_limit", desired: (s) => s.tpmLimit, observed: (o) => o.object.tpm_limit, clear: null },
  // LiteLLM does not return the alias map on /team/info; fall back to what we last applied.
  {
    name: "modelAliases",
    wire: "model_aliases",
    desired: (s) => s.modelAliases,
    observed: (o) => o.object.model_aliases ?? o.lastApplied.modelAliases,
    clear: {}
  },
  {
    name: "tags",
    wire: "tags",
    desired: (s) => s.tags,
    observed: (o) => metadataValue(o.object, "tags"),
    clear: [],
    inMetadata: true
  },
  {
    name: "guardrails",
    wire: "guardrails",
    desired: (s) => s.guardrails,
    observed: (o) => metadataValue(o.object, "guardrails"),
    clear: [],
    inMetadata: true
  }
]

/** Fields with their own endpoints, sent on create like the others. */
const createExtras: ReadonlyArray<{
  readonly name: string
  readonly wire: string
  readonly desired: (s: TeamSpec) => boolean | ReadonlyArray<string> | undefined
}> = [
  { name: "blocked", wire: "blocked", desired: (s) => s.blocked },
  { name: "teamMemberPermissions", wire: "team_member_permissions", desired: (s) => s.teamMemberPermissions }
]

export const planTeam = (desired: TeamDesired, observed: TeamObserved): Plan =>
  planOf(theTeam, teamCalls(desired, observed), observed.adopting)

const teamCalls = (desired: TeamDesired, observed: TeamObserved): Omit<Plan, "summary"> => {
  const { spec, teamId } = desired
  const team = observed.team
  if (desired.deleting) {
    const actions: Array<LiteLLMAction> =
      desired.deletionPolicy === "Delete" && team !== undefined ? [Action.cases.TeamDelete.make({ teamId })] : []
    return { actions, warnings: [], applied: { fields: [] } }
  }
  if (team === undefined) {
    const fields = createFields({
      rules: [...teamRules, ...createExtras],
      createOnly: [],
      spec,
      specMetadata: spec.metadata
    })
    return {
      actions: [Action.cases.TeamCreate.make({ teamId, fields })],
      warnings: [],
      applied: {
        fields: createdFields([...teamRules, ...createExtras], spec, spec.metadata),
        modelAliases: spec.modelAliases
      }
    }
  }

  const diff = diffFields({
    rules: teamRules,
    spec,
    observation: { object: team, lastApplied: observed.lastApplied },
    specMetadata: spec.metadata,
    observedMetadata: team.metadata,
    kind: "Team"
  })
  const actions: Array<LiteLLMAction> = []
  const applied = [...diff.appliedFields]
  if (Object.keys(diff.changes).length > 0) actions.push(Action.cases.TeamUpdate.make({ teamId, fields: diff.changes }))

  const owned = new Set(observed.lastApplied.fields)
  const wantBlocked = spec.blocked ?? (owned.has("blocked") ? false : undefined)
  if (spec.blocked !== undefined) applied.push("blocked")
  if (wantBlocked !== undefined && wantBlocked !== (team.blocked ?? false)) {
    actions.push(wantBlocked ? Action.cases.TeamBlock.make({ teamId }) : Action.cases.TeamUnblock.make({ teamId }))
  }

  const wantPermissions = spec.teamMemberPermissions ?? (owned.has("teamMemberPermissions") ? [] : undefined)
  if (spec.teamMemberPermissions !== undefined) applied.push("teamMemberPermissions")
  if (wantPermissions !== undefined && !wireEquals(wantPermissions, team.team_member_permissions)) {
    actions.push(Action.cases.TeamSetMemberPermissions.make({ teamId, permissions: wantPermissions }))
  }
  return { actions, warnings: diff.warnings, applied: { fields: applied, modelAliases: spec.modelAliases } }
}
