/** The LiteLLM calls that make one user's membership of one team match a TeamMemberAssociation. */
import { budgetToNumber } from "../api/Budget.ts"
import type { MemberRole, TeamMemberAssociationSpec } from "../api/TeamMemberAssociation.ts"
import type { ObservedMembership } from "../litellm/ObservedMembership.ts"
import type { LiteLLMAction, Plan, PlanObject } from "./Action.ts"
import { LiteLLMAction as Action, planOf } from "./Action.ts"
import type { Lifecycle } from "./Deletion.ts"
import type { LastApplied } from "./FieldRule.ts"
import { wireEquals } from "./wireEquals.ts"

export interface MembershipDesired extends Lifecycle {
  /** The team and user ids, resolved from `teamAlias` and `userEmail` by exact match. */
  readonly teamId: string
  readonly userId: string
  readonly spec: TeamMemberAssociationSpec
}

export interface MembershipObserved {
  /** Undefined when the user is not a member of the team (or the team is gone). */
  readonly membership: ObservedMembership | undefined
  readonly lastApplied: LastApplied
}

const theMembership: PlanObject = {
  creates: (a) => a._tag === "MemberAdd",
  deletes: (a) => a._tag === "MemberRemove"
}

/** An association never adopts: a membership carries no owner marker. */
export const planMembership = (desired: MembershipDesired, observed: MembershipObserved): Plan =>
  planOf(theMembership, membershipCalls(desired, observed), false)

const membershipCalls = (desired: MembershipDesired, observed: MembershipObserved): Omit<Plan, "summary"> => {
  const { teamId, userId, spec } = desired
  const membership = observed.membership
  if (desired.deleting) {
    const actions: Array<LiteLLMAction> =
      desired.deletionPolicy === "Delete" && membership !== undefined
        ? [Action.cases.MemberRemove.make({ teamId, userId })]
        : []
    return { actions, warnings: [], applied: { fields: [] } }
  }
  const role: MemberRole = spec.role
  const wantBudget = spec.maxBudgetInTeam === undefined ? undefined : budgetToNumber(spec.maxBudgetInTeam)
  const applied = spec.maxBudgetInTeam === undefined ? ["role"] : ["role", "maxBudgetInTeam"]
  const withBudget = (budget: number | undefined) => (budget === undefined ? {} : { maxBudgetInTeam: budget })
  if (membership === undefined) {
    return {
      actions: [Action.cases.MemberAdd.make({ teamId, userId, role, ...withBudget(wantBudget) })],
      warnings: [],
      applied: { fields: applied }
    }
  }
  // /team/member_update drops the member budget when none is sent, so a budget the
  // operator does not own is sent back as it is.
  const ownedBudget = observed.lastApplied.fields.includes("maxBudgetInTeam")
  const budget = wantBudget ?? (ownedBudget ? undefined : membership.maxBudgetInTeam)
  const changed = membership.role !== role || !wireEquals(budget, membership.maxBudgetInTeam)
  return {
    actions: changed ? [Action.cases.MemberUpdate.make({ teamId, userId, role, ...withBudget(budget) })] : [],
    warnings: [],
    applied: { fields: applied }
  }
}
