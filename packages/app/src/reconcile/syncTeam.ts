/** Team: observe LiteLLM, let the guard decide, plan, apply, and read back what the status will show. */
import type { LastApplied, ObservedTeam, Plan, TeamDesired } from "@litellm-operator/core"
import { planTeam } from "@litellm-operator/core"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import { Effect, Option } from "effect"
import { executePlan } from "./executePlan.ts"
import type { GuardVerdict, SyncGuard } from "./tenancy.ts"
import { proceed } from "./tenancy.ts"

export interface TeamSync {
  readonly plan: Plan
  readonly team: ObservedTeam | undefined
  readonly verdict: GuardVerdict
}

const emptyPlan: Plan = { actions: [], warnings: [], applied: { fields: [] } }

export const syncTeam = Effect.fnUntraced(function* <E = never, R = never>(
  client: LiteLLMClient["Service"],
  desired: TeamDesired,
  lastApplied: LastApplied,
  guard?: SyncGuard<ObservedTeam | undefined, E, R>
) {
  const before = Option.getOrUndefined(yield* client.teamInfo(desired.teamId))
  const verdict = guard === undefined ? proceed : yield* guard.check(before)
  if (verdict._tag === "Skip") return { plan: emptyPlan, team: before, verdict } satisfies TeamSync
  const plan = planTeam(desired, { team: before, lastApplied })
  if (plan.actions.length > 0 && guard !== undefined) yield* guard.beforeWrite
  yield* executePlan(client, "Team", plan.actions)
  const team =
    plan.actions.length === 0 || desired.deleting
      ? before
      : Option.getOrUndefined(yield* client.teamInfo(desired.teamId))
  return { plan, team, verdict } satisfies TeamSync
}, Effect.withSpan("syncTeam"))
