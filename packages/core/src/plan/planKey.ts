/**
 * The LiteLLM calls that make a virtual key match what is asked of it. A
 * VirtualKey and a User's own key both come through here, so both are minted
 * the crash-safe way: the key value is chosen (and stored in its Secret)
 * before `/key/generate`, and its sha256 token is its identity.
 */
import type { Redacted } from "effect"
import { budgetToNumber } from "../api/Budget.ts"
import { optionalCanonicalDuration } from "../api/Duration.ts"
import type { VirtualKeySpec } from "../api/VirtualKey.ts"
import type { ObservedKey } from "../litellm/ObservedKey.ts"
import type { LiteLLMAction, Plan } from "./Action.ts"
import { LiteLLMAction as Action, planOf } from "./Action.ts"
import type { Lifecycle } from "./Deletion.ts"
import { createdFields, createFields, createOnlyEdits, createOnlyRecords, diffFields } from "./diffFields.ts"
import type { CreateOnlyRule, FieldRule, LastApplied } from "./FieldRule.ts"
import { modelBudgetsFromWire, modelBudgetsToWire } from "./modelLimits.ts"

/** The key settings: a VirtualKey spec without its connection and key value; the alias is optional for a User's key. */
export type KeyIntent = Omit<VirtualKeySpec, "connectionRef" | "key" | "keySecretRef" | "keyAlias"> & {
  readonly keyAlias?: string
}

export interface KeyDesired extends Lifecycle {
  /** The raw key, already stored in the key Secret. */
  readonly key: Redacted.Redacted<string>
  /** sha256 of the raw key, lowercase hex. */
  readonly token: string
  readonly intent: KeyIntent
}

export interface KeyObserved {
  /** The key found by the desired token; undefined when LiteLLM has no such key. */
  readonly current: ObservedKey | undefined
  /** A key the object owned before under another token (the key value changed); it is deleted. */
  readonly previous: ObservedKey | undefined
  readonly lastApplied: LastApplied
  /** The key exists and this object takes it over (adoption, or a marker whose owner is gone). */
  readonly adopting?: boolean
}

const fromMetadata = (key: ObservedKey, field: string): unknown => key.metadata?.[field]

