/**
 * Simulated user endpoints (litellm-api.md §6): create (optionally with a
 * key), the `/user/update` upsert with its null-dropping and its 400 on
 * non-columns, read (with the old 200-empty quirk), list, delete (cascading to
 * the user's keys and memberships).
 */
import { budgetResetAt } from "./Durations.ts"
import { ok, parse, type SimResponse, shapeA, shapeB, shapeC } from "./Envelopes.ts"
import { keyGenerate } from "./keys.ts"
import { uuid4 } from "./Random.ts"
import { ListQuery, UserDeleteBody, UserNewBody, UserUpdateBody } from "./Requests.ts"
import {
  addTeamToUser,
  type Ctx,
  iso,
  membershipId,
  membersOf,
  newUserRow,
  objectField,
  paginate,
  present,
  type Row,
  stringArray,
  stringField
} from "./State.ts"

/** Request fields stored in the user's `metadata`. */
const USER_METADATA_FIELDS = ["model_rpm_limit", "model_tpm_limit", "guardrails", "policies", "prompts"] as const

/** User columns `/user/new` and `/user/update` write. */
const USER_COLUMNS = [
  "user_email",
  "user_alias",
  "user_role",
  "max_budget",
  "budget_duration",
  "models",
  "tpm_limit",
  "rpm_limit",
  "max_parallel_requests",
  "model_max_budget",
  "allowed_cache_controls",
  "spend"
] as const

/** Not user columns: `/user/update` passes them to the database, which fails the whole call. */
const NOT_COLUMNS = [
  "blocked",
  "aliases",
  "config",
  "permissions",
  "key_alias",
  "duration",
  "prompts",
  "agent_id"
] as const

const normalEmail = (email: string) => email.trim().toLowerCase()

const emailTaken = (ctx: Ctx, email: string) =>
  ctx.state.users.values().some((u) => {
    const existing = stringField(u, "user_email")
    return existing !== undefined && normalEmail(existing) === normalEmail(email)
  })

const isEmpty = (value: unknown): boolean =>
  value === null ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0)

export const userNew = (ctx: Ctx, input: unknown): SimResponse => {
  const parsed = parse(UserNewBody, input)
  if (!parsed.ok) return parsed.response
  const body = parsed.value
  const conflict = ctx.profile.userConflictStatus
  if (body.user_id != null && ctx.state.users.has(body.user_id))
    return shapeA(conflict, `User with id ${body.user_id} already exists`, "bad_request_error", "user_id")
  if (body.user_email != null && emailTaken(ctx, body.user_email))
    return shapeA(conflict, `User with email ${body.user_email} already exists`, "bad_request_error", "user_email")
  if (body.sso_user_id != null && ctx.state.users.values().some((u) => u.sso_user_id === body.sso_user_id))
    return shapeA(500, "Unique constraint failed on the fields: (`sso_user_id`)", "internal_server_error")
  const userId = body.user_id ?? uuid4(ctx.rng)
  let resetAt: string | null = null
  if (body.budget_duration != null) {
    const reset = budgetResetAt(ctx.now(), body.budget_duration)
    if (!reset.ok) return shapeA(500, reset.error, "internal_server_error")
    resetAt = iso(reset.value.getTime())
  }
  const metadata: Row = { ...(body.metadata ?? {}) }
  for (const field of USER_METADATA_FIELDS) if (body[field] != null) metadata[field] = body[field]
  // The auto-created key shares models, limits and metadata with the user (§6.1).
  let key: Row | undefined
  if (body.auto_create_key !== false) {
    const generated = keyGenerate(
      ctx,
      present({
        key_alias: body.key_alias,
        duration: body.duration,
        models: body.models,
        tpm_limit: body.tpm_limit,
        rpm_limit: body.rpm_limit,
        max_parallel_requests: body.max_parallel_requests,
        metadata,
        aliases: body.aliases,
        config: body.config,
        permissions: body.permissions,
        blocked: body.blocked,
        allowed_cache_controls: body.allowed_cache_controls,
        spend: body.spend,
        user_id: userId,
        team_id: body.team_id
      })
    )
    if (generated.status !== 200) return generated
    key = objectField({ generated: generated.body }, "generated")
  }
  const columns = Object.fromEntries(
    USER_COLUMNS.flatMap((name) => (body[name] === undefined || body[name] === null ? [] : [[name, body[name]]]))
  )
  const user = newUserRow(ctx, userId, {
    ...columns,
    sso_user_id: body.sso_user_id ?? null,
    metadata,
    budget_reset_at: resetAt
  })
  ctx.state.users.insert(userId, user)
  // Team adds after the response is built in LiteLLM, and failures are swallowed.
  const teams = [
    ...(body.teams ?? []).map((t) =>
      typeof t === "string" ? { team_id: t, role: "user" } : { team_id: t.team_id, role: t.user_role ?? "user" }
    ),
    ...(body.team_id == null ? [] : [{ team_id: body.team_id, role: "user" }])
  ]
  for (const { team_id, role } of teams) {
    const team = ctx.state.teams.get(team_id)
    if (team === undefined || membersOf(team).some((m) => m.user_id === userId)) continue
    team.members_with_roles = [...membersOf(team), { user_id: userId, user_email: body.user_email ?? null, role }]
    addTeamToUser(ctx, userId, team_id)
  }
  return ok({
    key: key?.key ?? "",
    key_name: key?.key_name ?? null,
    key_alias: key?.key_alias ?? null,
    expires: key?.expires ?? null,
    team_id: body.team_id ?? null,
    budget_id: null,
    ...user,
    teams: null,
    token: null,
    token_id: null
  })
}

