/** Runs a plan's actions in order; the first failure stops the plan (the next reconcile plans again). */
import type { LiteLLMAction } from "@litellm-operator/core"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import { Effect, Metric } from "effect"
import { litellmWritesTotal } from "../observability/OperatorMetrics.ts"

export const executePlan = Effect.fnUntraced(function* (
  client: LiteLLMClient["Service"],
  kind: string,
  actions: ReadonlyArray<LiteLLMAction>
) {
  for (const action of actions) {
    yield* client.execute(action)
    yield* Metric.update(Metric.withAttributes(litellmWritesTotal, { kind, action: action._tag }), 1)
  }
})
