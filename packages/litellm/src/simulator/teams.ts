/**
 * Simulated team endpoints (litellm-api.md §5): create, read, update, list,
 * delete (cascading to the team's keys), block/unblock, member add/update/
 * delete and member permissions. Error envelopes follow each endpoint's table.
 */
import { callerUserId } from "./Auth.ts"
import { budgetResetAt } from "./Durations.ts"
import { ok, parse, repr, type SimResponse, shapeA, shapeB, shapeC } from "./Envelopes.ts"
import { uuid4 } from "./Random.ts"
import {
  ListQuery,
  type Member,
  MemberAddBody,
  MemberDeleteBody,
  MemberUpdateBody,
  PermissionsUpdateBody,
  TeamDeleteBody,
  TeamIdBody,
  TeamNewBody,
  TeamUpdateBody
} from "./Requests.ts"
import {
  addTeamToUser,
  type Ctx,
  iso,
  membershipId,
  membersOf,
  paginate,
  present,
  type Row,
  removeTeamFromUser,
  stringField
} from "./State.ts"

/** Request fields LiteLLM stores inside team `metadata` (§4.4). */
export const TEAM_METADATA_FIELDS = [
  "tags",
  "guardrails",
  "policies",
  "prompts",
  "model_rpm_limit",
  "model_tpm_limit",
  "rpm_limit_type",
  "tpm_limit_type",
  "team_member_key_duration",
  "allowed_passthrough_routes",
  "secret_manager_settings"
] as const

const ENTERPRISE_FIELDS = [
  "tags",
  "guardrails",
  "policies",
  "prompts",
  "team_member_key_duration",
  "allowed_passthrough_routes",
  "secret_manager_settings"
] as const

/** Request fields that are not team columns. */
const NOT_COLUMNS = new Set<string>([
  "team_id",
  "metadata",
  "model_aliases",
  "members_with_roles",
  "team_member_budget",
  "team_member_rpm_limit",
  "team_member_tpm_limit",
  "budget_duration",
  ...TEAM_METADATA_FIELDS
])

const ENTERPRISE =
  "This feature is only available for LiteLLM Enterprise users. Get a license at https://www.litellm.ai/enterprise"

const isEmptyCollection = (value: unknown): boolean =>
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0)

/** On create any value needs the license; on update 2026 builds let `[]`/`{}` through (to clear). */
const enterpriseField = (ctx: Ctx, body: Readonly<Record<string, unknown>>, allowEmpty: boolean) =>
  ctx.profile.enterprise
    ? undefined
    : ENTERPRISE_FIELDS.find((f) => {
        const value = body[f]
        return value !== undefined && value !== null && !(allowEmpty && isEmptyCollection(value))
      })

const pyValue = (value: unknown) => (typeof value === "string" ? `'${value}'` : "None")

/** A member as Python prints LiteLLM's `Member` model. */
const pyMember = (m: Row) =>
  `Member(user_id=${pyValue(m.user_id)}, user_email=${pyValue(m.user_email)}, role=${pyValue(m.role)})`

const teamNotFoundB = (teamId: string) => shapeB(404, { error: `Team not found, passed team_id=${teamId}` })

/** Membership rows of a team, as `/team/info` lists them. */
const membershipsOf = (ctx: Ctx, teamId: string): Array<Row> =>
  ctx.state.memberships.values().filter((m) => m.team_id === teamId)

/** Adds members the way `/team/new` and `/team/member_add` do: users are created or found by email. */
const addMembers = (
  ctx: Ctx,
  team: Row,
  teamId: string,
  members: ReadonlyArray<Member>,
  maxBudgetInTeam: number | null | undefined
): { users: Array<Row>; memberships: Array<Row> } | SimResponse => {
  const users: Array<Row> = []
  const memberships: Array<Row> = []
  for (const member of members) {
    let userId = member.user_id ?? undefined
    const email = member.user_email ?? null
    if (userId === undefined && email !== null) {
      const matches = ctx.state.users
        .values()
        .filter((u) => stringField(u, "user_email")?.toLowerCase() === email.toLowerCase())
      if (matches.length > 1)
        return shapeB(400, { error: "Multiple users with this email found in db. Please use 'user_id' instead." })
      userId = matches[0] === undefined ? uuid4(ctx.rng) : (stringField(matches[0], "user_id") ?? uuid4(ctx.rng))
    }
    if (userId === undefined) continue
    const id = userId
    users.push(addTeamToUser(ctx, id, teamId, email))
    team.members_with_roles = [
      ...membersOf(team).filter((m) => m.user_id !== id),
      { user_id: id, user_email: email, role: member.role }
    ]
    if (maxBudgetInTeam !== undefined && maxBudgetInTeam !== null) {
      const row = membershipRow(ctx, teamId, id, { max_budget: maxBudgetInTeam })
      ctx.state.memberships.delete(membershipId(teamId, id))
      ctx.state.memberships.insert(membershipId(teamId, id), row)
      memberships.push(row)
    }
  }
  return { users, memberships }
}

