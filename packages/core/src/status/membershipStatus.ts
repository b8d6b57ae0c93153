/** The TeamMemberAssociation status: the resolved ids, the applied role and budget, and Ready. */
import type { TeamMemberAssociationStatus } from "../api/TeamMemberAssociation.ts"
import type { ObservedMembership } from "../litellm/ObservedMembership.ts"
import { compact } from "./compact.ts"
import { optionalBudget } from "./mirrorValues.ts"
import type { Outcome } from "./Ready.ts"
import { withReady } from "./Ready.ts"

export const membershipStatus = (options: {
  readonly previous: TeamMemberAssociationStatus | undefined
  /** What the spec names, and the ids it resolved to (undefined when unresolved). */
  readonly teamAlias: string
  readonly userEmail: string
  readonly teamId: string | undefined
  readonly userId: string | undefined
  readonly membership: ObservedMembership | undefined
  readonly outcome: Outcome
  readonly generation: number
  readonly now: string
}): TeamMemberAssociationStatus => {
  const { membership } = options
  return {
    ...compact({
      teamAlias: options.teamAlias,
      userEmail: options.userEmail,
      teamID: options.teamId,
      userID: options.userId,
      role: membership?.role,
      maxBudgetInTeam: optionalBudget(membership?.maxBudgetInTeam)
    }),
    observedGeneration: options.generation,
    conditions: withReady({
      previous: options.previous?.conditions,
      outcome: options.outcome,
      generation: options.generation,
      now: options.now
    })
  }
}
