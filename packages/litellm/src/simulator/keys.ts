/**
 * Simulated key endpoints (litellm-api.md §7): generate, update, info, list,
 * delete, block/unblock. Tokens are sha256 of the raw key; the raw key is only
 * ever in the generate response.
 */
import { callerUserId } from "./Auth.ts"
import { budgetResetAt, expiresAt, parseDuration } from "./Durations.ts"
import { ok, type Parsed, parse, repr, type SimResponse, shapeA, shapeC } from "./Envelopes.ts"
import { rawKey } from "./Random.ts"
import {
  KeyDeleteBody,
  KeyGenerateBody,
  KeyListQuery,
  KeyRegenerateBody,
  KeySelectBody,
  KeyUpdateBody
} from "./Requests.ts"
import {
  type Ctx,
  iso,
  membersOf,
  objectField,
  paginate,
  present,
  type Row,
  sha256,
  stringField,
  tokenOf
} from "./State.ts"

/** Request fields LiteLLM stores inside `metadata` instead of columns (§4.4). */
export const KEY_METADATA_FIELDS = [
  "model_rpm_limit",
  "model_tpm_limit",
  "rpm_limit_type",
  "tpm_limit_type",
  "enforced_params",
  "tags",
  "guardrails",
  "policies",
  "prompts",
  "allowed_passthrough_routes"
] as const

const ENTERPRISE_FIELDS = ["tags", "guardrails", "policies", "prompts", "allowed_passthrough_routes"] as const

/** Fields of the request that are not written to the key row. */
const NOT_COLUMNS = new Set<string>([
  "key",
  "duration",
  "budget_duration",
  "metadata",
  "soft_budget",
  "send_invite_email",
  "key_type",
  "project_id",
  ...KEY_METADATA_FIELDS
])

const ROUTES_BY_TYPE: Readonly<Record<string, ReadonlyArray<string>>> = {
  llm_api: ["llm_api_routes"],
  management: ["management_routes"],
  read_only: ["info_routes"]
}

const isNonEmpty = (value: unknown): boolean =>
  value !== null &&
  value !== undefined &&
  !(Array.isArray(value) && value.length === 0) &&
  !(typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0)

const enterpriseField = (ctx: Ctx, body: Readonly<Record<string, unknown>>): string | undefined =>
  ctx.profile.enterprise ? undefined : ENTERPRISE_FIELDS.find((f) => isNonEmpty(body[f]))

const enterpriseMessage = (field: string) =>
  `This feature is only available for LiteLLM Enterprise users. ${field} is an Enterprise feature. Get a license at https://www.litellm.ai/enterprise`

/**
 * LiteLLM checks each `model_max_budget` entry as a budget config (with a license): an object whose
 * `budget_limit` (a number, or a numeric string it turns into one) and optional `time_period` are
 * kept as sent; anything else is "Invalid model_max_budget". The stored value, or why it is refused.
 */
const checkedModelMaxBudget = (
  value: Readonly<Record<string, unknown>>
): { readonly ok: true; readonly value: Row } | { readonly ok: false; readonly error: string } => {
  const stored: Row = {}
  for (const [model, entry] of Object.entries(value)) {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry))
      return { ok: false, error: `Invalid model_max_budget: the budget of ${model} is not an object` }
    const budget: Row = { ...entry }
    const limit = budget.budget_limit
    if (limit !== undefined && limit !== null) {
      const n = typeof limit === "number" ? limit : typeof limit === "string" ? Number(limit) : Number.NaN
      if (!Number.isFinite(n))
        return { ok: false, error: `Invalid model_max_budget: budget_limit of ${model} is not a number` }
      budget.budget_limit = n
    }
    const period = budget.time_period
    if (period !== undefined && period !== null && typeof period !== "string")
      return { ok: false, error: `Invalid model_max_budget: time_period of ${model} is not a string` }
    stored[model] = budget
  }
  return { ok: true, value: stored }
}

const aliasTaken = (ctx: Ctx, alias: string, except?: string): boolean =>
  ctx.state.keys.entries().some(([token, row]) => token !== except && row.key_alias === alias)

const aliasMessage = (alias: string) =>
  `Key with alias '${alias}' already exists. Unique key aliases across all keys are required.`

/** The metadata a write leaves: `metadata` replaces, metadata-backed fields merge into the result. */
const mergedMetadata = (current: Row, body: Readonly<Record<string, unknown>>): Row => {
  const sent = body.metadata
  const base: Row = sent !== undefined && sent !== null && typeof sent === "object" ? { ...sent } : { ...current }
  for (const field of KEY_METADATA_FIELDS) if (body[field] !== undefined) base[field] = body[field]
  return base
}