export const keyRules: ReadonlyArray<FieldRule<KeyIntent, ObservedKey>> = [
  { name: "keyAlias", wire: "key_alias", desired: (s) => s.keyAlias, observed: (o) => o.object.key_alias, clear: null },
  // LiteLLM never returns the duration, only the expiry it computed; compare with what we last sent.
  {
    name: "duration",
    wire: "duration",
    desired: (s) => optionalCanonicalDuration(s.duration),
    observed: (o) => o.lastApplied.duration,
    clear: null
  },
  { name: "aliases", wire: "aliases", desired: (s) => s.aliases, observed: (o) => o.object.aliases, clear: {} },
  {
    name: "allowedCacheControls",
    wire: "allowed_cache_controls",
    desired: (s) => s.allowedCacheControls,
    observed: (o) => o.object.allowed_cache_controls,
    clear: []
  },
  {
    name: "allowedRoutes",
    wire: "allowed_routes",
    desired: (s) => s.allowedRoutes,
    observed: (o) => o.object.allowed_routes,
    clear: []
  },
  // `budget_duration: null` is ignored by /key/update.
  {
    name: "budgetDuration",
    wire: "budget_duration",
    desired: (s) => optionalCanonicalDuration(s.budgetDuration),
    observed: (o) => o.object.budget_duration,
    clear: "unclearable"
  },
  { name: "budgetID", wire: "budget_id", desired: (s) => s.budgetID, observed: (o) => o.object.budget_id, clear: null },
  { name: "config", wire: "config", desired: (s) => s.config, observed: (o) => o.object.config, clear: {} },
  {
    name: "maxBudget",
    wire: "max_budget",
    desired: (s) => (s.maxBudget === undefined ? undefined : budgetToNumber(s.maxBudget)),
    observed: (o) => o.object.max_budget,
    clear: null
  },
  {
    name: "maxParallelRequests",
    wire: "max_parallel_requests",
    desired: (s) => s.maxParallelRequests,
    observed: (o) => o.object.max_parallel_requests,
    clear: null
  },
  {
    name: "modelMaxBudget",
    wire: "model_max_budget",
    desired: (s) => modelBudgetsToWire(s.modelMaxBudget),
    observed: (o) => modelBudgetsFromWire(o.object.model_max_budget),
    clear: {}
  },
  { name: "models", wire: "models", desired: (s) => s.models, observed: (o) => o.object.models, clear: [] },
  {
    name: "permissions",
    wire: "permissions",
    desired: (s) => s.permissions,
    observed: (o) => o.object.permissions,
    clear: {}
  },
  { name: "rpmLimit", wire: "rpm_limit", desired: (s) => s.rpmLimit, observed: (o) => o.object.rpm_limit, clear: null },
  { name: "tpmLimit", wire: "tpm_limit", desired: (s) => s.tpmLimit, observed: (o) => o.object.tpm_limit, clear: null },
  { name: "teamID", wire: "team_id", desired: (s) => s.teamID, observed: (o) => o.object.team_id, clear: null },
  { name: "userID", wire: "user_id", desired: (s) => s.userID, observed: (o) => o.object.user_id, clear: null },
  {
    name: "enforcedParams",
    wire: "enforced_params",
    desired: (s) => s.enforcedParams,
    observed: (o) => fromMetadata(o.object, "enforced_params"),
    clear: [],
    inMetadata: true
  },
  {
    name: "guardrails",
    wire: "guardrails",
    desired: (s) => s.guardrails,
    observed: (o) => fromMetadata(o.object, "guardrails"),
    clear: [],
    inMetadata: true
  },
  {
    name: "tags",
    wire: "tags",
    desired: (s) => s.tags,
    observed: (o) => fromMetadata(o.object, "tags"),
    clear: [],
    inMetadata: true
  },
  {
    name: "modelRPMLimit",
    wire: "model_rpm_limit",
    desired: (s) => s.modelRPMLimit,
    observed: (o) => fromMetadata(o.object, "model_rpm_limit"),
    clear: {},
    inMetadata: true
  },
  {
    name: "modelTPMLimit",
    wire: "model_tpm_limit",
    desired: (s) => s.modelTPMLimit,
    observed: (o) => fromMetadata(o.object, "model_tpm_limit"),
    clear: {},
    inMetadata: true
  }
]

/**
 * Sent on `/key/generate` and not compared afterwards: spend is a live counter
 * (an edited value is sent once; `/key/update` overwrites spend), the soft
 * budget and invite email are ignored by `/key/update`, `blocked` is compared
 * by `planKey` itself.
 */
export const keyCreateOnlyRules: ReadonlyArray<CreateOnlyRule<KeyIntent>> = [
  {
    name: "spend",
    wire: "spend",
    desired: (s) => (s.spend === undefined ? undefined : budgetToNumber(s.spend)),
    onEdit: "send"
  },
  {
    name: "softBudget",
    wire: "soft_budget",
    desired: (s) => (s.softBudget === undefined ? undefined : budgetToNumber(s.softBudget)),
    onEdit: "warn"
  },
  { name: "sendInviteEmail", wire: "send_invite_email", desired: (s) => s.sendInviteEmail, onEdit: "warn" },
  { name: "blocked", wire: "blocked", desired: (s) => s.blocked }
]

/**
 * `/key/generate` links a key with a soft budget to a budget row of its own,
 * replacing a `budget_id` sent with it; LiteLLM keeps the soft budget. So with
 * both set, `budgetID` is left out (and named in a warning) instead of being
 * sent again on every reconcile.
 */
const rulesFor = (intent: KeyIntent): ReadonlyArray<FieldRule<KeyIntent, ObservedKey>> =>
  intent.softBudget !== undefined && intent.budgetID !== undefined
    ? keyRules.filter((r) => r.name !== "budgetID")
    : keyRules

const budgetIDWarning = (intent: KeyIntent): ReadonlyArray<string> =>
  intent.softBudget !== undefined && intent.budgetID !== undefined
    ? [
        "key field budgetID is not applied: softBudget is also set, and LiteLLM links the key to the soft budget's own budget row instead"
      ]
    : []

