/** Team: its LiteLLM team, read by id. */
import type { LastApplied, ObservedTeam, TeamDesired } from "@litellm-operator/core"
import { planTeam, spanIfTraced } from "@litellm-operator/core"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import { Effect, Option } from "effect"
import { syncLiteLLM } from "./syncLiteLLM.ts"
import type { SyncGuard } from "./tenancy.ts"

export const syncTeam = <E = never, R = never>(
  client: LiteLLMClient["Service"],
  desired: TeamDesired,
  lastApplied: LastApplied,
  guard?: SyncGuard<ObservedTeam | undefined, E, R>
) =>
  syncLiteLLM(
    client,
    {
      kind: "Team",
      deleting: desired.deleting,
      observe: Effect.map(client.teamInfo(desired.teamId), Option.getOrUndefined),
      plan: (team, adopting) => Effect.succeed(planTeam(desired, { team, lastApplied, adopting }))
    },
    guard
  ).pipe(
    Effect.map(({ plan, observed, verdict }) => ({ plan, team: observed, verdict })),
    spanIfTraced("syncTeam")
  )