/** The key row as `/key/info` shows it (without `token`) or as list/update/block show it (with). */
export const keyView = (row: Row, withToken: boolean): Row => {
  if (withToken) return { ...row }
  const { token: _token, ...rest } = row
  return rest
}

const keyName = (raw: string) => `sk-...${raw.slice(-4)}`

/** Python prints floats with a decimal point: -1 → "-1.0". */
export const pyFloat = (n: number) => (Number.isInteger(n) ? `${n}.0` : String(n))

const generateResponse = (row: Row, raw: string, softBudget: unknown): Row => {
  const { budget_reset_at: _reset, ...fields } = row
  return {
    ...fields,
    key: raw,
    token_id: row.token,
    soft_budget: softBudget ?? null,
    tags: null,
    guardrails: null,
    duration: null,
    model_rpm_limit: null,
    model_tpm_limit: null
  }
}

export const keyGenerate = (ctx: Ctx, input: unknown): SimResponse => {
  const parsed = parse(KeyGenerateBody, input)
  if (!parsed.ok) return parsed.response
  const body: KeyGenerateBody = parsed.value
  const enterprise = enterpriseField(ctx, body)
  if (enterprise !== undefined) return shapeA(403, enterpriseMessage(enterprise), "auth_error")
  if (!ctx.profile.enterprise && isNonEmpty(body.model_max_budget))
    return shapeA(500, enterpriseMessage("model_max_budget"), "internal_server_error")
  const modelBudgets = checkedModelMaxBudget(body.model_max_budget ?? {})
  if (!modelBudgets.ok) return shapeA(500, modelBudgets.error, "internal_server_error")
  // One message per field, with the value received (a Python float).
  for (const field of ["max_budget", "soft_budget"] as const) {
    const value = body[field]
    if (value !== undefined && value !== null && value < 0)
      return shapeA(
        400,
        repr("error", `${field} cannot be negative. Received: ${pyFloat(value)}`),
        "internal_server_error"
      )
  }
  // The alias check runs before the key format check (§16.11).
  if (body.key_alias !== undefined && body.key_alias !== null && aliasTaken(ctx, body.key_alias))
    return shapeA(400, aliasMessage(body.key_alias), "bad_request_error", "key_alias")
  const custom = body.key ?? undefined
  if (custom !== undefined && !custom.startsWith("sk-")) {
    // The key is shown masked: its first and last four characters.
    const masked = custom.length > 8 ? `${custom.slice(0, 4)}****${custom.slice(-4)}` : "****"
    return shapeA(
      400,
      repr("error", `Invalid key format. LiteLLM Virtual Key must start with 'sk-'. Received: ${masked}`),
      "internal_server_error"
    )
  }
  const raw = custom ?? rawKey(ctx.rng)
  const token = sha256(raw)
  const now = ctx.now()
  const existing = ctx.state.keys.get(token)
  if (existing !== undefined) {
    if (ctx.profile.repeatedCustomKey === "reject") return shapeA(400, "Key already exists", "bad_request_error", "key")
    // 2025 builds: a silent no-op that echoes the request; the stored row is unchanged.
    return ok({ ...present(body), key: raw, token, token_id: token, key_name: keyName(raw) })
  }
  let expires: string | null = null
  if (body.duration !== undefined && body.duration !== null) {
    const duration = parseDuration(body.duration)
    if (!duration.ok) return shapeA(500, duration.error, "internal_server_error")
    expires = iso(expiresAt(now, duration.value).getTime())
  }
  let resetAt: string | null = null
  if (body.budget_duration !== undefined && body.budget_duration !== null) {
    const reset = budgetResetAt(now, body.budget_duration)
    if (!reset.ok) return shapeA(500, reset.error, "internal_server_error")
    resetAt = iso(reset.value.getTime())
  }
  let rotationAt: string | null = null
  if (body.rotation_interval !== undefined && body.rotation_interval !== null) {
    const interval = parseDuration(body.rotation_interval)
    if (!interval.ok) return shapeA(500, interval.error, "internal_server_error")
    rotationAt = iso(expiresAt(now, interval.value).getTime())
  }
  const columns = Object.fromEntries(Object.entries(present(body)).filter(([name]) => !NOT_COLUMNS.has(name)))
  const budgetId = body.soft_budget !== undefined && body.soft_budget !== null ? `budget-${token.slice(0, 12)}` : null
  const row: Row = {
    token,
    key_name: keyName(raw),
    key_alias: null,
    spend: 0,
    max_budget: null,
    expires,
    models: [],
    aliases: {},
    config: {},
    user_id: null,
    team_id: null,
    organization_id: null,
    permissions: {},
    max_parallel_requests: null,
    blocked: null,
    tpm_limit: null,
    rpm_limit: null,
    budget_id: null,
    allowed_cache_controls: [],
    allowed_routes:
      body.key_type !== undefined && body.key_type !== null ? [...(ROUTES_BY_TYPE[body.key_type] ?? [])] : [],
    soft_budget_cooldown: false,
    model_spend: {},
    object_permission_id: null,
    auto_rotate: false,
    rotation_interval: null,
    rotation_count: 0,
    last_rotation_at: null,
    key_rotation_at: rotationAt,
    last_active: null,
    litellm_budget_table: null,
    ...columns,
    model_max_budget: modelBudgets.value,
    budget_duration: body.budget_duration ?? null,
    budget_reset_at: resetAt,
    metadata: mergedMetadata({}, body),
    created_at: iso(now),
    updated_at: iso(now),
    created_by: callerUserId(ctx.caller),
    updated_by: callerUserId(ctx.caller)
  }
  if (budgetId !== null) {
    // A soft budget lives in a budget row that the key links to (it overrides a passed budget_id).
    row.budget_id = budgetId
    // The row LiteLLM makes holds only the soft budget; /key/info joins the whole row.
    row.litellm_budget_table = {
      budget_id: budgetId,
      max_budget: null,
      soft_budget: body.soft_budget,
      max_parallel_requests: null,
      tpm_limit: null,
      rpm_limit: null,
      model_max_budget: null,
      budget_duration: null,
      budget_reset_at: null,
      created_at: iso(now),
      created_by: callerUserId(ctx.caller),
      updated_at: iso(now),
      updated_by: callerUserId(ctx.caller)
    }
  }
  ctx.state.keys.insert(token, row)
  return ok(generateResponse(row, raw, body.soft_budget))
}

