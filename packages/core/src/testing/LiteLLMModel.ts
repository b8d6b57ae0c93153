/**
 * An in-memory model of LiteLLM's admin state and the semantics of its admin
 * API, enough to apply plans in property tests: metadata replacement and the
 * team metadata wipe, null handling per endpoint, cascades on delete,
 * membership budget rows, and what `/team/info` leaves out. The core's own
 * model-based tests run every plan against it; another project's property
 * suite can do the same. Pure and synchronous: no clock, no I/O.
 */
import { Data, Redacted, Schema } from "effect"
import { ObservedKey } from "../litellm/ObservedKey.ts"
import { ObservedTeam } from "../litellm/ObservedTeam.ts"
import { ObservedUser } from "../litellm/ObservedUser.ts"
import type { LiteLLMAction } from "../plan/Action.ts"

const decodeTeam = Schema.decodeUnknownSync(ObservedTeam)
const decodeUser = Schema.decodeUnknownSync(ObservedUser)
const decodeKey = Schema.decodeUnknownSync(ObservedKey)

/** A stored object, in LiteLLM's wire names. */
export type ModelRow = Record<string, unknown>

/**
 * A call LiteLLM would refuse (the status it would answer with): a plan that
 * makes one is wrong, so the model throws it and a property fails on it.
 */
export class LiteLLMModelError extends Data.TaggedError("LiteLLMModelError")<{
  readonly status: 400 | 404 | 409
  readonly message: string
}> {}

const refuse = (status: 400 | 404 | 409, message: string): LiteLLMModelError =>
  new LiteLLMModelError({ status, message })

// Rows hold JSON only; a copy keeps a caller's later edits out of the model's state.
const copy = <A>(value: A): A => JSON.parse(JSON.stringify(value))

const TEAM_METADATA_FIELDS = ["tags", "guardrails"]
const KEY_METADATA_FIELDS = ["tags", "guardrails", "enforced_params", "model_rpm_limit", "model_tpm_limit"]
const USER_METADATA_FIELDS = ["model_rpm_limit", "model_tpm_limit", "guardrails"]

const isEmpty = (v: unknown) =>
  v === null ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && v !== null && Object.keys(v).length === 0)

/**
 * LiteLLM's admin state: teams, users, keys (by sha256 token) and team
 * membership budgets. Start empty, or seed the maps with rows in wire names
 * (for objects made outside the operator); `apply` a plan's actions; read
 * back with `team`, `user` and `key`, which answer as LiteLLM's info
 * endpoints do and decode as the client does.
 */
export class LiteLLMModel {
  /** Teams by `team_id`. */
  readonly teams = new Map<string, ModelRow>()
  /** Users by `user_id`. */
  readonly users = new Map<string, ModelRow>()
  /** Keys by token (sha256 of the key, lowercase hex). */
  readonly keys = new Map<string, ModelRow>()
  /** Membership budgets by `<team_id>/<user_id>`; undefined: a member without a budget row. */
  readonly memberships = new Map<string, number | undefined>()
  /** Raw keys seen on generate, by token, to check what a plan sent. */
  readonly rawKeys = new Map<string, string>()
  /** Actions applied so far. */
  calls = 0

  private ensureUser(userId: string) {
    if (!this.users.has(userId))
      this.users.set(userId, { user_id: userId, models: [], metadata: {}, teams: [], spend: 0 })
    return this.users.get(userId)!
  }

  private addTeamToUser(userId: string, teamId: string) {
    const user = this.ensureUser(userId)
    const teams = (user.teams as Array<string>) ?? []
    if (!teams.includes(teamId)) user.teams = [...teams, teamId]
  }