const membershipRow = (ctx: Ctx, teamId: string, userId: string, budget: Row | null): Row => {
  const budgetId = budget === null ? null : uuid4(ctx.rng)
  return {
    user_id: userId,
    team_id: teamId,
    spend: 0,
    budget_id: budgetId,
    litellm_budget_table:
      budget === null
        ? null
        : { budget_id: budgetId, max_budget: null, tpm_limit: null, rpm_limit: null, soft_budget: null, ...budget }
  }
}

/** The team row plus whatever the endpoint adds; `litellm_model_table` only where LiteLLM returns it. */
const teamView = (ctx: Ctx, teamId: string, row: Row, withModelTable: boolean): Row => {
  const aliases = ctx.state.modelAliases.get(teamId)
  return {
    ...row,
    litellm_model_table: withModelTable && aliases !== undefined ? { model_aliases: aliases } : null
  }
}

const resetAtFor = (ctx: Ctx, budgetDuration: string): string | SimResponse => {
  const reset = budgetResetAt(ctx.now(), budgetDuration)
  return reset.ok ? iso(reset.value.getTime()) : shapeA(500, reset.error, "internal_server_error")
}

export const teamNew = (ctx: Ctx, input: unknown): SimResponse => {
  const parsed = parse(TeamNewBody, input)
  if (!parsed.ok) return parsed.response
  const body = parsed.value
  const members = body.members_with_roles ?? []
  if (members.some((m) => (m.user_id ?? null) === null && (m.user_email ?? null) === null))
    return shapeC("Value error, Either user_id or user_email must be provided", ["body", "members_with_roles"])
  const enterprise = enterpriseField(ctx, body, false)
  if (enterprise !== undefined) return shapeA(403, `${ENTERPRISE} (${enterprise})`, "auth_error")
  const teamId = body.team_id ?? uuid4(ctx.rng)
  if (ctx.state.teams.has(teamId))
    return shapeA(
      400,
      repr("error", `Team id = ${teamId} already exists. Please use a different team id.`),
      "internal_server_error"
    )
  if (body.organization_id !== undefined && body.organization_id !== null)
    return shapeA(400, `Organization not found for organization_id=${body.organization_id}`, "internal_server_error")
  let resetAt: string | null = null
  if (body.budget_duration !== undefined && body.budget_duration !== null) {
    const r = resetAtFor(ctx, body.budget_duration)
    if (typeof r !== "string") return r
    resetAt = r
  }
  const now = iso(ctx.now())
  const metadata: Row = { ...(body.metadata ?? {}) }
  for (const field of TEAM_METADATA_FIELDS)
    if (body[field] !== undefined && body[field] !== null) metadata[field] = body[field]
  if (body.team_member_budget !== undefined && body.team_member_budget !== null)
    metadata.team_member_budget_id = uuid4(ctx.rng)
  const columns = Object.fromEntries(Object.entries(present(body)).filter(([name]) => !NOT_COLUMNS.has(name)))
  const row: Row = {
    team_id: teamId,
    team_alias: null,
    organization_id: null,
    admins: [],
    members: [],
    members_with_roles: [],
    team_member_permissions: [],
    tpm_limit: null,
    rpm_limit: null,
    max_budget: null,
    soft_budget: null,
    models: [],
    blocked: false,
    spend: 0,
    max_parallel_requests: null,
    router_settings: null,
    access_group_ids: [],
    model_id: null,
    object_permission_id: null,
    ...columns,
    metadata,
    budget_duration: body.budget_duration ?? null,
    budget_reset_at: resetAt,
    created_at: now,
    updated_at: now
  }
  if (body.model_aliases !== undefined && body.model_aliases !== null) {
    ctx.state.modelAliases.set(teamId, { ...body.model_aliases })
    row.model_id = ctx.state.modelAliases.size
  }
  ctx.state.teams.insert(teamId, row)
  // The caller (the master key's default_user_id, or an admin key's user) becomes an admin, then the members are added.
  const callerId = callerUserId(ctx.caller)
  const withCaller: Array<Member> =
    callerId === null || members.some((m) => m.user_id === callerId)
      ? [...members]
      : [...members, { user_id: callerId, role: "admin" }]
  const added = addMembers(ctx, row, teamId, withCaller, null)
  if ("status" in added) return added
  const view = teamView(ctx, teamId, row, true)
  return ok(ctx.profile.teamNewEchoesMembers ? view : { ...view, members_with_roles: [] })
}

