/** Team: observe LiteLLM, plan, apply, and read back what the status will show. */
import type { LastApplied, ObservedTeam, Plan, TeamDesired } from "@litellm-operator/core"
import { planTeam } from "@litellm-operator/core"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import { Effect, Option } from "effect"
import { executePlan } from "./executePlan.ts"

export interface TeamSync {
  readonly plan: Plan
  readonly team: ObservedTeam | undefined
}

export const syncTeam = Effect.fn("syncTeam")(function* (
  client: LiteLLMClient["Service"],
  desired: TeamDesired,
  lastApplied: LastApplied
) {
  const before = Option.getOrUndefined(yield* client.teamInfo(desired.teamId))
  const plan = planTeam(desired, { team: before, lastApplied })
  yield* executePlan(client, "Team", plan.actions)
  const team =
    plan.actions.length === 0 || desired.deleting
      ? before
      : Option.getOrUndefined(yield* client.teamInfo(desired.teamId))
  return { plan, team } satisfies TeamSync
})
