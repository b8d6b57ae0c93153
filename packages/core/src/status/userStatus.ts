/** The User status: LiteLLM's user, its own key (never the key itself), and Ready. */
import type { UserStatus } from "../api/User.ts"
import type { ObservedKey } from "../litellm/ObservedKey.ts"
import type { ObservedUser } from "../litellm/ObservedUser.ts"
import type { LastApplied } from "../plan/FieldRule.ts"
import { compact } from "./compact.ts"
import { modelBudgetMap, optionalBudget, optionalInt, stringMap } from "./mirrorValues.ts"
import type { Outcome } from "./Ready.ts"
import { withReady } from "./Ready.ts"

/** The status fields that mirror LiteLLM's user. */
export const userMirror = (user: ObservedUser): UserStatus =>
  compact({
    userID: user.user_id,
    userEmail: user.user_email,
    userAlias: user.user_alias,
    userRole: user.user_role,
    models: user.models,
    maxBudget: optionalBudget(user.max_budget),
    budgetDuration: user.budget_duration,
    spend: optionalBudget(user.spend ?? 0),
    tpmLimit: optionalInt(user.tpm_limit),
    rpmLimit: optionalInt(user.rpm_limit),
    maxParallelRequests: optionalInt(user.max_parallel_requests),
    allowedCacheControls: user.allowed_cache_controls,
    modelMaxBudget: modelBudgetMap(user.model_max_budget),
    modelRPMLimit: stringMap(user.metadata?.model_rpm_limit),
    modelTPMLimit: stringMap(user.metadata?.model_tpm_limit),
    teams: user.teams,
    createdAt: user.created_at,
    updatedAt: user.updated_at
  })

/** The status fields that describe the user's own key. */
export const userKeyMirror = (key: ObservedKey): UserStatus =>
  compact({
    token: key.token,
    keyName: key.key_name,
    keyAlias: key.key_alias,
    expires: key.expires,
    blocked: key.blocked ?? false,
    aliases: stringMap(key.aliases),
    permissions: stringMap(key.permissions)
  })

const KEY_FIELDS = ["token", "keyName", "keyAlias", "expires", "blocked", "aliases", "permissions"] as const

export const userStatus = (options: {
  readonly previous: UserStatus | undefined
  readonly user: ObservedUser | undefined
  /** The user's own key; undefined when it has none or it could not be read. */
  readonly key: ObservedKey | undefined
  readonly applied: LastApplied
  readonly keySecretRef: string | undefined
  readonly outcome: Outcome
  readonly generation: number
  readonly now: string
}): UserStatus => {
  const { previous, user, key, applied } = options
  const { conditions: _c, appliedFields: _a, duration: _d, keySecretRef: _k, ...previousMirror } = previous ?? {}
  const previousKey = Object.fromEntries(
    KEY_FIELDS.flatMap((f) => (previousMirror[f] === undefined ? [] : [[f, previousMirror[f]]]))
  )
  const previousUser = Object.fromEntries(
    Object.entries(previousMirror).filter(([f]) => !KEY_FIELDS.some((k) => k === f))
  )
  return {
    ...(user === undefined ? previousUser : userMirror(user)),
    ...(key === undefined ? (user === undefined ? previousKey : {}) : userKeyMirror(key)),
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
