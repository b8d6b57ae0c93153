/**
 * The LiteLLM calls that make a user match its User spec: the user itself,
 * its team memberships from `spec.teams`, and, with `autoCreateKey`, its own
 * key, minted through the same crash-safe path as a VirtualKey.
 */
import type { Redacted } from "effect"
import { budgetToNumber } from "../api/Budget.ts"
import { optionalCanonicalDuration } from "../api/Duration.ts"
import type { UserSpec } from "../api/User.ts"
import type { ObservedKey } from "../litellm/ObservedKey.ts"
import type { ObservedUser } from "../litellm/ObservedUser.ts"
import type { LiteLLMAction, Plan, PlanObject } from "./Action.ts"
import { LiteLLMAction as Action, planOf } from "./Action.ts"
import type { Lifecycle } from "./Deletion.ts"
import { createdFields, createFields, createOnlyEdits, createOnlyRecords, diffFields } from "./diffFields.ts"
import type { CreateOnlyRule, FieldRule, LastApplied } from "./FieldRule.ts"
import { modelBudgetsFromWire, modelBudgetsToWire, modelLimitsToWire } from "./modelLimits.ts"
import type { KeyIntent } from "./planKey.ts"
import { planKey } from "./planKey.ts"

export interface UserDesired extends Lifecycle {
  readonly userId: string
  readonly spec: UserSpec
  /** The user's key, when `autoCreateKey` is set: the raw value (already in its Secret) and its token. */
  readonly key: { readonly key: Redacted.Redacted<string>; readonly token: string } | undefined
}

export interface UserObserved {
  readonly user: ObservedUser | undefined
  /** The user's key found by the desired token. */
  readonly key: ObservedKey | undefined
  /** A key the user owned under an older token, to be deleted. */
  readonly previousKey: ObservedKey | undefined
  readonly lastApplied: LastApplied
  /** The user exists and this object takes it over (adoption, or a marker whose owner is gone). */
  readonly adopting?: boolean
}

/** The user is the object; its memberships and its own key are updates of it. */
const theUser: PlanObject = {
  creates: (a) => a._tag === "UserCreate",
  deletes: (a) => a._tag === "UserDelete"
}

const KEY_PREFIX = "key."
const TEAM_PREFIX = "teams."

const fromMetadata = (user: ObservedUser, field: string): unknown => user.metadata?.[field]

// /user/update drops null, [] and {} (except max_budget: null), so most fields cannot be cleared.
const userRulesAsWritten: ReadonlyArray<FieldRule<UserSpec, ObservedUser>> = [
  {
    name: "userEmail",
    wire: "user_email",
    desired: (s) => s.userEmail,
    observed: (o) => o.object.user_email,
    clear: "unclearable"
  },
  {
    name: "userAlias",
    wire: "user_alias",
    desired: (s) => s.userAlias,
    observed: (o) => o.object.user_alias,
    clear: "unclearable"
  },
  {
    name: "userRole",
    wire: "user_role",
    desired: (s) => s.userRole,
    observed: (o) => o.object.user_role,
    clear: "unclearable"
  },
  {
    name: "maxBudget",
    wire: "max_budget",
    desired: (s) => (s.maxBudget === undefined ? undefined : budgetToNumber(s.maxBudget)),
    observed: (o) => o.object.max_budget,
    clear: null
  },
  {
    name: "budgetDuration",
    wire: "budget_duration",
    desired: (s) => optionalCanonicalDuration(s.budgetDuration),
    observed: (o) => o.object.budget_duration,
    clear: "unclearable"
  },
  { name: "models", wire: "models", desired: (s) => s.models, observed: (o) => o.object.models, clear: "unclearable" },
  {
    name: "tpmLimit",
    wire: "tpm_limit",
    desired: (s) => s.tpmLimit,
    observed: (o) => o.object.tpm_limit,
    clear: "unclearable"
  },
  {
    name: "rpmLimit",
    wire: "rpm_limit",
    desired: (s) => s.rpmLimit,
    observed: (o) => o.object.rpm_limit,
    clear: "unclearable"
  },
  {
    name: "maxParallelRequests",
    wire: "max_parallel_requests",
    desired: (s) => s.maxParallelRequests,
    observed: (o) => o.object.max_parallel_requests,
    clear: "unclearable"
  },
  {
    name: "allowedCacheControls",
    wire: "allowed_cache_controls",
    desired: (s) => s.allowedCacheControls,
    observed: (o) => o.object.allowed_cache_controls,
    clear: "unclearable"
  },
  {
    name: "modelMaxBudget",
    wire: "model_max_budget",
    desired: (s) => modelBudgetsToWire(s.modelMaxBudget),
    observed: (o) => modelBudgetsFromWire(o.object.model_max_budget),
    clear: "unclearable"
  },
  {
    name: "modelRPMLimit",
    wire: "model_rpm_limit",
    desired: (s) => modelLimitsToWire(s.modelRPMLimit),
    observed: (o) => fromMetadata(o.object, "model_rpm_limit"),
    clear: null,
    inMetadata: true
  },
  {
    name: "modelTPMLimit",
    wire: "model_tpm_limit",
    desired: (s) => modelLimitsToWire(s.modelTPMLimit),
    observed: (o) => fromMetadata(o.object, "model_tpm_limit"),
    clear: null,
    inMetadata: true
  },
  // /user/new and /user/update both move guardrails into the user's metadata (an enterprise feature).
  {
    name: "guardrails",
    wire: "guardrails",
    desired: (s) => s.guardrails,
    observed: (o) => fromMetadata(o.object, "guardrails"),
    clear: null,
    inMetadata: true
  }
]