export const userUpdate = (ctx: Ctx, input: unknown): SimResponse => {
  const parsed = parse(UserUpdateBody, input)
  if (!parsed.ok) return parsed.response
  const body = parsed.value
  if (body.user_id == null && body.user_email == null)
    return shapeC("Value error, Either user_id or user_email must be provided", ["body"])
  // `blocked` fails even as `false`; the others once they carry a value (§6.2).
  const column = NOT_COLUMNS.find((name) => {
    const value = body[name]
    return value !== undefined && value !== null && (name === "blocked" || !isEmpty(value))
  })
  if (column !== undefined)
    return shapeA(
      400,
      `Authentication Error, Invalid \`prisma.litellm_usertable.upsert()\` invocation: Unknown argument \`${column}\`. Available options are marked with ?.`,
      "auth_error"
    )
  // Upsert: an unknown id (or an email nobody has) creates the user.
  let userId = body.user_id ?? undefined
  if (userId === undefined) {
    const email = normalEmail(body.user_email ?? "")
    const match = ctx.state.users.values().find((u) => normalEmail(stringField(u, "user_email") ?? "") === email)
    userId = match === undefined ? uuid4(ctx.rng) : (stringField(match, "user_id") ?? uuid4(ctx.rng))
  }
  let user = ctx.state.users.get(userId)
  if (user === undefined) {
    user = newUserRow(ctx, userId, {})
    ctx.state.users.insert(userId, user)
  }
  const changes: Row = {}
  for (const name of USER_COLUMNS) {
    const value = body[name]
    if (value === undefined) continue
    // null, [] and {} are dropped: only max_budget can be cleared.
    if (isEmpty(value) && !(name === "max_budget" && value === null)) continue
    changes[name] = value
  }
  if (body.budget_duration != null) {
    const reset = budgetResetAt(ctx.now(), body.budget_duration)
    if (!reset.ok) return shapeA(400, `Authentication Error, ${reset.error}`, "auth_error")
    changes.budget_reset_at = iso(reset.value.getTime())
  }
  let metadata = objectField(user, "metadata")
  if (body.metadata != null && !isEmpty(body.metadata)) metadata = { ...body.metadata }
  // Metadata-backed fields are merged into the metadata (guardrails too: they are not a column).
  for (const field of ["model_rpm_limit", "model_tpm_limit", "guardrails"] as const)
    if (body[field] != null && !isEmpty(body[field])) metadata[field] = body[field]
  Object.assign(user, changes, { metadata, updated_at: iso(ctx.now()) })
  return ok({ user_id: userId, data: user })
}

const keysOf = (ctx: Ctx, userId: string): Array<Row> =>
  ctx.state.keys
    .values()
    .filter((k) => k.user_id === userId)
    .map((k) => {
      const teamId = stringField(k, "team_id")
      const team = teamId === undefined ? undefined : ctx.state.teams.get(teamId)
      // Team-less keys carry the string "None" (§16.10).
      return { ...k, team_alias: team === undefined ? "None" : (team.team_alias ?? null) }
    })

