/** TeamMemberAssociation: one membership, read from the team's member list and membership rows. */
import type { LastApplied, MembershipDesired, ObservedMembership } from "@litellm-operator/core"
import { membershipOf, planMembership, spanIfTraced } from "@litellm-operator/core"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import { Effect, Option } from "effect"
import { syncLiteLLM } from "./syncLiteLLM.ts"
import { proceed } from "./tenancy.ts"

export const syncMembership = <E = never, R = never>(
  client: LiteLLMClient["Service"],
  desired: MembershipDesired,
  lastApplied: LastApplied,
  /** Before the first write (the association records its team and user first). */
  beforeWrite: Effect.Effect<void, E, R> = Effect.void
) =>
  syncLiteLLM<ObservedMembership | undefined, E, R>(
    client,
    {
      kind: "TeamMemberAssociation",
      deleting: desired.deleting,
      observe: Effect.map(client.teamInfo(desired.teamId), (team) =>
        Option.isNone(team) ? undefined : membershipOf(team.value, desired.userId)
      ),
      plan: (membership) => Effect.succeed(planMembership(desired, { membership, lastApplied }))
    },
    // A membership has no owner marker: nothing to decide before planning.
    { check: () => Effect.succeed(proceed), beforeWrite }
  ).pipe(
    Effect.map(({ plan, observed, verdict }) => ({ plan, membership: observed, verdict })),
    spanIfTraced("syncMembership")
  )
