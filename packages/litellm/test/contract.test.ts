/**
 * The contract suite: the client against the simulator, and the same tests
 * against a real LiteLLM when LITELLM_URL and LITELLM_MASTER_KEY are set.
 * Tests create objects with run-unique ids and delete them again, so a real
 * proxy can be shared. They assume no Enterprise license and no models.
 */
import { createHash, randomBytes } from "node:crypto"
import { assert, describe, layer, type Vitest } from "@effect/vitest"
import { type LiteLLMAction, membershipOf } from "@litellm-operator/core"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { LiteLLMClient } from "../src/LiteLLMClient.ts"
import type { LiteLLMError } from "../src/LiteLLMError.ts"
import { Simulator } from "../src/Simulator.ts"
import { fastRetry, masterKey, simulatorLayer, unique } from "./support/fixtures.ts"

/** Where the suite's client points: enough to build a second client with a wrong key. */
class Target extends Context.Service<Target, { readonly url: string }>()("test/contract/Target") {}

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

  it.effect("a wrong master key is Unauthorized", () =>
    Effect.gen(function* () {
      const target = yield* Target
      const wrong = yield* LiteLLMClient.make({ url: target.url, masterKey: Redacted.make("sk-not-the-master-key") })
      const error = yield* failure(wrong.teamInfo("anything"))
      assert.strictEqual(error.reason._tag, "Unauthorized")
      assert.strictEqual(error.status, 401)
    }).pipe(Effect.provide(FetchHttpClient.layer))
  )
}

const simulated = Layer.mergeAll(
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
      return { url: sim.url }
    })
  )
).pipe(Layer.provide([FetchHttpClient.layer, simulatorLayer()]))

layer(simulated, { excludeTestServices: true })("contract: simulator", contract)

const realUrl = process.env.LITELLM_URL
const realKey = process.env.LITELLM_MASTER_KEY
if (realUrl !== undefined && realUrl !== "" && realKey !== undefined && realKey !== "") {
  const connection = { url: realUrl, masterKey: Redacted.make(realKey) }
  layer(Layer.merge(LiteLLMClient.layer(connection), Layer.succeed(Target, { url: realUrl })), {
    excludeTestServices: true
  })("contract: real LiteLLM", contract)
} else {
  const reason = "LITELLM_URL and LITELLM_MASTER_KEY are not set"
  console.log(`contract: real LiteLLM skipped: ${reason}`)
  describe.skip(`contract: real LiteLLM (skipped: ${reason})`, () => {})
}