export const teamUpdate = (ctx: Ctx, input: unknown): SimResponse => {
  const parsed = parse(TeamUpdateBody, input)
  if (!parsed.ok) return parsed.response
  const body = parsed.value
  const row = ctx.state.teams.get(body.team_id)
  if (row === undefined) return teamNotFoundB(body.team_id)
  const enterprise = enterpriseField(ctx, body, true)
  if (enterprise !== undefined) return shapeB(403, { error: `${ENTERPRISE} (${enterprise})` })
  if (body.organization_id !== undefined && body.organization_id !== null && body.organization_id !== "")
    return shapeB(404, { error: `Organization not found, passed organization_id=${body.organization_id}` })
  const changes: Row = {}
  if (body.budget_duration !== undefined) {
    changes.budget_duration = body.budget_duration
    if (body.budget_duration !== null) {
      const r = resetAtFor(ctx, body.budget_duration)
      if (typeof r !== "string") return r
      changes.budget_reset_at = r
    }
  }
  for (const [name, value] of Object.entries(present(body)))
    if (!NOT_COLUMNS.has(name)) changes[name] = name === "organization_id" && value === "" ? null : value
  // The metadata wipe (§4.4): metadata-backed fields sent without `metadata`
  // leave a metadata holding only those fields.
  const backed = TEAM_METADATA_FIELDS.filter((f) => body[f] !== undefined)
  let metadata: Row | undefined
  if (body.metadata !== undefined && body.metadata !== null) metadata = { ...body.metadata }
  else if (backed.length > 0) metadata = {}
  if (body.team_member_budget !== undefined && body.team_member_budget !== null)
    metadata = { ...(metadata ?? {}), team_member_budget_id: uuid4(ctx.rng) }
  if (metadata !== undefined) {
    for (const field of backed) metadata[field] = body[field]
    changes.metadata = metadata
  }
  if (body.model_aliases !== undefined && body.model_aliases !== null)
    ctx.state.modelAliases.set(body.team_id, { ...body.model_aliases })
  Object.assign(row, changes, { updated_at: iso(ctx.now()) })
  return ok({ team_id: body.team_id, data: teamView(ctx, body.team_id, row, true) })
}

export const teamInfo = (ctx: Ctx, query: URLSearchParams): SimResponse => {
  const teamId = query.get("team_id")
  if (teamId === null)
    return shapeA(422, repr("message", "Malformed request. No team id passed in."), "auth_error", "None")
  const row = ctx.state.teams.get(teamId)
  if (row === undefined)
    return shapeA(404, repr("message", `Team not found, passed team id: ${teamId}.`), "auth_error", "team_id")
  // A non-admin key reads its own team, or a team its user is a member of.
  const caller = ctx.caller
  if (caller._tag === "Key" && !caller.admin) {
    const userId = stringField(caller.key, "user_id")
    const mine =
      caller.key.team_id === teamId || (userId !== undefined && membersOf(row).some((m) => m.user_id === userId))
    if (!mine)
      return shapeA(
        403,
        repr("message", `User=${userId ?? null} not authorized to access this team=${teamId}`),
        "auth_error",
        "team_id"
      )
  }
  return ok({
    team_id: teamId,
    team_info: { ...teamView(ctx, teamId, row, false), team_member_budget_table: null },
    keys: ctx.state.keys.values().filter((k) => k.team_id === teamId),
    team_memberships: membershipsOf(ctx, teamId)
  })
}

const TEAM_SORTABLE = ["team_id", "team_alias", "created_at"]

