/**
 * The contract suite: the client against the simulator, and the same tests
 * against a real LiteLLM when LITELLM_URL and LITELLM_MASTER_KEY are set.
 * Tests create objects with run-unique ids and delete them again, so a real
 * proxy can be shared. They assume no Enterprise license. The data-plane tests
 * call models: the simulator's, or on a real proxy the comma-separated
 * LITELLM_MODELS (at least two, answering without a provider, e.g. with
 * `mock_response`).
 */
import { createHash, randomBytes } from "node:crypto"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, layer, type Vitest } from "@effect/vitest"
import { type LiteLLMAction, membershipOf } from "@litellm-operator/core"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import { LiteLLMClient } from "../src/LiteLLMClient.ts"
import type { LiteLLMError } from "../src/LiteLLMError.ts"
import { latestProfile, Simulator } from "../src/simulator/Simulator.ts"
import { at, fastRetry, MASTER_KEY, masterKey, simulatorLayer, unique } from "./support/fixtures.ts"

/** Where the suite's client points, with which master key, and the models its data plane serves. */
class Target extends Context.Service<
  Target,
  { readonly url: string; readonly masterKey: string; readonly models: ReadonlyArray<string> }
>()("test/contract/Target") {}

interface Answer {
  readonly status: number
  readonly body: unknown
  readonly text: string
}

/** One raw request to the target with the given key as the credential. */
const call = Effect.fnUntraced(
  function* (
    key: string,
    method: "GET" | "POST",
    path: string,
    options: { readonly body?: unknown; readonly query?: Record<string, string> } = {}
  ) {
    const target = yield* Target
    const http = yield* HttpClient.HttpClient
    let request =
      method === "GET" ? HttpClientRequest.get(`${target.url}${path}`) : HttpClientRequest.post(`${target.url}${path}`)
    if (options.query !== undefined) request = HttpClientRequest.setUrlParams(request, options.query)
    if (options.body !== undefined) request = HttpClientRequest.bodyJsonUnsafe(request, options.body)
    const response = yield* http.execute(HttpClientRequest.setHeader(request, "authorization", `Bearer ${key}`))
    const text = yield* response.text
    let body: unknown = null
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
    return { status: response.status, body, text } satisfies Answer
  },
  Effect.provide(FetchHttpClient.layer),
  Effect.orDie
)

const errorMessage = (answer: Answer): string => String(at(answer.body, "error", "message") ?? answer.text)

const chat = (key: string, model: string) =>
  call(key, "POST", "/chat/completions", { body: { model, messages: [{ role: "user", content: "hi" }] } })

const listedModels = (answer: Answer): Array<string> => {
  const data = at(answer.body, "data")
  return Array.isArray(data) ? data.map((m) => String(at(m, "id"))).sort() : []
}

/** Two models of the target's data plane (the test fails clearly when the target names fewer). */
const twoModels = Effect.gen(function* () {
  const { models } = yield* Target
  const [first, second] = models
  if (first === undefined || second === undefined)
    return yield* Effect.die(new Error("the data-plane tests need two models (set LITELLM_MODELS)"))
  return [first, second] as const
})

const some = <A, E, R>(effect: Effect.Effect<Option.Option<A>, E, R>) =>
  Effect.flatMap(effect, (o) => (Option.isSome(o) ? Effect.succeed(o.value) : Effect.die("expected Some")))

const failure = <A, R>(effect: Effect.Effect<A, LiteLLMError, R>) => Effect.flip(effect)

const rawKey = () => `sk-contract-${randomBytes(12).toString("base64url")}`
const sha256 = (raw: string) => createHash("sha256").update(raw).digest("hex")