export const userRules: ReadonlyArray<FieldRule<UserSpec, ObservedUser>> = userRulesAsWritten.map((rule) => ({
  ...rule,
  updateDropsEmpty: true
}))

/**
 * Sent on `/user/new` and not compared afterwards: `spend` is a live counter
 * (an edited value is sent once; `/user/update` overwrites spend), the invite
 * email and SSO id are ignored by `/user/update`.
 */
export const userCreateOnlyRules: ReadonlyArray<CreateOnlyRule<UserSpec>> = [
  {
    name: "spend",
    wire: "spend",
    desired: (s) => (s.spend === undefined ? undefined : budgetToNumber(s.spend)),
    onEdit: "send"
  },
  { name: "sendInviteEmail", wire: "send_invite_email", desired: (s) => s.sendInviteEmail, onEdit: "warn" },
  { name: "ssoUserID", wire: "sso_user_id", desired: (s) => s.ssoUserID, onEdit: "warn" }
]

/** Fields LiteLLM keeps only on keys: a User's go to its own key, so without `autoCreateKey` they do nothing. */
const keyOnlyFields = ["keyAlias", "duration", "aliases", "permissions", "blocked"] as const satisfies ReadonlyArray<
  keyof UserSpec
>

/** The settings of a user's own key, as `/user/new` would have given its auto-created key. */
export const userKeyIntent = (spec: UserSpec, userId: string): KeyIntent => {
  const intent: { -readonly [K in keyof KeyIntent]: KeyIntent[K] } = { userID: userId }
  if (spec.keyAlias !== undefined) intent.keyAlias = spec.keyAlias
  if (spec.duration !== undefined) intent.duration = spec.duration
  if (spec.models !== undefined) intent.models = spec.models
  if (spec.tpmLimit !== undefined) intent.tpmLimit = spec.tpmLimit
  if (spec.rpmLimit !== undefined) intent.rpmLimit = spec.rpmLimit
  if (spec.maxParallelRequests !== undefined) intent.maxParallelRequests = spec.maxParallelRequests
  if (spec.metadata !== undefined) intent.metadata = spec.metadata
  if (spec.allowedCacheControls !== undefined) intent.allowedCacheControls = spec.allowedCacheControls
  if (spec.aliases !== undefined) intent.aliases = spec.aliases
  if (spec.permissions !== undefined) intent.permissions = spec.permissions
  if (spec.blocked !== undefined) intent.blocked = spec.blocked
  if (spec.guardrails !== undefined) intent.guardrails = spec.guardrails
  if (spec.modelMaxBudget !== undefined) intent.modelMaxBudget = spec.modelMaxBudget
  if (spec.spend !== undefined) intent.spend = spec.spend
  const rpm = modelLimitsToWire(spec.modelRPMLimit)
  if (rpm !== undefined) intent.modelRPMLimit = rpm
  const tpm = modelLimitsToWire(spec.modelTPMLimit)
  if (tpm !== undefined) intent.modelTPMLimit = tpm
  return intent
}

const keyLastApplied = (lastApplied: LastApplied): LastApplied => ({
  fields: lastApplied.fields.filter((f) => f.startsWith(KEY_PREFIX)).map((f) => f.slice(KEY_PREFIX.length)),
  duration: lastApplied.duration
})