/** The 401 (before ~1.82) or 404 an unknown key gets on update/block/unblock. */
const unknownKey = (ctx: Ctx, endpoint: "update" | "block", sent: string): SimResponse => {
  if (ctx.profile.unknownKeyStatus === 404) return shapeA(404, `Key not found: ${sent}`, "auth_error", "key")
  return endpoint === "update"
    ? shapeA(
        401,
        `Authentication Error: invalid user key - user key does not exist in db. User Key=${sent}`,
        "auth_error"
      )
    : shapeA(
        401,
        "Authentication Error, Invalid proxy server token passed. Unable to find token in cache or `LiteLLM_VerificationTokenTable`",
        "auth_error"
      )
}

export const keyUpdate = (ctx: Ctx, input: unknown): SimResponse => {
  const parsed = parse(KeyUpdateBody, input)
  if (!parsed.ok) return parsed.response
  const body = parsed.value
  const token = tokenOf(body.key)
  const row = ctx.state.keys.get(token)
  if (row === undefined) return unknownKey(ctx, "update", body.key)
  const enterprise = enterpriseField(ctx, body)
  if (enterprise !== undefined) return shapeA(403, enterpriseMessage(enterprise), "auth_error")
  if (!ctx.profile.enterprise && isNonEmpty(body.model_max_budget))
    return shapeA(400, `Authentication Error, ${enterpriseMessage("model_max_budget")}`, "auth_error")
  const modelBudgets =
    body.model_max_budget === undefined || body.model_max_budget === null
      ? undefined
      : checkedModelMaxBudget(body.model_max_budget)
  if (modelBudgets !== undefined && !modelBudgets.ok)
    return shapeA(400, `Authentication Error, ${modelBudgets.error}`, "auth_error")
  if (body.max_budget !== undefined && body.max_budget !== null && body.max_budget < 0)
    return shapeA(
      400,
      repr("error", `max_budget cannot be negative. Received: ${pyFloat(body.max_budget)}`),
      "auth_error"
    )
  if (body.key_alias !== undefined && body.key_alias !== null && aliasTaken(ctx, body.key_alias, token))
    return shapeA(400, aliasMessage(body.key_alias), "auth_error", "key_alias")
  if (body.team_id !== undefined && body.team_id !== null && body.team_id !== row.team_id) {
    // Any team move needs a model router (§16.6), an existing team, and the key's user as a member.
    if (!ctx.profile.router)
      return shapeA(400, "LLM router not found. Please set it up by passing in a valid config.yaml", "auth_error")
    const team = ctx.state.teams.get(body.team_id)
    if (team === undefined) return shapeA(404, `Team not found, passed team_id=${body.team_id}`, "auth_error")
    const owner = stringField(row, "user_id")
    if (owner !== undefined && !membersOf(team).some((m) => m.user_id === owner))
      return shapeA(403, `User ${owner} is not a member of team ${body.team_id}`, "auth_error")
  }
  const now = ctx.now()
  const changes: Row = {}
  if (body.duration !== undefined) {
    if (body.duration === null || body.duration === "-1") changes.expires = null
    else {
      const duration = parseDuration(body.duration)
      if (!duration.ok) return shapeA(400, `Authentication Error, ${duration.error}`, "auth_error")
      changes.expires = iso(expiresAt(now, duration.value).getTime())
    }
  }
  // `budget_duration: null` is ignored on /key/update: it cannot be cleared.
  if (body.budget_duration !== undefined && body.budget_duration !== null) {
    const reset = budgetResetAt(now, body.budget_duration)
    if (!reset.ok) return shapeA(400, `Authentication Error, ${reset.error}`, "auth_error")
    changes.budget_duration = body.budget_duration
    changes.budget_reset_at = iso(reset.value.getTime())
  }
  if (body.rotation_interval !== undefined && body.rotation_interval !== null) {
    const interval = parseDuration(body.rotation_interval)
    if (!interval.ok) return shapeA(400, `Authentication Error, ${interval.error}`, "auth_error")
    changes.key_rotation_at = iso(expiresAt(now, interval.value).getTime())
  }
  for (const [name, value] of Object.entries(present(body))) if (!NOT_COLUMNS.has(name)) changes[name] = value
  if (modelBudgets?.ok === true) changes.model_max_budget = modelBudgets.value
  Object.assign(row, changes, {
    metadata: mergedMetadata(objectField(row, "metadata"), body),
    updated_at: iso(now),
    updated_by: callerUserId(ctx.caller)
  })
  return ok({ key: body.key, ...keyView(row, true) })
}