export const teamListV2 = (ctx: Ctx, query: URLSearchParams): SimResponse => {
  const parsed = parse(ListQuery, Object.fromEntries(query))
  if (!parsed.ok) return parsed.response
  const q = parsed.value
  const alias = query.get("team_alias")?.toLowerCase()
  const teamId = query.get("team_id")
  const userId = query.get("user_id")
  const orgId = query.get("organization_id")
  if (userId !== null && !ctx.state.users.has(userId))
    return shapeB(404, { error: `User not found, passed user_id=${userId}` })
  let rows = ctx.state.teams
    .newestFirst()
    .map(([, row]) => row)
    .filter(
      (t) =>
        (alias === undefined || (stringField(t, "team_alias") ?? "").toLowerCase().includes(alias)) &&
        (teamId === null || t.team_id === teamId) &&
        (userId === null || membersOf(t).some((m) => m.user_id === userId)) &&
        (orgId === null || t.organization_id === (orgId === "default_organization" ? null : orgId))
    )
  if (q.sort_by !== undefined && TEAM_SORTABLE.includes(q.sort_by)) {
    const by = q.sort_by
    const dir = q.sort_order === "desc" ? -1 : 1
    rows = rows.sort((a, b) => dir * String(a[by] ?? "").localeCompare(String(b[by] ?? "")))
  }
  const page = q.page ?? 1
  const size = q.page_size ?? 10
  const result = paginate(rows, page, size)
  return ok({
    teams: result.items.map((t) => ({
      ...t,
      members_count: membersOf(t).length,
      keys_count: ctx.state.keys.values().filter((k) => k.team_id === t.team_id).length
    })),
    total: result.total,
    page,
    page_size: size,
    total_pages: result.totalPages
  })
}

/** `/team/list`: every team, unpaginated, sorted by alias, with keys and membership rows. */
export const teamListLegacy = (ctx: Ctx, query: URLSearchParams): SimResponse => {
  const userId = query.get("user_id")
  const rows = ctx.state.teams
    .entries()
    .filter(([, t]) => userId === null || membersOf(t).some((m) => m.user_id === userId))
    .sort(([, a], [, b]) => String(a.team_alias ?? "").localeCompare(String(b.team_alias ?? "")))
  return ok(
    rows.map(([id, t]) => ({
      ...teamView(ctx, id, t, true),
      team_memberships: membershipsOf(ctx, id),
      keys: ctx.state.keys.values().filter((k) => k.team_id === id)
    }))
  )
}

export const teamDelete = (ctx: Ctx, input: unknown): SimResponse => {
  const parsed = parse(TeamDeleteBody, input)
  if (!parsed.ok) return parsed.response
  const ids = parsed.value.team_ids
  // Every id must exist, or nothing is deleted: deleting twice is a 404.
  const missing = ids.find((id) => !ctx.state.teams.has(id))
  if (missing !== undefined) return teamNotFoundB(missing)
  for (const id of ids) {
    for (const [token, key] of ctx.state.keys.entries()) if (key.team_id === id) ctx.state.keys.delete(token)
    const team = ctx.state.teams.get(id)
    for (const member of team === undefined ? [] : membersOf(team)) {
      const userId = stringField(member, "user_id")
      if (userId !== undefined) removeTeamFromUser(ctx, userId, id)
    }
    for (const row of membershipsOf(ctx, id)) ctx.state.memberships.delete(membershipId(id, String(row.user_id)))
    ctx.state.modelAliases.delete(id)
    ctx.state.teams.delete(id)
  }
  return ok({ deleted_teams: ids })
}

export const teamBlock = (ctx: Ctx, input: unknown, blocked: boolean): SimResponse => {
  const parsed = parse(TeamIdBody, input)
  if (!parsed.ok) return parsed.response
  const row = ctx.state.teams.get(parsed.value.team_id)
  if (row === undefined) return teamNotFoundB(parsed.value.team_id)
  row.blocked = blocked
  row.updated_at = iso(ctx.now())
  return ok(teamView(ctx, parsed.value.team_id, row, false))
}

export const memberAdd = (ctx: Ctx, input: unknown): SimResponse => {
  const parsed = parse(MemberAddBody, input)
  if (!parsed.ok) return parsed.response
  const body = parsed.value
  const members: ReadonlyArray<Member> = Array.isArray(body.member) ? body.member : [body.member]
  if (members.some((m) => (m.user_id ?? null) === null && (m.user_email ?? null) === null))
    return shapeC("Value error, Either user_id or user_email must be provided", ["body", "member"])
  if (!ctx.profile.enterprise && members.some((m) => m.role === "admin"))
    return shapeB(400, {
      error: "Assigning team admins is a premium feature. You must be a LiteLLM Enterprise user to use this feature."
    })
  const team = ctx.state.teams.get(body.team_id)
  if (team === undefined)
    return ctx.profile.memberAddUnknownTeamStatus === 404
      ? shapeB(404, { error: `Team doesn't exist in db. Team=${body.team_id}` })
      : shapeA(500, `Team doesn't exist in db. Team=${body.team_id}`, "internal_server_error")
  const current = membersOf(team)
  const isDuplicate = (m: Member) =>
    current.some(
      (c) => (m.user_id != null && c.user_id === m.user_id) || (m.user_email != null && c.user_email === m.user_email)
    )
  const fresh = members.filter((m) => !isDuplicate(m))
  if (fresh.length === 0 && Array.isArray(body.member))
    // A list whose members are all in the team: the message lists the team's members as Python objects.
    return shapeA(
      400,
      `All users are already in team. Existing members=[${current.map(pyMember).join(", ")}]`,
      "team_member_already_in_team",
      "member"
    )
  if (fresh.length === 0) {
    const first = members[0]
    return shapeA(
      400,
      `User already in team. Member: user_id=${first?.user_id ?? null}, user_email=${first?.user_email ?? null}`,
      "team_member_already_in_team",
      "member"
    )
  }
  const added = addMembers(ctx, team, body.team_id, fresh, body.max_budget_in_team)
  if ("status" in added) return added
  team.updated_at = iso(ctx.now())
  return ok({
    ...teamView(ctx, body.team_id, team, false),
    updated_users: added.users,
    updated_team_memberships: added.memberships
  })
}

