/**
 * VirtualKey: observe the key by its token (and the token the object had
 * before, if the key value changed), plan, apply, read back.
 */
import type { KeyDesired, LastApplied, ObservedKey, Plan } from "@litellm-operator/core"
import { planKey } from "@litellm-operator/core"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import { Effect, Option } from "effect"
import { executePlan } from "./executePlan.ts"

export interface KeySync {
  readonly plan: Plan
  readonly key: ObservedKey | undefined
}

export const syncKey = Effect.fn("syncKey")(function* (
  client: LiteLLMClient["Service"],
  desired: KeyDesired,
  options: {
    readonly lastApplied: LastApplied
    readonly previousToken: string | undefined
    /** The key as already read by the caller, to save a read. */
    readonly current?: Option.Option<ObservedKey>
  }
) {
  const current = Option.getOrUndefined(options.current ?? (yield* client.keyInfo(desired.token)))
  const previous =
    options.previousToken === undefined || options.previousToken === desired.token
      ? undefined
      : Option.getOrUndefined(yield* client.keyInfo(options.previousToken))
  const plan = planKey(desired, { current, previous, lastApplied: options.lastApplied })
  yield* executePlan(client, "VirtualKey", plan.actions)
  const key =
    plan.actions.length === 0 || desired.deleting
      ? current
      : Option.getOrUndefined(yield* client.keyInfo(desired.token))
  return { plan, key } satisfies KeySync
})
