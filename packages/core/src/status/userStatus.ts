/** The User status: LiteLLM's user, its own key (never the key itself), and Ready. */
import type { UserStatus } from "../api/User.ts"
import type { ObservedKey } from "../litellm/ObservedKey.ts"
import type { ObservedUser } from "../litellm/ObservedUser.ts"
import type { LastApplied } from "../plan/FieldRule.ts"
import { compact } from "./compact.ts"
import type { MirrorCap } from "./mirrorValues.ts"
import { makeMirrorCap, modelBudgetMap, optionalBudget, optionalInt, stringList, stringMap } from "./mirrorValues.ts"
import type { Outcome } from "./Ready.ts"
import { withReady } from "./Ready.ts"

/**
 * The status fields that mirror LiteLLM's user, each capped (the cap remembers those cut).
 * LiteLLM's user row has no `blocked`, `budget_id`, `config`, `allowed_routes`,
 * `created_by`, `updated_by` or budget row (keys have them), so those status
 * fields stay empty: a key's value there would say something of the user that
 * is not so. Guardrails and tags live in the user's metadata.
 */
export const userMirror = (user: ObservedUser, cap: MirrorCap = makeMirrorCap()): UserStatus =>
  compact({
    userID: cap.text("userID", user.user_id),
    userEmail: cap.text("userEmail", user.user_email),
    userAlias: cap.text("userAlias", user.user_alias),
    userRole: cap.text("userRole", user.user_role),
    models: cap.list("models", user.models),
    maxBudget: optionalBudget(user.max_budget),
    budgetDuration: cap.text("budgetDuration", user.budget_duration),
    spend: optionalBudget(user.spend ?? 0),
    tpmLimit: optionalInt(user.tpm_limit),
    rpmLimit: optionalInt(user.rpm_limit),
    maxParallelRequests: optionalInt(user.max_parallel_requests),
    allowedCacheControls: cap.list("allowedCacheControls", user.allowed_cache_controls),
    modelMaxBudget: cap.map("modelMaxBudget", modelBudgetMap(user.model_max_budget)),
    modelRPMLimit: cap.map("modelRPMLimit", stringMap(user.metadata?.model_rpm_limit)),
    modelTPMLimit: cap.map("modelTPMLimit", stringMap(user.metadata?.model_tpm_limit)),
    teams: cap.list("teams", user.teams),
    guardrails: cap.list("guardrails", stringList(user.metadata?.guardrails)),
    tags: cap.list("tags", stringList(user.metadata?.tags)),
    createdAt: cap.text("createdAt", user.created_at),
    updatedAt: cap.text("updatedAt", user.updated_at)
  })

/** The status fields that describe the user's own key, each capped. */
export const userKeyMirror = (key: ObservedKey, cap: MirrorCap = makeMirrorCap()): UserStatus =>
  compact({
    token: cap.text("token", key.token),
    keyName: cap.text("keyName", key.key_name),
    keyAlias: cap.text("keyAlias", key.key_alias),
    expires: cap.text("expires", key.expires),
    keyBlocked: key.blocked ?? false,
    aliases: cap.map("aliases", stringMap(key.aliases)),
    permissions: cap.map("permissions", stringMap(key.permissions))
  })

const KEY_FIELDS = ["token", "keyName", "keyAlias", "expires", "keyBlocked", "aliases", "permissions"] as const

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
  const {
    conditions: _c,
    appliedFields: _a,
    duration: _d,
    keySecretRef: _k,
    truncated: _t,
    ...previousMirror
  } = previous ?? {}
  const previousKey = Object.fromEntries(
    KEY_FIELDS.flatMap((f) => (previousMirror[f] === undefined ? [] : [[f, previousMirror[f]]]))
  )
  const previousUser = Object.fromEntries(
    Object.entries(previousMirror).filter(([f]) => !KEY_FIELDS.some((k) => k === f))
  )
  // Fresh mirrors share one cap; fields cut in a kept (previous) mirror stay listed.
  const cap = makeMirrorCap()
  const isKeyField = (f: string) => KEY_FIELDS.some((k) => k === f)
  const keptCuts = (previous?.truncated ?? []).filter(
    (f) => (user === undefined && !isKeyField(f)) || (user === undefined && key === undefined && isKeyField(f))
  )
  const mirror = {
    ...(user === undefined ? previousUser : userMirror(user, cap)),
    ...(key === undefined ? (user === undefined ? previousKey : {}) : userKeyMirror(key, cap))
  }
  const truncated = [...new Set([...keptCuts, ...(cap.truncated() ?? [])])].sort()
  return {
    ...mirror,
    ...(truncated.length === 0 ? {} : { truncated }),
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
