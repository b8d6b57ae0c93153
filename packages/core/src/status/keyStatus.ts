/** The VirtualKey status: what LiteLLM holds for the key (never the key itself), and Ready. */
import type { VirtualKeyStatus } from "../api/VirtualKey.ts"
import type { ObservedKey } from "../litellm/ObservedKey.ts"
import type { LastApplied } from "../plan/FieldRule.ts"
import { compact } from "./compact.ts"
import { optionalBudget, optionalInt, stringList, stringMap } from "./mirrorValues.ts"
import type { Outcome } from "./Ready.ts"
import { withReady } from "./Ready.ts"

/** The status fields that mirror LiteLLM's key. */
export const keyMirror = (key: ObservedKey): VirtualKeyStatus =>
  compact({
    token: key.token,
    tokenID: key.token,
    keyID: key.token,
    keyName: key.key_name,
    keyAlias: key.key_alias,
    teamID: key.team_id,
    userID: key.user_id,
    models: key.models,
    aliases: stringMap(key.aliases),
    config: stringMap(key.config),
    permissions: stringMap(key.permissions),
    allowedCacheControls: key.allowed_cache_controls,
    allowedRoutes: key.allowed_routes,
    blocked: key.blocked ?? false,
    budgetDuration: key.budget_duration,
    budgetResetAt: key.budget_reset_at,
    budgetID: key.budget_id,
    maxBudget: optionalBudget(key.max_budget),
    spend: optionalBudget(key.spend ?? 0),
    expires: key.expires,
    maxParallelRequests: optionalInt(key.max_parallel_requests),
    rpmLimit: optionalInt(key.rpm_limit),
    tpmLimit: optionalInt(key.tpm_limit),
    tags: stringList(key.metadata?.tags),
    guardrails: stringList(key.metadata?.guardrails),
    enforcedParams: stringList(key.metadata?.enforced_params),
    createdAt: key.created_at,
    createdBy: key.created_by,
    updatedAt: key.updated_at,
    updatedBy: key.updated_by
  })

export const keyStatus = (options: {
  readonly previous: VirtualKeyStatus | undefined
  readonly key: ObservedKey | undefined
  readonly applied: LastApplied
  /** The name of the Secret that holds the key. */
  readonly keySecretRef: string | undefined
  readonly outcome: Outcome
  readonly generation: number
  readonly now: string
}): VirtualKeyStatus => {
  const { previous, key, applied } = options
  const { conditions: _c, appliedFields: _a, duration: _d, keySecretRef: _k, ...previousMirror } = previous ?? {}
  return {
    ...(key === undefined ? previousMirror : keyMirror(key)),
    ...compact({ duration: applied.duration, keySecretRef: options.keySecretRef }),
    appliedFields: [...applied.fields].sort(),
    conditions: withReady({
      previous: previous?.conditions,
      outcome: options.outcome,
      generation: options.generation,
      now: options.now
    })
  }
}
