/** One user's membership of one team, as read from the team's member list and membership rows. */
import type { ObservedTeam } from "./ObservedTeam.ts"

export interface ObservedMembership {
  readonly teamId: string
  readonly userId: string
  readonly role: string
  /** The member's budget in the team; undefined when none is set. */
  readonly maxBudgetInTeam: number | undefined
}

/** The membership of `userId` in `team`, or undefined when the user is not a member. */
export const membershipOf = (team: ObservedTeam, userId: string): ObservedMembership | undefined => {
  const member = (team.members_with_roles ?? []).find((m) => m.user_id === userId)
  if (member === undefined) return undefined
  const row = (team.team_memberships ?? []).find((m) => m.user_id === userId)
  const budget = row?.litellm_budget_table?.max_budget
  return {
    teamId: team.team_id,
    userId,
    role: member.role,
    maxBudgetInTeam: budget === null || budget === undefined ? undefined : budget
  }
}