export const keyInfo = (ctx: Ctx, query: URLSearchParams): SimResponse => {
  // A virtual key asking without `key` reads itself.
  const sent = query.get("key") ?? (ctx.caller._tag === "Key" ? ctx.caller.token : null)
  const row = sent === null ? undefined : ctx.state.keys.get(tokenOf(sent))
  if (sent === null || row === undefined) return shapeA(404, "Key not found in database", "not_found_error", "key")
  return ok({ key: sent, info: keyView(row, false) })
}

const SORTABLE = ["spend", "max_budget", "created_at", "updated_at", "token", "key_alias"]

export const keyList = (ctx: Ctx, query: URLSearchParams): SimResponse => {
  const parsed: Parsed<typeof KeyListQuery.Type> = parse(KeyListQuery, Object.fromEntries(query))
  if (!parsed.ok) return parsed.response
  const q = parsed.value
  if (q.sort_by !== undefined && !SORTABLE.includes(q.sort_by))
    return shapeA(400, `Invalid sort_by: ${q.sort_by}. Must be one of ${SORTABLE.join(", ")}`, "internal_server_error")
  const page = q.page ?? 1
  const size = q.size ?? 10
  let rows = ctx.state.keys
    .values()
    .filter(
      (k) =>
        k.team_id !== "litellm-dashboard" &&
        (q.user_id === undefined || k.user_id === q.user_id) &&
        (q.team_id === undefined || k.team_id === q.team_id) &&
        (q.key_alias === undefined || k.key_alias === q.key_alias) &&
        (q.key_hash === undefined || k.token === tokenOf(q.key_hash))
    )
  // Default: created_at desc, then token desc.
  const sortBy = q.sort_by ?? "created_at"
  const desc = (q.sort_order ?? "desc") !== "asc"
  rows = rows.sort((a, b) => {
    const x = a[sortBy] ?? ""
    const y = b[sortBy] ?? ""
    const primary = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))
    const order = primary !== 0 ? primary : String(a.token).localeCompare(String(b.token))
    return desc ? -order : order
  })
  const result = paginate(rows, page, size)
  const full = q.return_full_object === "true"
  return ok({
    keys: result.items.map((k) => (full ? keyView(k, true) : k.token)),
    total_count: result.total,
    current_page: page,
    total_pages: result.totalPages
  })
}

