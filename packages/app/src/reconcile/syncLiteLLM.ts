/**
 * The LiteLLM side of one object, the same for every kind: observe, let the
 * guard decide, plan, record what must be known before the first write, apply
 * the calls in order (the first failure stops the plan; the next reconcile
 * plans again), and read back what the status will show — from the calls'
 * answers where they show all of it (a new key), so nothing is read twice. A
 * kind brings only its observation and its plan.
 */
import type { LiteLLMAction, Plan } from "@litellm-operator/core"
import { emptyPlan, metricSeries } from "@litellm-operator/core"
import type { LiteLLMClient, LiteLLMError, WriteAnswer } from "@litellm-operator/litellm"
import type { Effect as E } from "effect"
import { Effect, Metric } from "effect"
import { litellmWritesTotal } from "../observability/OperatorMetrics.ts"
import type { GuardVerdict, SyncGuard } from "./tenancy.ts"
import { proceed } from "./tenancy.ts"

/** A plan action that was applied, and what its answer showed. */
export interface Written {
  readonly action: LiteLLMAction
  readonly answer: WriteAnswer
}

export interface LiteLLMSide<O> {
  /** Names the kind in metrics. */
  readonly kind: string
  readonly deleting: boolean
  /** What LiteLLM holds, as the guard and the plan see it. */
  readonly observe: E.Effect<O, LiteLLMError>
  /** The same after the calls, given their answers (by default `observe` again). */
  readonly readBack?: (written: ReadonlyArray<Written>) => E.Effect<O, LiteLLMError>
  /** The calls that make LiteLLM match; `adopting`: the guard lets this object take the existing one over. */
  readonly plan: (observed: O, adopting: boolean) => E.Effect<Plan, LiteLLMError>
}

export interface SyncResult<O> {
  readonly plan: Plan
  /** What LiteLLM holds after the plan. */
  readonly observed: O
  readonly verdict: GuardVerdict
}

const litellmWrites = metricSeries(litellmWritesTotal)

export const syncLiteLLM = Effect.fnUntraced(function* <O, Er = never, R = never>(
  client: LiteLLMClient["Service"],
  side: LiteLLMSide<O>,
  guard?: SyncGuard<O, Er, R>
) {
  const before = yield* side.observe
  const verdict = guard === undefined ? proceed : yield* guard.check(before)
  if (verdict._tag === "Skip") return { plan: emptyPlan, observed: before, verdict } satisfies SyncResult<O>
  const plan = yield* side.plan(before, verdict.adopted)
  if (plan.actions.length > 0 && guard !== undefined) yield* guard.beforeWrite
  const written: Array<Written> = []
  for (const action of plan.actions) {
    written.push({ action, answer: yield* client.execute(action) })
    yield* Metric.update(litellmWrites({ kind: side.kind, action: action._tag }), 1)
  }
  // Nothing written, or the object deleted: what was observed is what there is.
  const observed =
    plan.actions.length === 0 || side.deleting
      ? before
      : yield* side.readBack === undefined ? side.observe : side.readBack(written)
  return { plan, observed, verdict } satisfies SyncResult<O>
})