const contract = (it: Vitest.MethodsNonLive<LiteLLMClient | Target>) => {
  it.effect("readiness answers", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const ready = yield* client.readiness
      assert.isString(ready.status)
    })
  )

  it.effect("teams: create (twice), read, update, block, exact alias lookup, delete (twice)", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const teamId = unique("team")
      const alias = unique("alias")
      const create: LiteLLMAction = {
        _tag: "TeamCreate",
        teamId,
        fields: { team_alias: alias, max_budget: 10, metadata: { managed_by: "contract" } }
      }
      yield* client.execute(create)
      yield* client.execute(create)
      const team = yield* some(client.teamInfo(teamId))
      assert.strictEqual(team.team_alias, alias)
      assert.strictEqual(team.max_budget, 10)
      assert.deepStrictEqual(team.metadata?.managed_by, "contract")
      // The master key's caller is added as an admin of every team it creates.
      assert.isTrue((team.members_with_roles ?? []).some((m) => m.user_id === "default_user_id" && m.role === "admin"))

      const updated = yield* client.teamUpdate(teamId, { max_budget: null, metadata: { managed_by: "contract", n: 1 } })
      assert.isTrue(updated.max_budget === null || updated.max_budget === undefined)
      assert.deepStrictEqual(updated.metadata, { managed_by: "contract", n: 1 })
      assert.isTrue((yield* client.teamBlock(teamId)).blocked)
      assert.isFalse((yield* client.teamUnblock(teamId)).blocked)

      // Aliases are substring-matched by LiteLLM; the client keeps exact matches only.
      const other = unique("team")
      yield* client.teamNew(other, { team_alias: `${alias}-2` })
      const found = yield* client.teamList({ teamAlias: alias })
      assert.deepStrictEqual(
        found.map((t) => t.team_id),
        [teamId]
      )

      yield* client.execute({ _tag: "TeamDelete", teamId })
      yield* client.execute({ _tag: "TeamDelete", teamId })
      yield* client.teamDelete([other])
      assert.isTrue(Option.isNone(yield* client.teamInfo(teamId)))
      const gone = yield* failure(client.teamDelete([teamId]))
      assert.strictEqual(gone.reason._tag, "NotFound")
    })
  )

  it.effect("users: create (twice), read, update, exact email lookup, delete (twice)", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const userId = unique("user")
      const email = `${userId}@example.com`
      const create: LiteLLMAction = {
        _tag: "UserCreate",
        userId,
        fields: { user_email: email, user_role: "internal_user", max_budget: 20 }
      }
      yield* client.execute(create)
      yield* client.execute(create)
      const user = yield* some(client.userInfo(userId))
      assert.strictEqual(user.user_email, email)
      assert.strictEqual(user.max_budget, 20)

      const updated = yield* client.userUpdate(userId, { user_alias: "Contract User", max_budget: 5 })
      assert.strictEqual(updated.user_alias, "Contract User")
      assert.strictEqual(updated.max_budget, 5)

      const byEmail = yield* client.userList({ userEmail: email.toUpperCase() })
      assert.deepStrictEqual(
        byEmail.map((u) => u.user_id),
        [userId]
      )
      const byId = yield* client.userList({ userId })
      assert.deepStrictEqual(
        byId.map((u) => u.user_id),
        [userId]
      )
      const duplicate = yield* failure(client.userNew(userId, { user_email: `other-${email}` }))
      assert.strictEqual(duplicate.reason._tag, "AlreadyExists")

      yield* client.execute({ _tag: "UserDelete", userId })
      yield* client.execute({ _tag: "UserDelete", userId })
      assert.isTrue(Option.isNone(yield* client.userInfo(userId)))
    })
  )

  it.effect("keys: generate a custom key (twice), read by token, update, block, delete (twice)", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const raw = rawKey()
      const token = sha256(raw)
      const alias = unique("key")
      const generate: LiteLLMAction = {
        _tag: "KeyGenerate",
        key: Redacted.make(raw),
        token,
        fields: { key_alias: alias, max_budget: 5, duration: "1h", metadata: { owner: "contract" } }
      }
      yield* client.execute(generate)
      yield* client.execute(generate)
      const key = yield* some(client.keyInfo(token))
      assert.strictEqual(key.token, token)
      assert.strictEqual(key.key_alias, alias)
      assert.strictEqual(key.max_budget, 5)
      assert.strictEqual(key.key_name, `sk-...${raw.slice(-4)}`)
      assert.isString(key.expires)

      const listed = yield* client.keyList({ keyAlias: alias })
      assert.deepStrictEqual(
        listed.map((k) => k.token),
        [token]
      )

      // An explicit null clears a field on /key/update; a duration moves `expires`.
      const cleared = yield* client.keyUpdate(token, { max_budget: null })
      assert.isTrue(cleared.max_budget === null || cleared.max_budget === undefined)
      const later = yield* client.keyUpdate(token, { duration: "2d" })
      assert.isTrue(Date.parse(later.expires ?? "") > Date.parse(key.expires ?? ""))
      const never = yield* client.keyUpdate(token, { duration: null })
      assert.isTrue(never.expires === null || never.expires === undefined)

      assert.isTrue((yield* client.keyBlock(token)).blocked)
      assert.isFalse((yield* client.keyUnblock(token)).blocked)

      yield* client.execute({ _tag: "KeyDelete", token })
      yield* client.execute({ _tag: "KeyDelete", token })
      assert.isTrue(Option.isNone(yield* client.keyInfo(token)))
      assert.strictEqual((yield* failure(client.keyUpdate(token, { max_budget: 1 }))).reason._tag, "NotFound")
      assert.strictEqual((yield* failure(client.keyBlock(token))).reason._tag, "NotFound")
    })
  )

  it.effect("a duplicate key alias is AlreadyExists", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const alias = unique("dup")
      const first = rawKey()
      yield* client.keyGenerate(Redacted.make(first), { key_alias: alias })
      const error = yield* failure(client.keyGenerate(Redacted.make(rawKey()), { key_alias: alias }))
      assert.strictEqual(error.reason._tag, "AlreadyExists")
      assert.strictEqual(error.status, 400)
      yield* client.keyDelete([sha256(first)])
    })
  )

  it.effect("membership: add (twice), update the budget, remove (twice)", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const teamId = unique("team")
      const userId = unique("user")
      yield* client.teamNew(teamId)
      yield* client.userNew(userId)
      const add: LiteLLMAction = { _tag: "MemberAdd", teamId, userId, role: "user", maxBudgetInTeam: 3 }
      yield* client.execute(add)
      yield* client.execute(add)
      const team = yield* some(client.teamInfo(teamId))
      assert.deepStrictEqual(membershipOf(team, userId), { teamId, userId, role: "user", maxBudgetInTeam: 3 })

      yield* client.execute({ _tag: "MemberUpdate", teamId, userId, role: "user", maxBudgetInTeam: 4 })
      const afterUpdate = yield* some(client.teamInfo(teamId))
      assert.strictEqual(membershipOf(afterUpdate, userId)?.maxBudgetInTeam, 4)

      yield* client.execute({ _tag: "MemberRemove", teamId, userId })
      yield* client.execute({ _tag: "MemberRemove", teamId, userId })
      const afterRemove = yield* some(client.teamInfo(teamId))
      assert.isUndefined(membershipOf(afterRemove, userId))
      yield* client.teamDelete([teamId])
      yield* client.userDelete([userId])
    })
  )

  it.effect("whole lists say what reads by id say (list-based observation relies on it)", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const teamId = unique("team")
      const userId = unique("user")
      const raw = rawKey()
      yield* client.teamNew(teamId, { team_alias: unique("alias"), max_budget: 12, metadata: { a: 1 } })
      yield* client.userNew(userId, { user_email: `${userId}@example.com`, max_budget: 3 })
      yield* client.execute({ _tag: "MemberAdd", teamId, userId, role: "user", maxBudgetInTeam: 2 })
      yield* client.keyGenerate(Redacted.make(raw), { key_alias: unique("alias"), max_budget: 1, duration: "7d" })

      const team = yield* some(client.teamInfo(teamId))
      const listedTeam = (yield* client.teamListWithMemberships()).find((t) => t.team_id === teamId)
      assert.isDefined(listedTeam)
      for (const field of ["team_alias", "max_budget", "metadata", "models", "budget_duration", "blocked"] as const)
        assert.deepStrictEqual(listedTeam?.[field], team[field], `team ${field}`)
      assert.deepStrictEqual(listedTeam === undefined ? undefined : membershipOf(listedTeam, userId), {
        teamId,
        userId,
        role: "user",
        maxBudgetInTeam: 2
      })

      const user = yield* some(client.userInfo(userId))
      const listedUser = (yield* client.userList()).find((u) => u.user_id === userId)
      for (const field of ["user_email", "max_budget", "metadata", "models", "user_role", "budget_duration"] as const)
        assert.deepStrictEqual(listedUser?.[field], user[field], `user ${field}`)

      const key = yield* some(client.keyInfo(sha256(raw)))
      const listedKey = (yield* client.keyList()).find((k) => k.token === sha256(raw))
      for (const field of ["key_alias", "max_budget", "metadata", "models", "expires", "team_id", "user_id"] as const)
        assert.deepStrictEqual(listedKey?.[field], key[field], `key ${field}`)

      yield* client.keyDelete([sha256(raw)])
      yield* client.teamDelete([teamId])
      yield* client.userDelete([userId])
    })
  )

  it.effect("deleting a team deletes its keys", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const teamId = unique("team")
      const raw = rawKey()
      yield* client.teamNew(teamId)
      yield* client.keyGenerate(Redacted.make(raw), { team_id: teamId })
      assert.isTrue(Option.isSome(yield* client.keyInfo(sha256(raw))))
      yield* client.teamDelete([teamId])
      assert.isTrue(Option.isNone(yield* client.keyInfo(sha256(raw))))
    })
  )

  it.effect("unknown objects: reads are None, writes are NotFound", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const missing = unique("missing")
      assert.isTrue(Option.isNone(yield* client.teamInfo(missing)))
      assert.isTrue(Option.isNone(yield* client.userInfo(missing)))
      assert.isTrue(Option.isNone(yield* client.keyInfo(sha256(missing))))
      assert.strictEqual((yield* failure(client.teamUpdate(missing, { max_budget: 1 }))).reason._tag, "NotFound")
      assert.strictEqual((yield* failure(client.teamBlock(missing))).reason._tag, "NotFound")
      assert.strictEqual((yield* failure(client.userDelete([missing]))).reason._tag, "NotFound")
      assert.strictEqual((yield* failure(client.keyDelete([sha256(missing)]))).reason._tag, "NotFound")
      assert.strictEqual(
        (yield* failure(client.teamMemberAdd({ teamId: missing, userId: missing, role: "user" }))).reason._tag,
        "NotFound"
      )
    })
  )

  it.effect("enterprise-only features are Forbidden without a license", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const teamId = unique("team")
      const tags = yield* failure(client.teamNew(teamId, { tags: ["a"] }))
      assert.strictEqual(tags.reason._tag, "Forbidden")
      yield* client.teamNew(teamId)
      const admin = yield* failure(client.teamMemberAdd({ teamId, userId: unique("user"), role: "admin" }))
      assert.deepStrictEqual(admin.reason._tag === "Forbidden" && admin.reason.enterprise, true)
      yield* client.teamDelete([teamId])
    })
  )

  it.effect(
    "a virtual key authenticates: its own key, user and team are readable, others' are 403, admin routes 401",
    () =>
      Effect.gen(function* () {
        const client = yield* LiteLLMClient
        const teamId = unique("team")
        const otherTeam = unique("team")
        const userId = unique("user")
        const otherUser = unique("user")
        const raw = rawKey()
        const otherRaw = rawKey()
        yield* client.teamNew(teamId)
        yield* client.teamNew(otherTeam)
        yield* client.userNew(userId, { user_role: "internal_user" })
        yield* client.userNew(otherUser, { user_role: "internal_user" })
        yield* client.execute({ _tag: "MemberAdd", teamId, userId, role: "user" })
        yield* client.keyGenerate(Redacted.make(raw), { user_id: userId, team_id: teamId })
        yield* client.keyGenerate(Redacted.make(otherRaw), { user_id: otherUser })

        const own = yield* call(raw, "GET", "/key/info", { query: { key: raw } })
        assert.strictEqual(own.status, 200, own.text)
        assert.strictEqual(at(own.body, "info", "user_id"), userId)
        const other = yield* call(raw, "GET", "/key/info", { query: { key: otherRaw } })
        assert.strictEqual(other.status, 403, other.text)
        assert.include(errorMessage(other), "not allowed to access this key's info")

        assert.strictEqual((yield* call(raw, "GET", "/team/info", { query: { team_id: teamId } })).status, 200)
        assert.strictEqual((yield* call(raw, "GET", "/team/info", { query: { team_id: otherTeam } })).status, 403)
        assert.strictEqual((yield* call(raw, "GET", "/user/info", { query: { user_id: userId } })).status, 200)
        const otherUserInfo = yield* call(raw, "GET", "/user/info", { query: { user_id: otherUser } })
        assert.strictEqual(otherUserInfo.status, 403, otherUserInfo.text)
        assert.include(errorMessage(otherUserInfo), "not allowed to access this user's info")

        const admin = yield* call(raw, "POST", "/team/new", { body: { team_id: unique("team") } })
        assert.strictEqual(admin.status, 401, admin.text)
        assert.strictEqual(at(admin.body, "error", "type"), "auth_error")
        assert.include(
          errorMessage(admin),
          "Only proxy admin can be used to generate, delete, update info for new keys/users/teams. Route=/team/new. Your role=internal_user."
        )
        // A credential that is valid but not an admin is told apart from a wrong one by the message.
        assert.notInclude(errorMessage(admin), "Invalid proxy server token")
        assert.include(
          errorMessage(yield* call(rawKey(), "GET", "/team/info", { query: { team_id: teamId } })),
          "Invalid proxy server token"
        )

        yield* client.teamDelete([teamId, otherTeam])
        yield* client.userDelete([userId, otherUser])
      })
  )

  it.effect("a key of a proxy_admin user is an admin credential", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const target = yield* Target
      const adminId = unique("admin")
      const raw = rawKey()
      yield* client.userNew(adminId, { user_role: "proxy_admin" })
      yield* client.keyGenerate(Redacted.make(raw), { user_id: adminId })
      const asAdmin = yield* LiteLLMClient.make({ url: target.url, masterKey: Redacted.make(raw), retry: fastRetry })
      const teamId = unique("team")
      yield* asAdmin.teamNew(teamId, { team_alias: "made by an admin key" })
      const team = yield* some(asAdmin.teamInfo(teamId))
      assert.strictEqual(team.team_alias, "made by an admin key")
      yield* asAdmin.teamDelete([teamId])
      yield* client.userDelete([adminId])
    }).pipe(Effect.provide(NodeHttpClient.dispatcherLayerGlobal))
  )

  it.effect("blocked and expired keys and keys of blocked teams are refused", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const teamId = unique("team")
      const blocked = rawKey()
      const expiring = rawKey()
      const teamKey = rawKey()
      yield* client.teamNew(teamId)
      yield* client.keyGenerate(Redacted.make(blocked), {})
      yield* client.keyGenerate(Redacted.make(expiring), { duration: "1s" })
      yield* client.keyGenerate(Redacted.make(teamKey), { team_id: teamId })
      assert.strictEqual((yield* call(blocked, "GET", "/key/info")).status, 200)
      yield* client.keyBlock(sha256(blocked))
      const refused = yield* call(blocked, "GET", "/key/info")
      assert.strictEqual(refused.status, 401, refused.text)
      assert.include(errorMessage(refused), "Key is blocked. Update via `/key/unblock`")

      yield* Effect.sleep("1500 millis")
      const expired = yield* call(expiring, "GET", "/key/info")
      assert.include([400, 401], expired.status, expired.text)
      assert.include(errorMessage(expired), "Expired Key")

      assert.strictEqual((yield* call(teamKey, "GET", "/key/info")).status, 200)
      yield* client.teamBlock(teamId)
      const teamBlocked = yield* call(teamKey, "GET", "/key/info")
      assert.strictEqual(teamBlocked.status, 401, teamBlocked.text)
      assert.include(errorMessage(teamBlocked), `Team=${teamId} is blocked`)

      yield* client.keyDelete([sha256(blocked), sha256(expiring)])
      yield* client.teamDelete([teamId])
    })
  )

  it.effect("/user/info carries each team's membership rows with the member's budget", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const teamId = unique("team")
      const userId = unique("user")
      yield* client.teamNew(teamId)
      yield* client.userNew(userId)
      yield* client.execute({ _tag: "MemberAdd", teamId, userId, role: "user", maxBudgetInTeam: 3 })
      const info = yield* call((yield* Target).masterKey, "GET", "/user/info", { query: { user_id: userId } })
      const teams = at(info.body, "teams")
      const team = Array.isArray(teams) ? teams.find((t) => at(t, "team_id") === teamId) : undefined
      assert.isDefined(team, info.text)
      const memberships = at(team, "team_memberships")
      assert.isArray(memberships, info.text)
      const mine = Array.isArray(memberships) ? memberships.find((m) => at(m, "user_id") === userId) : undefined
      assert.strictEqual(at(mine, "litellm_budget_table", "max_budget"), 3)
      yield* client.teamDelete([teamId])
      yield* client.userDelete([userId])
    })
  )

  it.effect("status fields read from LiteLLM: /key/info joins a soft budget's row; /team/info has no model table", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const raw = rawKey()
      yield* client.keyGenerate(Redacted.make(raw), { soft_budget: 2 })
      const key = yield* client.keyInfo(sha256(raw))
      const row = Option.isSome(key) ? key.value : undefined
      const budget = row?.litellm_budget_table
      assert.isDefined(budget)
      assert.strictEqual(at(budget, "soft_budget"), 2)
      assert.strictEqual(at(budget, "budget_id"), row?.budget_id)
      for (const column of ["max_budget", "created_at", "created_by", "updated_at", "updated_by"])
        assert.isTrue(budget !== null && budget !== undefined && column in budget, column)
      // The model table is not joined by /team/info (litellm-api.md §5.3): status.liteLLMModelTable stays empty.
      const teamId = unique("team")
      yield* client.teamNew(teamId, { model_aliases: { fast: "gpt-4o-mini" } })
      const team = yield* client.teamInfo(teamId)
      assert.isTrue(Option.isSome(team))
      if (Option.isSome(team)) assert.isUndefined(team.value.litellm_model_table ?? undefined)
      yield* client.keyDelete([sha256(raw)])
      yield* client.teamDelete([teamId])
    })
  )

  it.effect("/key/regenerate is served: an Enterprise feature without a license", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const raw = rawKey()
      yield* client.keyGenerate(Redacted.make(raw), {})
      const answer = yield* call((yield* Target).masterKey, "POST", "/key/regenerate", { body: { key: raw } })
      assert.strictEqual(answer.status, 500, answer.text)
      assert.include(errorMessage(answer), "Regenerating Virtual Keys is an Enterprise feature")
      const byPath = yield* call((yield* Target).masterKey, "POST", `/key/${raw}/regenerate`, { body: {} })
      assert.strictEqual(byPath.status, 500, byPath.text)
      // The old key still works: nothing was rotated.
      assert.strictEqual((yield* call(raw, "GET", "/key/info")).status, 200)
      yield* client.keyDelete([sha256(raw)])
    })
  )

  it.effect("data plane: a key lists and calls exactly its models; budgets, blocks and deletion refuse it", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const [allowed, other] = yield* twoModels
      const raw = rawKey()
      const broke = rawKey()
      yield* client.keyGenerate(Redacted.make(raw), { models: [allowed] })
      yield* client.keyGenerate(Redacted.make(broke), { max_budget: 0 })

      assert.deepStrictEqual(listedModels(yield* call(raw, "GET", "/v1/models")), [allowed])
      const ok = yield* chat(raw, allowed)
      assert.strictEqual(ok.status, 200, ok.text)
      assert.isString(at(ok.body, "choices", 0, "message", "content"))
      const denied = yield* chat(raw, other)
      assert.strictEqual(denied.status, 403, denied.text)
      assert.strictEqual(at(denied.body, "error", "type"), "key_model_access_denied")
      assert.include(errorMessage(denied), `This key can only access models=['${allowed}']`)

      const overBudget = yield* chat(broke, allowed)
      assert.include([400, 429], overBudget.status, overBudget.text)
      assert.strictEqual(at(overBudget.body, "error", "type"), "budget_exceeded")

      yield* client.keyBlock(sha256(raw))
      assert.strictEqual((yield* chat(raw, allowed)).status, 401)
      yield* client.keyUnblock(sha256(raw))
      assert.strictEqual((yield* chat(raw, allowed)).status, 200)
      yield* client.keyDelete([sha256(raw), sha256(broke)])
      const gone = yield* chat(raw, allowed)
      assert.strictEqual(gone.status, 401, gone.text)
      assert.include(errorMessage(gone), "Invalid proxy server token")
    })
  )

  it.effect("data plane: team models bound team keys, and an empty list means every model", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const target = yield* Target
      const [allowed, other] = yield* twoModels
      const teamId = unique("team")
      const teamKey = rawKey()
      const free = rawKey()
      yield* client.teamNew(teamId, { models: [allowed] })
      yield* client.keyGenerate(Redacted.make(teamKey), { team_id: teamId })
      yield* client.keyGenerate(Redacted.make(free), {})
      assert.deepStrictEqual(listedModels(yield* call(teamKey, "GET", "/v1/models")), [allowed])
      assert.strictEqual((yield* chat(teamKey, allowed)).status, 200)
      const denied = yield* chat(teamKey, other)
      assert.include([401, 403], denied.status, denied.text)
      assert.strictEqual(at(denied.body, "error", "type"), "team_model_access_denied")
      assert.deepStrictEqual(listedModels(yield* call(free, "GET", "/v1/models")), [...target.models].sort())
      assert.strictEqual((yield* chat(free, other)).status, 200)
      yield* client.teamDelete([teamId])
      yield* client.keyDelete([sha256(free)])
    })
  )

  it.effect("data plane: rpm_limit refuses the request over the limit with a 429", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient
      const [allowed] = yield* twoModels
      const raw = rawKey()
      yield* client.keyGenerate(Redacted.make(raw), { rpm_limit: 1 })
      assert.strictEqual((yield* chat(raw, allowed)).status, 200)
      const limited = yield* chat(raw, allowed)
      assert.strictEqual(limited.status, 429, limited.text)
      yield* client.keyDelete([sha256(raw)])
    })
  )

  it.effect(
    "messages a client may read: all members already in the team, negative budgets, a key without sk-, a bad role, no team id",
    () =>
      Effect.gen(function* () {
        const client = yield* LiteLLMClient
        const master = (yield* Target).masterKey
        const teamId = unique("team")
        const userId = unique("user")
        yield* client.teamNew(teamId)
        yield* client.execute({ _tag: "MemberAdd", teamId, userId, role: "user" })
        const again = yield* call(master, "POST", "/team/member_add", {
          body: { team_id: teamId, member: [{ user_id: userId, role: "user" }] }
        })
        assert.strictEqual(again.status, 400, again.text)
        assert.include(errorMessage(again), "All users are already in team. Existing members=")

        const budget = yield* call(master, "POST", "/key/generate", { body: { max_budget: -1 } })
        assert.strictEqual(budget.status, 400, budget.text)
        assert.include(errorMessage(budget), "max_budget cannot be negative. Received: -1.0")
        const soft = yield* call(master, "POST", "/key/generate", { body: { soft_budget: -2 } })
        assert.strictEqual(soft.status, 400, soft.text)
        assert.include(errorMessage(soft), "soft_budget cannot be negative. Received: -2.0")

        const secret = `not-sk-${randomBytes(8).toString("hex")}`
        const format = yield* call(master, "POST", "/key/generate", { body: { key: secret } })
        assert.strictEqual(format.status, 400, format.text)
        assert.include(errorMessage(format), `must start with 'sk-'. Received: not-****${secret.slice(-4)}`)
        assert.notInclude(format.text, secret)

        const role = yield* call(master, "POST", "/user/new", { body: { user_id: unique("user"), user_role: "owner" } })
        assert.strictEqual(role.status, 422, role.text)
        assert.deepStrictEqual(at(role.body, "detail", 0, "loc"), ["body", "user_role"])

        const noTeam = yield* call(master, "GET", "/team/info")
        assert.strictEqual(noTeam.status, 422, noTeam.text)
        assert.include(errorMessage(noTeam), "No team id passed in")

        yield* client.teamDelete([teamId])
        yield* client.userDelete([userId])
      })
  )

  it.effect("a wrong master key is Unauthorized", () =>
    Effect.gen(function* () {
      const target = yield* Target
      const wrong = yield* LiteLLMClient.make({ url: target.url, masterKey: Redacted.make("sk-not-the-master-key") })
      const error = yield* failure(wrong.teamInfo("anything"))
      assert.strictEqual(error.reason._tag, "Unauthorized")
      assert.strictEqual(error.status, 401)
    }).pipe(Effect.provide(NodeHttpClient.dispatcherLayerGlobal))
  )
}

