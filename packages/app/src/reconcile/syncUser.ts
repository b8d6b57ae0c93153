/** User: the user, its memberships from `spec.teams`, and its own key, in one plan. */
import type { LastApplied, ObservedKey, ObservedUser, Plan, UserDesired } from "@litellm-operator/core"
import { planUser } from "@litellm-operator/core"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import { Effect, Option } from "effect"
import { executePlan } from "./executePlan.ts"
import type { GuardVerdict, SyncGuard } from "./tenancy.ts"
import { proceed } from "./tenancy.ts"

export interface UserSync {
  readonly plan: Plan
  readonly user: ObservedUser | undefined
  readonly key: ObservedKey | undefined
  readonly verdict: GuardVerdict
}

/** What the guard of a user sync sees: the user, and its own key. */
export interface ObservedUserAndKey {
  readonly user: ObservedUser | undefined
  readonly key: ObservedKey | undefined
}

const emptyPlan: Plan = { actions: [], warnings: [], applied: { fields: [] } }

export const syncUser = Effect.fnUntraced(function* <E = never, R = never>(
  client: LiteLLMClient["Service"],
  desired: UserDesired,
  options: {
    readonly lastApplied: LastApplied
    readonly previousToken: string | undefined
    /** The user's key as already read by the caller, to save a read. */
    readonly currentKey?: Option.Option<ObservedKey>
    readonly guard?: SyncGuard<ObservedUserAndKey, E, R>
  }
) {
  const readKey = (token: string | undefined) =>
    token === undefined ? Effect.succeed(undefined) : Effect.map(client.keyInfo(token), Option.getOrUndefined)
  const user = Option.getOrUndefined(yield* client.userInfo(desired.userId))
  const desiredToken = desired.key?.token
  const key =
    options.currentKey === undefined ? yield* readKey(desiredToken) : Option.getOrUndefined(options.currentKey)
  const verdict = options.guard === undefined ? proceed : yield* options.guard.check({ user, key })
  if (verdict._tag === "Skip") return { plan: emptyPlan, user, key, verdict } satisfies UserSync
  const previousKey = options.previousToken === desiredToken ? undefined : yield* readKey(options.previousToken)
  const plan = planUser(desired, { user, key, previousKey, lastApplied: options.lastApplied })
  if (plan.actions.length > 0 && options.guard !== undefined) yield* options.guard.beforeWrite
  yield* executePlan(client, "User", plan.actions)
  if (plan.actions.length === 0 || desired.deleting) return { plan, user, key, verdict } satisfies UserSync
  return {
    plan,
    user: Option.getOrUndefined(yield* client.userInfo(desired.userId)),
    key: yield* readKey(desiredToken),
    verdict
  } satisfies UserSync
}, Effect.withSpan("syncUser"))
