/**
 * The simulated data plane (SIMULATOR.md §3): `/v1/models` lists what a key
 * may use, `/chat/completions` answers a fixed reply and records a fixed
 * spend, enforcing what the key, its team, its user and the membership say —
 * allowed models, budgets, `rpm_limit` — with budgets reset by
 * `budget_duration` on the simulator's clock. Blocked and expired keys and
 * blocked teams never get here (Auth.ts).
 */
import { Predicate, Schema } from "effect"
import type { Caller } from "./Auth.ts"
import { budgetResetAt } from "./Durations.ts"
import { ok, parse, type SimResponse, shapeA } from "./Envelopes.ts"
import { pyFloat } from "./keys.ts"
import { type Ctx, iso, membershipId, objectField, type Row, stringArray, stringField } from "./State.ts"

const ALL_PROXY_MODELS = "all-proxy-models"
const ALL_TEAM_MODELS = "all-team-models"
const NO_DEFAULT_MODELS = "no-default-models"

/** A set of model names, or no restriction. */
type Allowed = "all" | ReadonlySet<string>

const allows = (allowed: Allowed, ...names: ReadonlyArray<string>) =>
  allowed === "all" || names.some((n) => allowed.has(n))

/** Python's repr of a list of strings, as LiteLLM's messages print model lists. */
const pyList = (items: ReadonlyArray<string>) => `[${items.map((i) => `'${i}'`).join(", ")}]`

const numberField = (row: Row, name: string): number | undefined => {
  const value = row[name]
  return typeof value === "number" ? value : undefined
}

/** A team's models: `[]` or `all-proxy-models` is every model. */
const teamAllowed = (team: Row): Allowed => {
  const models = stringArray(team, "models")
  return models.length === 0 || models.includes(ALL_PROXY_MODELS) ? "all" : new Set(models)
}

/** A key's own list: `[]` is no key-level restriction; `all-team-models` is the team's list. */
const keyAllowed = (key: Row, team: Row | undefined): Allowed => {
  const models = stringArray(key, "models")
  if (models.length === 0 || models.includes(ALL_PROXY_MODELS)) return "all"
  const names = new Set(models.filter((m) => m !== ALL_TEAM_MODELS))
  if (!models.includes(ALL_TEAM_MODELS)) return names
  const fromTeam = team === undefined ? "all" : teamAllowed(team)
  return fromTeam === "all" ? "all" : new Set([...names, ...fromTeam])
}

/** A user's models, checked for personal keys only: `[]` is all, `no-default-models` is none. */
const userAllowed = (user: Row | undefined): Allowed => {
  if (user === undefined) return "all"
  const models = stringArray(user, "models")
  if (models.includes(NO_DEFAULT_MODELS)) return new Set()
  return models.length === 0 || models.includes(ALL_PROXY_MODELS) ? "all" : new Set(models)
}

interface KeyContext {
  readonly key: Row
  readonly token: string
  readonly team: Row | undefined
  readonly user: Row | undefined
  /** Alias → model, the key's `aliases` over the team's `model_aliases`. */
  readonly aliases: Readonly<Record<string, string>>
}

const keyContext = (ctx: Ctx, caller: Extract<Caller, { _tag: "Key" }>): KeyContext => {
  const teamId = stringField(caller.key, "team_id")
  const team = teamId === undefined ? undefined : ctx.state.teams.get(teamId)
  const teamAliases = teamId === undefined ? {} : (ctx.state.modelAliases.get(teamId) ?? {})
  const keyAliases = Object.fromEntries(
    Object.entries(objectField(caller.key, "aliases")).filter((e): e is [string, string] => Predicate.isString(e[1]))
  )
  return { key: caller.key, token: caller.token, team, user: caller.user, aliases: { ...teamAliases, ...keyAliases } }
}

type Access = { readonly ok: true; readonly model: string } | { readonly ok: false; readonly response: SimResponse }