/**
 * LiteLLM stores `{model: {budget_limit}}` as sent, but counts a key's per-model
 * spend only for budgets with a `time_period`, which the API has no field for:
 * such a budget is never reached.
 */
const modelMaxBudgetWarning = (intent: KeyIntent): ReadonlyArray<string> =>
  intent.modelMaxBudget !== undefined && Object.keys(intent.modelMaxBudget).length > 0
    ? [
        "key field modelMaxBudget is stored in LiteLLM but not enforced: LiteLLM counts per-model spend only for budgets with a time period, which this API does not set"
      ]
    : []

const keyWarnings = (intent: KeyIntent): ReadonlyArray<string> => [
  ...budgetIDWarning(intent),
  ...modelMaxBudgetWarning(intent)
]

/** The key is the one under the desired token; deleting one under an older token is an update of the object. */
export const planKey = (desired: KeyDesired, observed: KeyObserved): Plan =>
  planOf(
    {
      creates: (a) => a._tag === "KeyGenerate" && a.token === desired.token,
      deletes: (a) => a._tag === "KeyDelete" && a.token === desired.token
    },
    keyCalls(desired, observed),
    observed.adopting
  )

const keyCalls = (desired: KeyDesired, observed: KeyObserved): Omit<Plan, "summary"> => {
  const { intent, token } = desired
  const { current, previous } = observed
  const actions: Array<LiteLLMAction> = []
  // The old key goes first: aliases are unique, so the new key could not take it otherwise.
  if (
    previous !== undefined &&
    previous.token !== token &&
    (!desired.deleting || desired.deletionPolicy === "Delete")
  ) {
    actions.push(Action.cases.KeyDelete.make({ token: previous.token }))
  }
  if (desired.deleting) {
    if (desired.deletionPolicy === "Delete" && current !== undefined)
      actions.push(Action.cases.KeyDelete.make({ token }))
    return { actions: desired.deletionPolicy === "Delete" ? actions : [], warnings: [], applied: { fields: [] } }
  }
  const rules = rulesFor(intent)
  if (current === undefined) {
    const fields = createFields({
      rules,
      createOnly: keyCreateOnlyRules,
      spec: intent,
      specMetadata: intent.metadata
    })
    actions.push(Action.cases.KeyGenerate.make({ key: desired.key, token, fields }))
    const fieldsOwned = [
      ...createdFields(rules, intent, intent.metadata),
      ...(intent.blocked === undefined ? [] : ["blocked"]),
      ...createOnlyRecords(keyCreateOnlyRules, intent)
    ]
    return {
      actions,
      warnings: keyWarnings(intent),
      applied: { fields: fieldsOwned, duration: optionalCanonicalDuration(intent.duration) }
    }
  }

  const diff = diffFields({
    rules,
    spec: intent,
    observation: { object: current, lastApplied: observed.lastApplied },
    specMetadata: intent.metadata,
    observedMetadata: current.metadata,
    kind: "key"
  })
  const edits = createOnlyEdits({
    rules: keyCreateOnlyRules,
    spec: intent,
    lastApplied: observed.lastApplied,
    kind: "key"
  })
  const changes = { ...diff.changes, ...edits.changes }
  if (Object.keys(changes).length > 0) actions.push(Action.cases.KeyUpdate.make({ token, fields: changes }))
  const applied = [...diff.appliedFields, ...edits.records]
  const wantBlocked = intent.blocked ?? (observed.lastApplied.fields.includes("blocked") ? false : undefined)
  if (intent.blocked !== undefined) applied.push("blocked")
  if (wantBlocked !== undefined && wantBlocked !== (current.blocked ?? false)) {
    actions.push(wantBlocked ? Action.cases.KeyBlock.make({ token }) : Action.cases.KeyUnblock.make({ token }))
  }
  return {
    actions,
    warnings: [...diff.warnings, ...edits.warnings, ...keyWarnings(intent)],
    applied: { fields: applied, duration: optionalCanonicalDuration(intent.duration) }
  }
}