/**
 * What needs an Enterprise license: run against the simulator with one, and
 * against a real LiteLLM when LITELLM_ENTERPRISE=true says it has one.
 */
const enterpriseContract = (it: Vitest.MethodsNonLive<LiteLLMClient | Target>) => {
  it.effect(
    "model_max_budget: {model: {budget_limit}} without time_period is kept as sent, with one too; a bare number is Invalid",
    () =>
      Effect.gen(function* () {
        const client = yield* LiteLLMClient
        const raw = rawKey()
        const token = sha256(raw)
        // The operator's shape: no time_period (LiteLLM's BudgetConfig takes both fields as optional).
        const created = yield* client.keyGenerate(Redacted.make(raw), {
          key_alias: unique("key"),
          model_max_budget: { "gpt-4o": { budget_limit: 5 } }
        })
        assert.deepStrictEqual(created.model_max_budget, { "gpt-4o": { budget_limit: 5 } })
        const read = yield* some(client.keyInfo(token))
        assert.deepStrictEqual(read.model_max_budget, { "gpt-4o": { budget_limit: 5 } })
        const withPeriod = yield* client.keyUpdate(token, {
          model_max_budget: { "gpt-4o": { budget_limit: 2.5, time_period: "1d" } }
        })
        assert.deepStrictEqual(withPeriod.model_max_budget, { "gpt-4o": { budget_limit: 2.5, time_period: "1d" } })
        const bare = yield* failure(client.keyUpdate(token, { model_max_budget: { "gpt-4o": 5 } }))
        assert.strictEqual(bare.reason._tag, "Invalid")
        assert.include(bare.reason.message, "model_max_budget")
        yield* client.execute({ _tag: "KeyDelete", token })
      })
  )
}