/** Whether the key may call `requested` (a model or an alias), and the model it resolves to. */
const access = (k: KeyContext, requested: string): Access => {
  const target = k.aliases[requested] ?? requested
  if (!allows(keyAllowed(k.key, k.team), requested, target))
    return {
      ok: false,
      response: shapeA(
        403,
        `key not allowed to access model. This key can only access models=${pyList(stringArray(k.key, "models"))}. Tried to access ${requested}`,
        "key_model_access_denied",
        "model"
      )
    }
  if (k.team !== undefined && !allows(teamAllowed(k.team), requested, target))
    return {
      ok: false,
      response: shapeA(
        401,
        `Team not allowed to access model. Team=${String(k.team.team_id)}, Model=${requested}. Allowed team models = ${pyList(stringArray(k.team, "models"))}`,
        "team_model_access_denied",
        "model"
      )
    }
  if (k.team === undefined && !allows(userAllowed(k.user), requested, target)) {
    const models = k.user === undefined ? [] : stringArray(k.user, "models")
    return {
      ok: false,
      response: shapeA(
        401,
        models.includes(NO_DEFAULT_MODELS)
          ? `User not allowed to access model. No default model access, only team models allowed. Tried to access ${requested}`
          : `User not allowed to access model. User=${String(k.user?.user_id)}, Model=${requested}. Allowed user models = ${pyList(models)}`,
        "key_model_access_denied",
        "model"
      )
    }
  }
  return { ok: true, model: target }
}

/** Model names the key may use, aliases included: what `/v1/models` lists. */
const usableModels = (ctx: Ctx, k: KeyContext): Array<string> => {
  const names = [...ctx.profile.models, ...Object.keys(k.aliases)]
  return [...new Set(names)].filter((name) => {
    const result = access(k, name)
    return result.ok && ctx.profile.models.includes(result.model)
  })
}

/** The budget job: spend back to 0 and the next reset computed, for every row whose reset time has come. */
export const resetDueBudgets = (ctx: Ctx): void => {
  const now = ctx.now()
  for (const table of [ctx.state.keys, ctx.state.teams, ctx.state.users])
    for (const row of table.values()) {
      const at = stringField(row, "budget_reset_at")
      const duration = stringField(row, "budget_duration")
      if (at === undefined || duration === undefined || Date.parse(at) > now) continue
      const next = budgetResetAt(now, duration)
      row.spend = 0
      row.budget_reset_at = next.ok ? iso(next.value.getTime()) : null
    }
}

const budgetExceeded = (message: string) => shapeA(400, message, "budget_exceeded", null)

/** The budgets in LiteLLM's order: key, team, personal user, team member. `spend >= max_budget` refuses. */
const budgetCheck = (ctx: Ctx, k: KeyContext): SimResponse | undefined => {
  const over = (row: Row) => {
    const max = numberField(row, "max_budget")
    const spend = numberField(row, "spend") ?? 0
    return max !== undefined && spend >= max ? { spend, max } : undefined
  }
  const key = over(k.key)
  if (key !== undefined)
    return budgetExceeded(
      `Budget has been exceeded! Current cost: ${pyFloat(key.spend)}, Max budget: ${pyFloat(key.max)}`
    )
  const team = k.team === undefined ? undefined : over(k.team)
  if (team !== undefined)
    return budgetExceeded(
      `Team=${String(k.team?.team_id)} over budget. Spend=${pyFloat(team.spend)}, Budget=${pyFloat(team.max)}`
    )
  const user = k.team === undefined && k.user !== undefined ? over(k.user) : undefined
  if (user !== undefined)
    return budgetExceeded(
      `ExceededBudget: User=${String(k.user?.user_id)} over budget. Spend=${pyFloat(user.spend)}, Budget=${pyFloat(user.max)}`
    )
  const membership = memberRow(ctx, k)
  const budget = membership === undefined ? {} : objectField(membership, "litellm_budget_table")
  const memberMax = numberField(budget, "max_budget")
  const memberSpend = membership === undefined ? 0 : (numberField(membership, "spend") ?? 0)
  if (memberMax !== undefined && memberSpend >= memberMax)
    return budgetExceeded(
      `Budget has been exceeded! User=${String(k.user?.user_id)} in Team=${String(k.team?.team_id)} Current cost: ${pyFloat(memberSpend)}, Max budget: ${pyFloat(memberMax)}`
    )
  return undefined
}

const memberRow = (ctx: Ctx, k: KeyContext): Row | undefined => {
  const teamId = k.team === undefined ? undefined : stringField(k.team, "team_id")
  const userId = stringField(k.key, "user_id")
  return teamId === undefined || userId === undefined
    ? undefined
    : ctx.state.memberships.get(membershipId(teamId, userId))
}

