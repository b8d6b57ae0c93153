/** The VirtualKey status: what LiteLLM holds for the key (never the key itself), and Ready. */
import type { VirtualKeyStatus } from "../api/VirtualKey.ts"
import type { ObservedKey } from "../litellm/ObservedKey.ts"
import type { LastApplied } from "../plan/FieldRule.ts"
import { compact } from "./compact.ts"
import type { MirrorCap } from "./mirrorValues.ts"
import { jsonText, makeMirrorCap, optionalBudget, optionalInt, stringList, stringMap } from "./mirrorValues.ts"
import type { Outcome } from "./Ready.ts"
import { withReady } from "./Ready.ts"

/** The status fields that mirror LiteLLM's key, each capped (`truncated` names those cut). */
export const keyMirror = (key: ObservedKey, cap: MirrorCap = makeMirrorCap()): VirtualKeyStatus => {
  const token = cap.text("token", key.token)
  const mirror = compact({
    token,
    tokenID: token,
    keyID: token,
    keyName: cap.text("keyName", key.key_name),
    keyAlias: cap.text("keyAlias", key.key_alias),
    teamID: cap.text("teamID", key.team_id),
    userID: cap.text("userID", key.user_id),
    models: cap.list("models", key.models),
    aliases: cap.map("aliases", stringMap(key.aliases)),
    config: cap.map("config", stringMap(key.config)),
    permissions: cap.map("permissions", stringMap(key.permissions)),
    allowedCacheControls: cap.list("allowedCacheControls", key.allowed_cache_controls),
    allowedRoutes: cap.list("allowedRoutes", key.allowed_routes),
    blocked: key.blocked ?? false,
    budgetDuration: cap.text("budgetDuration", key.budget_duration),
    budgetResetAt: cap.text("budgetResetAt", key.budget_reset_at),
    budgetID: cap.text("budgetID", key.budget_id),
    liteLLMBudgetTable: cap.text("liteLLMBudgetTable", jsonText(key.litellm_budget_table)),
    maxBudget: optionalBudget(key.max_budget),
    spend: optionalBudget(key.spend ?? 0),
    expires: cap.text("expires", key.expires),
    maxParallelRequests: optionalInt(key.max_parallel_requests),
    rpmLimit: optionalInt(key.rpm_limit),
    tpmLimit: optionalInt(key.tpm_limit),
    tags: cap.list("tags", stringList(key.metadata?.tags)),
    guardrails: cap.list("guardrails", stringList(key.metadata?.guardrails)),
    enforcedParams: cap.list("enforcedParams", stringList(key.metadata?.enforced_params)),
    createdAt: cap.text("createdAt", key.created_at),
    createdBy: cap.text("createdBy", key.created_by),
    updatedAt: cap.text("updatedAt", key.updated_at),
    updatedBy: cap.text("updatedBy", key.updated_by)
  })
  return compact({ ...mirror, truncated: cap.truncated() })
}

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
    observedGeneration: options.generation,
    conditions: withReady({
      previous: previous?.conditions,
      outcome: options.outcome,
      generation: options.generation,
      now: options.now
    })
  }
}