export const userInfo = (ctx: Ctx, query: URLSearchParams): SimResponse => {
  // A virtual key asking without `user_id` reads its own user.
  const userId =
    query.get("user_id") ?? (ctx.caller._tag === "Key" ? (stringField(ctx.caller.key, "user_id") ?? null) : null)
  if (userId === null && ctx.caller._tag === "Key" && !ctx.caller.admin)
    return shapeA(403, "key not allowed to access this user's info. user_id=None, key's user_id=None", "auth_error")
  if (userId === null)
    return ok({ user_id: null, user_info: null, keys: ctx.state.keys.values(), teams: ctx.state.teams.values() })
  const user = ctx.state.users.get(userId)
  if (user === undefined)
    return ctx.profile.userInfoMissing === 404
      ? shapeA(404, `User ${userId} not found`, "not_found_error", "user_id")
      : ok({ user_id: userId, user_info: { spend: 0 }, keys: [], teams: [] })
  // Each team carries this user's membership rows (per-member budgets), as a real proxy's /user/info does.
  const teams = stringArray(user, "teams").flatMap((id) => {
    const team = ctx.state.teams.get(id)
    const memberships = ctx.state.memberships.values().filter((m) => m.team_id === id && m.user_id === userId)
    return team === undefined ? [] : [{ ...team, team_memberships: memberships }]
  })
  return ok({ user_id: userId, user_info: user, keys: keysOf(ctx, userId), teams })
}

const USER_SORTABLE = ["user_id", "user_email", "created_at", "spend", "user_alias", "user_role"]

export const userList = (ctx: Ctx, query: URLSearchParams): SimResponse => {
  const parsed = parse(ListQuery, Object.fromEntries(query))
  if (!parsed.ok) return parsed.response
  const q = parsed.value
  if (q.sort_by !== undefined && !USER_SORTABLE.includes(q.sort_by))
    return shapeB(400, { error: `Invalid sort_by: ${q.sort_by}. Must be one of ${USER_SORTABLE.join(", ")}` })
  const ids = query
    .get("user_ids")
    ?.split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
  const email = query.get("user_email")?.toLowerCase()
  const team = query.get("team")
  const role = query.get("role")
  let rows = ctx.state.users
    .newestFirst()
    .map(([, u]) => u)
    .filter((u) => {
      const id = stringField(u, "user_id") ?? ""
      // A single id is a case-insensitive substring match; several ids are exact.
      const idMatch =
        ids === undefined ||
        ids.length === 0 ||
        (ids.length === 1 ? id.toLowerCase().includes((ids[0] ?? "").toLowerCase()) : ids.includes(id))
      return (
        idMatch &&
        (email === undefined || (stringField(u, "user_email") ?? "").toLowerCase().includes(email)) &&
        (team === null || stringArray(u, "teams").includes(team)) &&
        (role === null || u.user_role === role)
      )
    })
  if (q.sort_by !== undefined) {
    const by = q.sort_by
    const dir = q.sort_order === "desc" ? -1 : 1
    rows = rows.sort((a, b) => {
      const x = a[by] ?? ""
      const y = b[by] ?? ""
      return dir * (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y)))
    })
  }
  const page = q.page ?? 1
  const size = q.page_size ?? 25
  const result = paginate(rows, page, size)
  return ok({
    users: result.items.map((u) => ({
      ...u,
      key_count: ctx.state.keys.values().filter((k) => k.user_id === u.user_id).length
    })),
    total: result.total,
    page,
    page_size: size,
    total_pages: result.totalPages
  })
}

export const userDelete = (ctx: Ctx, input: unknown): SimResponse => {
  const parsed = parse(UserDeleteBody, input)
  if (!parsed.ok) return parsed.response
  const ids = parsed.value.user_ids
  // LiteLLM removes members while iterating and fails at the first unknown id:
  // earlier users may have left their teams, but no row is deleted.
  for (const id of ids) {
    if (!ctx.state.users.has(id)) return shapeB(404, { error: `User not found, passed user_id=${id}` })
    for (const team of ctx.state.teams.values())
      team.members_with_roles = membersOf(team).filter((m) => m.user_id !== id)
  }
  let deleted = 0
  for (const id of ids) {
    for (const [token, key] of ctx.state.keys.entries()) if (key.user_id === id) ctx.state.keys.delete(token)
    for (const row of ctx.state.memberships.values())
      if (row.user_id === id) ctx.state.memberships.delete(membershipId(String(row.team_id), id))
    if (ctx.state.users.delete(id)) deleted++
  }
  return ok(deleted)
}