/** Requests per minute of the clock, per key and per team; the limit refuses with a 429 and `retry-after`. */
const rateCheck = (ctx: Ctx, k: KeyContext): SimResponse | undefined => {
  const now = ctx.now()
  const minute = Math.floor(now / 60_000)
  const limited: Array<[string, string, number | undefined]> = [
    [`key:${k.token}`, `api_key: ${k.token}`, numberField(k.key, "rpm_limit")],
    ...(k.team === undefined
      ? []
      : [
          [
            `team:${String(k.team.team_id)}`,
            `team_id: ${String(k.team.team_id)}`,
            numberField(k.team, "rpm_limit")
          ] as [string, string, number | undefined]
        ])
  ]
  for (const [counter, descriptor, limit] of limited) {
    if (limit === undefined) continue
    const seen = ctx.state.requestsThisMinute.get(counter)
    const count = seen === undefined || seen.minute !== minute ? 0 : seen.count
    if (count >= limit) {
      const retryAfter = Math.max(1, Math.ceil(((minute + 1) * 60_000 - now) / 1000))
      return {
        ...shapeA(
          429,
          `Rate limit exceeded for ${descriptor}. Limit type: requests. Current limit: ${limit}, Remaining: 0`,
          "throttling_error",
          null
        ),
        headers: { "retry-after": String(retryAfter) }
      }
    }
  }
  for (const [counter] of limited) {
    const seen = ctx.state.requestsThisMinute.get(counter)
    if (seen === undefined || seen.minute !== minute) ctx.state.requestsThisMinute.set(counter, { minute, count: 1 })
    else seen.count++
  }
  return undefined
}

const addSpend = (row: Row | undefined, cost: number) => {
  if (row !== undefined) row.spend = (numberField(row, "spend") ?? 0) + cost
}

const invalidModel = (model: string) =>
  shapeA(
    400,
    `Invalid model name passed in model=${model}. Call \`/v1/models\` to view available models for your key.`,
    "invalid_request_error",
    "model"
  )

const ChatBody = Schema.Struct({ model: Schema.String, messages: Schema.optionalKey(Schema.Array(Schema.Unknown)) })

const REPLY = "Hello from the LiteLLM simulator."

export const models = (ctx: Ctx): SimResponse => {
  const names = ctx.caller._tag === "Key" ? usableModels(ctx, keyContext(ctx, ctx.caller)) : [...ctx.profile.models]
  return ok({
    object: "list",
    data: names.map((id) => ({ id, object: "model", created: 1677610602, owned_by: "openai" }))
  })
}

export const chatCompletions = (ctx: Ctx, input: unknown): SimResponse => {
  const parsed = parse(ChatBody, input)
  if (!parsed.ok) return parsed.response
  const requested = parsed.value.model
  let model = requested
  let k: KeyContext | undefined
  if (ctx.caller._tag === "Key") {
    k = keyContext(ctx, ctx.caller)
    const allowed = access(k, requested)
    if (!allowed.ok) return allowed.response
    model = allowed.model
    const budget = budgetCheck(ctx, k)
    if (budget !== undefined) return budget
  }
  if (!ctx.profile.models.includes(model)) return invalidModel(requested)
  if (k !== undefined) {
    const limited = rateCheck(ctx, k)
    if (limited !== undefined) return limited
    const cost = ctx.profile.spendPerRequest
    addSpend(k.key, cost)
    addSpend(k.team, cost)
    addSpend(k.user, cost)
    addSpend(memberRow(ctx, k), cost)
    k.key.last_active = iso(ctx.now())
  }
  return {
    status: 200,
    headers: { "x-litellm-response-cost": String(ctx.profile.spendPerRequest) },
    body: {
      id: `chatcmpl-sim-${ctx.now().toString(36)}`,
      object: "chat.completion",
      created: Math.floor(ctx.now() / 1000),
      model: requested,
      choices: [{ index: 0, message: { role: "assistant", content: REPLY }, finish_reason: "stop" }],
      usage: { prompt_tokens: 8, completion_tokens: 7, total_tokens: 15 }
    }
  }
}