/** The client and the target, on a simulator made with `options`. */
const simulatedWith = (options?: Parameters<typeof simulatorLayer>[0]) =>
  Layer.mergeAll(
    Layer.effect(
      LiteLLMClient,
      Effect.gen(function* () {
        const sim = yield* Simulator
        return yield* LiteLLMClient.make({ url: sim.url, masterKey, retry: fastRetry })
      })
    ),
    Layer.effect(
      Target,
      Effect.gen(function* () {
        const sim = yield* Simulator
        return { url: sim.url, masterKey: MASTER_KEY, models: latestProfile.models }
      })
    )
  ).pipe(Layer.provide([NodeHttpClient.dispatcherLayerGlobal, simulatorLayer(options)]))

layer(simulatedWith(), { excludeTestServices: true })("contract: simulator", contract)

layer(simulatedWith({ profile: { enterprise: true } }), { excludeTestServices: true })(
  "contract: simulator with a license",
  enterpriseContract
)

const realUrl = process.env.LITELLM_URL
const realKey = process.env.LITELLM_MASTER_KEY
if (realUrl !== undefined && realUrl !== "" && realKey !== undefined && realKey !== "") {
  const connection = { url: realUrl, masterKey: Redacted.make(realKey) }
  const models = (process.env.LITELLM_MODELS ?? "")
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "")
  layer(
    Layer.merge(LiteLLMClient.layer(connection), Layer.succeed(Target, { url: realUrl, masterKey: realKey, models })),
    { excludeTestServices: true }
  )("contract: real LiteLLM", contract)
  if (process.env.LITELLM_ENTERPRISE === "true")
    layer(
      Layer.merge(LiteLLMClient.layer(connection), Layer.succeed(Target, { url: realUrl, masterKey: realKey, models })),
      { excludeTestServices: true }
    )("contract: real LiteLLM with a license", enterpriseContract)
} else {
  const reason = "LITELLM_URL and LITELLM_MASTER_KEY are not set"
  console.log(`contract: real LiteLLM skipped: ${reason}`)
  describe.skip(`contract: real LiteLLM (skipped: ${reason})`, () => {})
}