export const keyDelete = (ctx: Ctx, input: unknown): SimResponse => {
  const parsed = parse(KeyDeleteBody, input)
  if (!parsed.ok) return parsed.response
  const { keys, key_aliases } = parsed.value
  if ((keys === undefined || keys === null) && (key_aliases === undefined || key_aliases === null))
    return shapeC("Value error, Either keys or key_aliases must be provided")
  const tokens = new Set<string>()
  for (const key of keys ?? []) if (ctx.state.keys.has(tokenOf(key))) tokens.add(tokenOf(key))
  for (const alias of key_aliases ?? [])
    for (const [token, row] of ctx.state.keys.entries()) if (row.key_alias === alias) tokens.add(token)
  if (tokens.size === 0)
    return ctx.profile.keyDeleteMissingStatus === 404
      ? shapeA(404, repr("error", "No keys found"), "internal_server_error")
      : shapeA(
          400,
          "Not all keys passed in were deleted. This probably means you don't have access to delete all the keys passed in.",
          "internal_server_error"
        )
  for (const token of tokens) ctx.state.keys.delete(token)
  return ok({ deleted_keys: [...(keys ?? []), ...(key_aliases ?? [])] })
}

const KEY_FORMAT = /^(sk-[A-Za-z0-9_-]+|[0-9a-f]{64})$/

export const keyBlock = (ctx: Ctx, input: unknown, blocked: boolean): SimResponse => {
  const parsed = parse(KeySelectBody, input)
  if (!parsed.ok) return parsed.response
  const sent = parsed.value.key
  if (sent.length < 3 || sent.length > 100 || !KEY_FORMAT.test(sent))
    return shapeA(400, "Invalid key format.", "bad_request_error", "key")
  const row = ctx.state.keys.get(tokenOf(sent))
  if (row === undefined) return unknownKey(ctx, "block", sent)
  row.blocked = blocked
  row.updated_at = iso(ctx.now())
  return ok(keyView(row, true))
}

const REGENERATE_ENTERPRISE =
  "Regenerating Virtual Keys is an Enterprise feature, 💸 This feature is only available for LiteLLM Enterprise users. Get a license at https://www.litellm.ai/enterprise"

/**
 * `/key/regenerate` and `/key/{key}/regenerate` (§7.6): Enterprise-only; the
 * row keeps its settings, spend and alias under a new secret, update fields
 * sent along are applied like `/key/update`, and the old secret stops working
 * at once (a grace period is not simulated).
 */
export const keyRegenerate = (ctx: Ctx, input: unknown, pathKey: string | undefined): SimResponse => {
  const parsed = parse(KeyRegenerateBody, input ?? {})
  if (!parsed.ok) return parsed.response
  const { new_key, grace_period: _grace, key: bodyKey, ...fields } = parsed.value
  const sent = pathKey ?? bodyKey ?? undefined
  if (sent === undefined) return shapeA(400, "No key passed in.", "bad_request_error", "key")
  if (!ctx.profile.enterprise) return shapeA(500, REGENERATE_ENTERPRISE, "internal_server_error")
  // The looser rule of §2: a value containing "sk" anywhere is a raw key.
  const token = sent.includes("sk") ? sha256(sent) : sent
  const row = ctx.state.keys.get(token)
  if (row === undefined) return shapeA(404, repr("error", `Key ${sent} not found.`), "internal_server_error")
  if (new_key !== undefined && new_key !== null && !new_key.startsWith("sk-"))
    return shapeA(400, "New key must start with 'sk-'.", "bad_request_error", "new_key")
  if (Object.keys(fields).length > 0) {
    const updated = keyUpdate(ctx, { ...fields, key: token })
    if (updated.status !== 200) return updated
  }
  const raw = new_key ?? rawKey(ctx.rng)
  const newToken = sha256(raw)
  if (ctx.state.keys.has(newToken)) return shapeA(400, "Key already exists", "bad_request_error", "new_key")
  const now = iso(ctx.now())
  ctx.state.keys.delete(token)
  Object.assign(row, {
    token: newToken,
    key_name: keyName(raw),
    rotation_count: (typeof row.rotation_count === "number" ? row.rotation_count : 0) + 1,
    last_rotation_at: now,
    updated_at: now,
    updated_by: callerUserId(ctx.caller)
  })
  ctx.state.keys.insert(newToken, row)
  return ok({ ...row, key: raw, token_id: newToken, token: null })
}
