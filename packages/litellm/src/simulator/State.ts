/**
 * The simulator's database: teams, users, keys and membership rows (the four
 * tables of litellm-api.md §14), plus the helpers every endpoint shares —
 * hashing, timestamps, ordering and pagination.
 */
import { createHash } from "node:crypto"
import { Predicate } from "effect"
import type { Caller } from "./Auth.ts"
import type { Profile } from "./Profile.ts"
import type { Rng } from "./Random.ts"

/** A row as LiteLLM returns it: JSON field names to JSON values. */
export type Row = Record<string, unknown>

/** A table keeping insertion order, so ties in `created_at` sort stably. */
export class Table {
  readonly rows = new Map<string, Row>()
  private readonly order = new Map<string, number>()
  private next = 0

  get(id: string): Row | undefined {
    return this.rows.get(id)
  }

  has(id: string): boolean {
    return this.rows.has(id)
  }

  insert(id: string, row: Row): void {
    this.rows.set(id, row)
    this.order.set(id, this.next++)
  }

  delete(id: string): boolean {
    this.order.delete(id)
    return this.rows.delete(id)
  }

  values(): Array<Row> {
    return [...this.rows.values()]
  }

  entries(): Array<[string, Row]> {
    return [...this.rows.entries()]
  }

  /** Newest first: `created_at desc`, later inserts first on ties. */
  newestFirst(): Array<[string, Row]> {
    return this.entries().sort(([a, ra], [b, rb]) => {
      const byTime = String(rb.created_at).localeCompare(String(ra.created_at))
      return byTime !== 0 ? byTime : (this.order.get(b) ?? 0) - (this.order.get(a) ?? 0)
    })
  }
}

export interface State {
  readonly teams: Table
  readonly users: Table
  readonly keys: Table
  /** `LiteLLM_TeamMembership` rows by `membershipId(team, user)`. */
  readonly memberships: Table
  /** Team model alias maps: a separate table in LiteLLM, so `/team/info` cannot show them. */
  readonly modelAliases: Map<string, Readonly<Record<string, string>>>
  /** Data-plane requests per key token in the current minute, for `rpm_limit`. */
  readonly requestsThisMinute: Map<string, { readonly minute: number; count: number }>
}

export const emptyState = (): State => ({
  teams: new Table(),
  users: new Table(),
  keys: new Table(),
  memberships: new Table(),
  modelAliases: new Map(),
  requestsThisMinute: new Map()
})

/** What every endpoint handler gets. */
export interface Ctx {
  readonly state: State
  readonly profile: Profile
  readonly rng: Rng
  /** Milliseconds since the epoch, from the simulator's (settable) clock. */
  readonly now: () => number
  /** Who sent the request (the master key outside a request). */
  readonly caller: Caller
}

/** The id LiteLLM gives the master key's caller; it leaks into `created_by` and team admins. */
export const MASTER_USER_ID = "default_user_id"

export const sha256 = (raw: string): string => createHash("sha256").update(raw).digest("hex")

/** §2 hash-or-raw rule: a value starting with `sk-` is hashed, anything else is already a token. */
export const hashIfKey = (keyOrToken: string): string =>
  keyOrToken.startsWith("sk-") ? sha256(keyOrToken) : keyOrToken

export const iso = (millis: number): string => new Date(millis).toISOString()

export const membershipId = (teamId: string, userId: string): string => `${teamId}\u0000${userId}`

export const stringField = (row: Row, name: string): string | undefined => {
  const value = row[name]
  return Predicate.isString(value) ? value : undefined
}

export const stringArray = (row: Row, name: string): Array<string> => {
  const value = row[name]
  return Array.isArray(value) ? value.filter(Predicate.isString) : []
}

export const objectField = (row: Row, name: string): Row => {
  const value = row[name]
  return Predicate.isObject(value) && !Array.isArray(value) ? { ...value } : {}
}

/** Members of a team as stored: `[{user_id, user_email, role}]`. */
export const membersOf = (team: Row): Array<Row> => {
  const value = team.members_with_roles
  return Array.isArray(value) ? value.filter((m): m is Row => Predicate.isObject(m) && !Array.isArray(m)) : []
}

export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly total: number
  readonly totalPages: number
}

/** Offset pagination (`skip = (page-1)*size`); past the end is an empty page with correct totals. */
export const paginate = <A>(items: ReadonlyArray<A>, page: number, size: number): Page<A> => ({
  items: items.slice((page - 1) * size, page * size),
  total: items.length,
  totalPages: Math.ceil(items.length / size)
})

/** Drops fields whose value is `undefined` (absent), keeping explicit `null`s. */
export const present = (fields: Readonly<Record<string, unknown>>): Row =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined))

/** Adds `teamId` to a user's `teams`, creating the user row (as LiteLLM's member paths do) if needed. */
export const addTeamToUser = (ctx: Ctx, userId: string, teamId: string, email: string | null = null): Row => {
  let user = ctx.state.users.get(userId)
  if (user === undefined) {
    user = newUserRow(ctx, userId, { user_email: email, user_role: "internal_user" })
    ctx.state.users.insert(userId, user)
  }
  const teams = stringArray(user, "teams")
  if (!teams.includes(teamId)) user.teams = [...teams, teamId]
  return user
}

export const removeTeamFromUser = (ctx: Ctx, userId: string, teamId: string): void => {
  const user = ctx.state.users.get(userId)
  if (user !== undefined) user.teams = stringArray(user, "teams").filter((t) => t !== teamId)
}

/** A user row with LiteLLM's defaults. */
export const newUserRow = (ctx: Ctx, userId: string, fields: Row): Row => {
  const now = iso(ctx.now())
  return {
    user_id: userId,
    user_email: null,
    user_alias: null,
    user_role: null,
    teams: [],
    organization_memberships: [],
    max_budget: null,
    budget_duration: null,
    budget_reset_at: null,
    models: [],
    tpm_limit: null,
    rpm_limit: null,
    max_parallel_requests: null,
    metadata: {},
    model_max_budget: {},
    model_spend: {},
    allowed_cache_controls: [],
    sso_user_id: null,
    spend: 0,
    created_at: now,
    updated_at: now,
    ...fields
  }
}
