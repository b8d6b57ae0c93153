/**
 * VirtualKey: observe the key by its token (and the token the object had
 * before, if the key value changed), let the guard decide, plan, apply, read back.
 */
import type { KeyDesired, LastApplied, ObservedKey, Plan } from "@litellm-operator/core"
import { planKey } from "@litellm-operator/core"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import { Effect, Option } from "effect"
import { executePlan } from "./executePlan.ts"
import type { GuardVerdict, SyncGuard } from "./tenancy.ts"
import { proceed } from "./tenancy.ts"

export interface KeySync {
  readonly plan: Plan
  readonly key: ObservedKey | undefined
  readonly verdict: GuardVerdict
}

const emptyPlan: Plan = { actions: [], warnings: [], applied: { fields: [] } }

export const syncKey = Effect.fnUntraced(function* <E = never, R = never>(
  client: LiteLLMClient["Service"],
  desired: KeyDesired,
  options: {
    readonly lastApplied: LastApplied
    readonly previousToken: string | undefined
    /** The key as already read by the caller, to save a read. */
    readonly current?: Option.Option<ObservedKey>
    readonly guard?: SyncGuard<ObservedKey | undefined, E, R>
  }
) {
  const current = Option.getOrUndefined(options.current ?? (yield* client.keyInfo(desired.token)))
  const verdict = options.guard === undefined ? proceed : yield* options.guard.check(current)
  if (verdict._tag === "Skip") return { plan: emptyPlan, key: current, verdict } satisfies KeySync
  const previous =
    options.previousToken === undefined || options.previousToken === desired.token
      ? undefined
      : Option.getOrUndefined(yield* client.keyInfo(options.previousToken))
  const plan = planKey(desired, { current, previous, lastApplied: options.lastApplied })
  if (plan.actions.length > 0 && options.guard !== undefined) yield* options.guard.beforeWrite
  yield* executePlan(client, "VirtualKey", plan.actions)
  const key =
    plan.actions.length === 0 || desired.deleting
      ? current
      : Option.getOrUndefined(yield* client.keyInfo(desired.token))
  return { plan, key, verdict } satisfies KeySync
}, Effect.withSpan("syncKey"))