export const planUser = (desired: UserDesired, observed: UserObserved): Plan =>
  planOf(theUser, userCalls(desired, observed), observed.adopting)

const userCalls = (desired: UserDesired, observed: UserObserved): Omit<Plan, "summary"> => {
  const { spec, userId } = desired
  const user = observed.user
  if (desired.deleting) {
    // Deleting the user deletes its keys too; a key under an older token may be left from a rotation.
    const actions: Array<LiteLLMAction> = []
    if (desired.deletionPolicy === "Delete") {
      if (observed.previousKey !== undefined)
        actions.push(Action.cases.KeyDelete.make({ token: observed.previousKey.token }))
      if (user !== undefined) actions.push(Action.cases.UserDelete.make({ userId }))
      else if (observed.key !== undefined) actions.push(Action.cases.KeyDelete.make({ token: observed.key.token }))
    }
    return { actions, warnings: [], applied: { fields: [] } }
  }

  const actions: Array<LiteLLMAction> = []
  const warnings: Array<string> = []
  const applied: Array<string> = []
  if (spec.softBudget !== undefined)
    warnings.push("User field softBudget is not stored by LiteLLM's user API; it is ignored")
  if (spec.autoCreateKey !== true) {
    for (const field of keyOnlyFields) {
      if (spec[field] !== undefined)
        warnings.push(
          `User field ${field} applies only to the user's own key (autoCreateKey: true); LiteLLM users have no such setting, so it has no effect`
        )
    }
  }

  if (user === undefined) {
    const fields = createFields({
      rules: userRules,
      createOnly: userCreateOnlyRules,
      spec,
      specMetadata: spec.metadata
    })
    actions.push(Action.cases.UserCreate.make({ userId, fields }))
    applied.push(...createdFields(userRules, spec, spec.metadata), ...createOnlyRecords(userCreateOnlyRules, spec))
  } else {
    const diff = diffFields({
      rules: userRules,
      spec,
      observation: { object: user, lastApplied: observed.lastApplied },
      specMetadata: spec.metadata,
      observedMetadata: user.metadata,
      kind: "User",
      updateDropsEmptyMetadata: true
    })
    const edits = createOnlyEdits({
      rules: userCreateOnlyRules,
      spec,
      lastApplied: observed.lastApplied,
      kind: "User"
    })
    const changes = { ...diff.changes, ...edits.changes }
    if (Object.keys(changes).length > 0) actions.push(Action.cases.UserUpdate.make({ userId, fields: changes }))
    warnings.push(...diff.warnings, ...edits.warnings)
    applied.push(...diff.appliedFields, ...edits.records)
  }

  const memberOf = new Set(user?.teams ?? [])
  for (const teamId of spec.teams ?? []) {
    applied.push(TEAM_PREFIX + teamId)
    if (!memberOf.has(teamId)) actions.push(Action.cases.MemberAdd.make({ teamId, userId, role: "user" }))
  }
  const wanted = new Set(spec.teams ?? [])
  for (const field of observed.lastApplied.fields) {
    if (!field.startsWith(TEAM_PREFIX)) continue
    const teamId = field.slice(TEAM_PREFIX.length)
    if (!wanted.has(teamId) && memberOf.has(teamId)) actions.push(Action.cases.MemberRemove.make({ teamId, userId }))
  }

  let duration: string | undefined
  if (spec.autoCreateKey === true && desired.key !== undefined) {
    const keyPlan = planKey(
      {
        key: desired.key.key,
        token: desired.key.token,
        intent: userKeyIntent(spec, userId),
        deleting: false,
        deletionPolicy: "Delete"
      },
      { current: observed.key, previous: observed.previousKey, lastApplied: keyLastApplied(observed.lastApplied) }
    )
    actions.push(...keyPlan.actions)
    warnings.push(...keyPlan.warnings)
    applied.push(...keyPlan.applied.fields.map((f) => KEY_PREFIX + f))
    duration = keyPlan.applied.duration
  } else {
    // autoCreateKey was turned off: the key the operator minted goes away.
    for (const key of [observed.key, observed.previousKey]) {
      if (key !== undefined) actions.push(Action.cases.KeyDelete.make({ token: key.token }))
    }
  }
  return { actions, warnings, applied: { fields: applied, duration } }
}
