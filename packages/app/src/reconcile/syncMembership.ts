/** TeamMemberAssociation: one membership, read from the team's member list and membership rows. */
import type { LastApplied, MembershipDesired, ObservedMembership, Plan } from "@litellm-operator/core"
import { membershipOf, planMembership } from "@litellm-operator/core"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import { Effect, Option } from "effect"
import { executePlan } from "./executePlan.ts"

export interface MembershipSync {
  readonly plan: Plan
  readonly membership: ObservedMembership | undefined
}

export const syncMembership = Effect.fnUntraced(function* <E = never, R = never>(
  client: LiteLLMClient["Service"],
  desired: MembershipDesired,
  lastApplied: LastApplied,
  /** Before the first write (the association records its team and user first). */
  beforeWrite: Effect.Effect<void, E, R> = Effect.void
) {
  const read = Effect.map(client.teamInfo(desired.teamId), (team) =>
    Option.isNone(team) ? undefined : membershipOf(team.value, desired.userId)
  )
  const before = yield* read
  const plan = planMembership(desired, { membership: before, lastApplied })
  if (plan.actions.length > 0) yield* beforeWrite
  yield* executePlan(client, "TeamMemberAssociation", plan.actions)
  const membership = plan.actions.length === 0 || desired.deleting ? before : yield* read
  return { plan, membership } satisfies MembershipSync
}, Effect.withSpan("syncMembership"))