export const memberUpdate = (ctx: Ctx, input: unknown): SimResponse => {
  const parsed = parse(MemberUpdateBody, input)
  if (!parsed.ok) return parsed.response
  const body = parsed.value
  if (!ctx.profile.enterprise && body.role === "admin")
    return shapeB(
      400,
      "Assigning team admins is a premium feature. You must be a LiteLLM Enterprise user to use this feature."
    )
  const team = ctx.state.teams.get(body.team_id)
  if (team === undefined) return shapeB(400, { error: `Team id=${body.team_id} does not exist in db` })
  let userId = body.user_id ?? undefined
  if (userId === undefined) {
    const email = body.user_email ?? undefined
    const member = membersOf(team).find((m) => email !== undefined && m.user_email === email)
    userId = member === undefined ? undefined : stringField(member, "user_id")
    if (userId === undefined)
      return shapeB(400, { error: `User id doesn't exist in team table. Team=${body.team_id}, email=${email}` })
  }
  const id = userId
  // Each call links a new budget row with the values given; none given detaches the budget.
  const budget = present({
    max_budget: body.max_budget_in_team ?? undefined,
    tpm_limit: body.tpm_limit ?? undefined,
    rpm_limit: body.rpm_limit ?? undefined
  })
  const membership = membershipRow(ctx, body.team_id, id, Object.keys(budget).length === 0 ? null : budget)
  ctx.state.memberships.delete(membershipId(body.team_id, id))
  ctx.state.memberships.insert(membershipId(body.team_id, id), membership)
  if (body.role !== undefined && body.role !== null) {
    const role = body.role
    team.members_with_roles = membersOf(team).map((m) => (m.user_id === id ? { ...m, role } : m))
  }
  team.updated_at = iso(ctx.now())
  return ok({
    team_id: body.team_id,
    user_id: id,
    user_email: body.user_email ?? null,
    max_budget_in_team: body.max_budget_in_team ?? null,
    tpm_limit: body.tpm_limit ?? null,
    rpm_limit: body.rpm_limit ?? null
  })
}

export const memberDelete = (ctx: Ctx, input: unknown): SimResponse => {
  const parsed = parse(MemberDeleteBody, input)
  if (!parsed.ok) return parsed.response
  const body = parsed.value
  if ((body.user_id ?? null) === null && (body.user_email ?? null) === null)
    return shapeB(400, { error: "Either user_id or user_email needs to be passed in" })
  const team = ctx.state.teams.get(body.team_id)
  if (team === undefined) return shapeB(400, { error: `Team id=${body.team_id} does not exist in db` })
  const members = membersOf(team)
  const member = members.find(
    (m) =>
      (body.user_id != null && m.user_id === body.user_id) ||
      (body.user_email != null && m.user_email === body.user_email)
  )
  if (member === undefined) return shapeB(400, { error: "User not found in team" })
  const userId = stringField(member, "user_id")
  team.members_with_roles = members.filter((m) => m !== member)
  if (userId !== undefined) {
    removeTeamFromUser(ctx, userId, body.team_id)
    ctx.state.memberships.delete(membershipId(body.team_id, userId))
  }
  team.updated_at = iso(ctx.now())
  return ok(teamView(ctx, body.team_id, team, false))
}

export const permissionsUpdate = (ctx: Ctx, input: unknown): SimResponse => {
  const parsed = parse(PermissionsUpdateBody, input)
  if (!parsed.ok) return parsed.response
  const team = ctx.state.teams.get(parsed.value.team_id)
  if (team === undefined) return teamNotFoundB(parsed.value.team_id)
  team.team_member_permissions = [...parsed.value.team_member_permissions]
  team.updated_at = iso(ctx.now())
  return ok(teamView(ctx, parsed.value.team_id, team, false))
}