  /** Applies one action as LiteLLM would; throws `LiteLLMModelError` where LiteLLM would refuse it. */
  apply(action: LiteLLMAction): void {
    this.calls++
    switch (action._tag) {
      case "TeamCreate": {
        const { metadata, ...rest } = action.fields
        const meta: ModelRow = { ...((metadata as ModelRow | undefined) ?? {}) }
        for (const f of TEAM_METADATA_FIELDS) if (f in rest) meta[f] = rest[f]
        this.teams.set(action.teamId, {
          models: [],
          blocked: false,
          spend: 0,
          team_member_permissions: [],
          ...rest,
          team_id: action.teamId,
          metadata: meta,
          members_with_roles: [{ user_id: "default_user_id", user_email: null, role: "admin" }]
        })
        this.addTeamToUser("default_user_id", action.teamId)
        return
      }
      case "TeamUpdate": {
        const team = this.teams.get(action.teamId)
        if (team === undefined) throw refuse(404, "team not found")
        const { metadata, ...rest } = action.fields
        // The wipe quirk: metadata-backed fields sent without metadata replace it.
        let meta: ModelRow =
          metadata !== undefined
            ? { ...(metadata as ModelRow) }
            : { ...((team.metadata as ModelRow | undefined) ?? {}) }
        const backed = TEAM_METADATA_FIELDS.filter((f) => f in rest)
        if (metadata === undefined && backed.length > 0) meta = {}
        for (const f of backed) meta[f] = rest[f]
        for (const [k, v] of Object.entries(rest)) {
          if (TEAM_METADATA_FIELDS.includes(k)) continue
          team[k] = k === "organization_id" && v === "" ? null : v
        }
        team.metadata = meta
        return
      }
      case "TeamSetMemberPermissions":
        this.mustTeam(action.teamId).team_member_permissions = [...action.permissions]
        return
      case "TeamBlock":
        this.mustTeam(action.teamId).blocked = true
        return
      case "TeamUnblock":
        this.mustTeam(action.teamId).blocked = false
        return
      case "TeamDelete": {
        this.mustTeam(action.teamId)
        for (const [token, key] of this.keys) if (key.team_id === action.teamId) this.keys.delete(token)
        for (const user of this.users.values())
          user.teams = ((user.teams as Array<string>) ?? []).filter((t) => t !== action.teamId)
        for (const k of [...this.memberships.keys()]) if (k.startsWith(`${action.teamId}/`)) this.memberships.delete(k)
        this.teams.delete(action.teamId)
        return
      }
      case "UserCreate": {
        if (this.users.has(action.userId)) throw refuse(409, "user exists")
        const { metadata, ...fields } = action.fields
        const rest: ModelRow = { ...fields }
        const meta: ModelRow = { ...((metadata as ModelRow | undefined) ?? {}) }
        for (const f of USER_METADATA_FIELDS)
          if (f in rest) {
            meta[f] = rest[f]
            delete rest[f]
          }
        delete rest.send_invite_email
        this.users.set(action.userId, {
          models: [],
          teams: [],
          spend: 0,
          ...rest,
          user_id: action.userId,
          metadata: meta
        })
        return
      }
      case "UserUpdate": {
        const user = this.ensureUser(action.userId) // /user/update upserts
        for (const [k, v] of Object.entries(action.fields)) {
          if (k === "max_budget" && v === null) {
            user.max_budget = null
            continue
          }
          if (isEmpty(v)) continue // null, [] and {} are dropped
          if (k === "metadata") user.metadata = { ...(v as ModelRow) }
          else if (USER_METADATA_FIELDS.includes(k)) user.metadata = { ...(user.metadata as ModelRow), [k]: v }
          else user[k] = v
        }
        return
      }
      case "UserDelete": {
        if (!this.users.has(action.userId)) throw refuse(404, "user not found")
        for (const [token, key] of this.keys) if (key.user_id === action.userId) this.keys.delete(token)
        for (const team of this.teams.values()) {
          team.members_with_roles = ((team.members_with_roles as Array<ModelRow>) ?? []).filter(
            (m) => m.user_id !== action.userId
          )
        }
        this.users.delete(action.userId)
        return
      }
      case "MemberAdd": {
        const team = this.mustTeam(action.teamId)
        const members = (team.members_with_roles as Array<ModelRow>) ?? []
        if (members.some((m) => m.user_id === action.userId)) throw refuse(400, "already a member of the team")
        team.members_with_roles = [...members, { user_id: action.userId, user_email: null, role: action.role }]
        this.addTeamToUser(action.userId, action.teamId)
        if (action.maxBudgetInTeam !== undefined)
          this.memberships.set(`${action.teamId}/${action.userId}`, action.maxBudgetInTeam)
        return
      }
      case "MemberUpdate": {
        const team = this.mustTeam(action.teamId)
        team.members_with_roles = ((team.members_with_roles as Array<ModelRow>) ?? []).map((m) =>
          m.user_id === action.userId ? { ...m, role: action.role } : m
        )
        // Each call links a new budget row, or detaches it when no budget is sent.
        this.memberships.set(`${action.teamId}/${action.userId}`, action.maxBudgetInTeam)
        return
      }
      case "MemberRemove": {
        const team = this.mustTeam(action.teamId)
        const members = (team.members_with_roles as Array<ModelRow>) ?? []
        if (!members.some((m) => m.user_id === action.userId)) throw refuse(400, "not a member of the team")
        team.members_with_roles = members.filter((m) => m.user_id !== action.userId)
        const user = this.users.get(action.userId)
        if (user !== undefined) user.teams = ((user.teams as Array<string>) ?? []).filter((t) => t !== action.teamId)
        this.memberships.delete(`${action.teamId}/${action.userId}`)
        return
      }
      case "KeyGenerate": {
        if (this.keys.has(action.token)) throw refuse(400, "key exists")
        const { metadata, soft_budget: softBudget, send_invite_email: _email, duration, ...fields } = action.fields
        const rest: ModelRow = { ...fields }
        const alias = rest.key_alias
        if (alias != null && [...this.keys.values()].some((k) => k.key_alias === alias))
          throw refuse(400, "key alias exists")
        const meta: ModelRow = { ...((metadata as ModelRow | undefined) ?? {}) }
        for (const f of KEY_METADATA_FIELDS)
          if (f in rest) {
            meta[f] = rest[f]
            delete rest[f]
          }
        this.rawKeys.set(action.token, Redacted.value(action.key))
        // A soft budget gets a budget row of its own, which replaces a passed budget_id.
        if (softBudget !== undefined && softBudget !== null) rest.budget_id = `budget-${action.token.slice(0, 12)}`
        this.keys.set(action.token, {
          models: [],
          aliases: {},
          config: {},
          permissions: {},
          spend: 0,
          blocked: null,
          ...rest,
          expires: duration === undefined ? null : `expires-after-${String(duration)}`,
          token: action.token,
          metadata: meta
        })
        return
      }
      case "KeyUpdate": {
        const key = this.keys.get(action.token)
        if (key === undefined) throw refuse(404, "key not found")
        const { metadata, duration, ...rest } = action.fields
        const alias = rest.key_alias
        if (alias != null && [...this.keys.entries()].some(([t, k]) => t !== action.token && k.key_alias === alias))
          throw refuse(400, "key alias exists")
        let meta: ModelRow = metadata !== undefined ? { ...(metadata as ModelRow) } : { ...(key.metadata as ModelRow) }
        for (const [k, v] of Object.entries(rest)) {
          if (KEY_METADATA_FIELDS.includes(k)) {
            meta = { ...meta, [k]: v }
            continue
          }
          if (k === "budget_duration" && v === null) continue // ignored by /key/update
          key[k] = v
        }
        if (duration !== undefined) key.expires = duration === null ? null : `expires-after-${String(duration)}`
        key.metadata = meta
        return
      }
      case "KeyBlock":
        this.mustKey(action.token).blocked = true
        return
      case "KeyUnblock":
        this.mustKey(action.token).blocked = false
        return
      case "KeyDelete":
        if (!this.keys.delete(action.token)) throw refuse(404, "key not found")
        return
    }
  }

  /** Applies the actions in order (a plan's `actions`). */
  applyAll(actions: ReadonlyArray<LiteLLMAction>): void {
    for (const action of actions) this.apply(action)
  }

  private mustTeam(teamId: string): ModelRow {
    const team = this.teams.get(teamId)
    if (team === undefined) throw refuse(404, `team ${teamId} not found`)
    return team
  }

  private mustKey(token: string): ModelRow {
    const key = this.keys.get(token)
    if (key === undefined) throw refuse(404, "key not found")
    return key
  }

  /** `/team/info`: the alias map is not returned (litellm-api.md §5.3). */
  team(teamId: string): typeof ObservedTeam.Type | undefined {
    const row = this.teams.get(teamId)
    if (row === undefined) return undefined
    const { model_aliases: _hidden, ...visible } = row
    const memberships = [...this.memberships.entries()]
      .filter(([k]) => k.startsWith(`${teamId}/`))
      .map(([k, budget]) => ({
        team_id: teamId,
        user_id: k.slice(teamId.length + 1),
        litellm_budget_table: budget === undefined ? null : { max_budget: budget }
      }))
    return decodeTeam(copy({ ...visible, team_memberships: memberships }))
  }

  /** `/user/info`'s user. */
  user(userId: string): typeof ObservedUser.Type | undefined {
    const row = this.users.get(userId)
    return row === undefined ? undefined : decodeUser(copy(row))
  }

  /** `/key/info`'s key. */
  key(token: string): typeof ObservedKey.Type | undefined {
    const row = this.keys.get(token)
    return row === undefined ? undefined : decodeKey(copy(row))
  }
}
