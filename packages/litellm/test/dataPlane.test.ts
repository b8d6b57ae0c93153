/**
 * What only the simulator can show about keys: spend recorded per request,
 * budgets at every level and their resets under the simulator's clock, model
 * aliases and the special model names, and /key/regenerate with a license.
 * (What a real LiteLLM can show too is in the contract suite.)
 */
import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type Profile, Simulator } from "../src/simulator/Simulator.ts"
import { at, simulatorLayer, wire } from "./support/fixtures.ts"

const sha256 = (raw: string) => createHash("sha256").update(raw).digest("hex")
const withSim = (profile: Partial<Profile> = {}) => Effect.provide(simulatorLayer({ seed: 3, profile }))
const admin = (path: string, body: unknown) => wire("POST", path, { body })
const chat = (key: string, model: string) =>
  wire("POST", "/v1/chat/completions", { auth: `Bearer ${key}`, body: { model, messages: [] } })
const listed = (key: string) =>
  wire("GET", "/models", { auth: `Bearer ${key}` }).pipe(
    Effect.map((a) => {
      const data = at(a.body, "data")
      return Array.isArray(data) ? data.map((m) => String(at(m, "id"))).sort() : []
    })
  )
const keyRow = (token: string) =>
  Effect.map(
    Simulator.use((sim) => sim.snapshot),
    (s) => s.keys.find((k) => k.token === token)
  )

describe("simulator: data plane", () => {
  it.effect("each request records the fixed spend on the key, its team, its user and the membership", () =>
    Effect.gen(function* () {
      yield* admin("/team/new", { team_id: "t" })
      yield* admin("/user/new", { user_id: "u", auto_create_key: false })
      yield* admin("/team/member_add", { team_id: "t", member: { user_id: "u", role: "user" }, max_budget_in_team: 10 })
      yield* admin("/key/generate", { key: "sk-spender", team_id: "t", user_id: "u" })
      for (let i = 0; i < 3; i++) assert.strictEqual((yield* chat("sk-spender", "gpt-4o")).status, 200)
      const snap = yield* Simulator.use((sim) => sim.snapshot)
      assert.strictEqual(snap.keys.find((k) => k.token === sha256("sk-spender"))?.spend, 0.75)
      assert.strictEqual(snap.teams.find((t) => t.team_id === "t")?.spend, 0.75)
      assert.strictEqual(snap.users.find((u) => u.user_id === "u")?.spend, 0.75)
      assert.strictEqual(snap.memberships.find((m) => m.user_id === "u")?.spend, 0.75)
    }).pipe(withSim({ spendPerRequest: 0.25 }))
  )

  it.effect("budgets refuse once spend reaches them: key, team, personal user, team member", () =>
    Effect.gen(function* () {
      yield* admin("/key/generate", { key: "sk-key-budget", max_budget: 1 })
      assert.strictEqual((yield* chat("sk-key-budget", "gpt-4o")).status, 200)
      const key = yield* chat("sk-key-budget", "gpt-4o")
      assert.strictEqual(key.status, 400, key.text)
      assert.strictEqual(
        at(key.body, "error", "message"),
        "Budget has been exceeded! Current cost: 1.0, Max budget: 1.0"
      )

      yield* admin("/team/new", { team_id: "poor", max_budget: 1 })
      yield* admin("/key/generate", { key: "sk-team-budget", team_id: "poor" })
      yield* chat("sk-team-budget", "gpt-4o")
      assert.include(
        String(at((yield* chat("sk-team-budget", "gpt-4o")).body, "error", "message")),
        "Team=poor over budget"
      )

      yield* admin("/user/new", { user_id: "thrifty", max_budget: 1, auto_create_key: false })
      yield* admin("/key/generate", { key: "sk-user-budget", user_id: "thrifty" })
      yield* chat("sk-user-budget", "gpt-4o")
      assert.include(
        String(at((yield* chat("sk-user-budget", "gpt-4o")).body, "error", "message")),
        "ExceededBudget: User=thrifty over budget"
      )

      yield* admin("/team/new", { team_id: "rich" })
      yield* admin("/team/member_add", {
        team_id: "rich",
        member: { user_id: "member", role: "user" },
        max_budget_in_team: 1
      })
      yield* admin("/key/generate", { key: "sk-member-budget", team_id: "rich", user_id: "member" })
      yield* chat("sk-member-budget", "gpt-4o")
      const member = yield* chat("sk-member-budget", "gpt-4o")
      assert.strictEqual(at(member.body, "error", "type"), "budget_exceeded")
      assert.include(String(at(member.body, "error", "message")), "User=member in Team=rich")
    }).pipe(withSim({ spendPerRequest: 1 }))
  )

  it.effect("budget_duration resets spend when the simulator's clock passes budget_reset_at", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator
      yield* sim.setTime(Date.parse("2026-03-10T10:00:00Z"))
      yield* admin("/key/generate", { key: "sk-daily", max_budget: 1, budget_duration: "1d" })
      assert.strictEqual((yield* chat("sk-daily", "gpt-4o")).status, 200)
      assert.strictEqual((yield* chat("sk-daily", "gpt-4o")).status, 400)
      yield* sim.setTime(Date.parse("2026-03-10T23:59:59Z"))
      assert.strictEqual((yield* chat("sk-daily", "gpt-4o")).status, 400)
      yield* sim.setTime(Date.parse("2026-03-11T00:00:00Z"))
      assert.strictEqual((yield* chat("sk-daily", "gpt-4o")).status, 200)
      const row = yield* keyRow(sha256("sk-daily"))
      assert.strictEqual(row?.budget_reset_at, "2026-03-12T00:00:00.000Z")
      assert.strictEqual(row?.spend, 1)
    }).pipe(withSim({ spendPerRequest: 1 }))
  )

  it.effect("rpm_limit counts per minute of the simulator's clock and says when to retry", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator
      yield* sim.setTime(Date.parse("2026-03-10T10:00:50Z"))
      yield* admin("/key/generate", { key: "sk-slow", rpm_limit: 2 })
      assert.strictEqual((yield* chat("sk-slow", "gpt-4o")).status, 200)
      assert.strictEqual((yield* chat("sk-slow", "gpt-4o")).status, 200)
      const limited = yield* chat("sk-slow", "gpt-4o")
      assert.strictEqual(limited.status, 429)
      assert.strictEqual(limited.headers["retry-after"], "10")
      yield* sim.setTime(Date.parse("2026-03-10T10:01:00Z"))
      assert.strictEqual((yield* chat("sk-slow", "gpt-4o")).status, 200)
    }).pipe(withSim())
  )

  it.effect("special model names and aliases: all-team-models, no-default-models, key and team aliases", () =>
    Effect.gen(function* () {
      yield* admin("/team/new", { team_id: "t", models: ["gpt-4o-mini"], model_aliases: { small: "gpt-4o-mini" } })
      yield* admin("/key/generate", { key: "sk-team-models", team_id: "t", models: ["all-team-models"] })
      assert.deepStrictEqual(yield* listed("sk-team-models"), ["gpt-4o-mini", "small"])
      assert.strictEqual((yield* chat("sk-team-models", "small")).status, 200)
      // The key's own check comes first, with all-team-models expanded to the team's list.
      assert.strictEqual((yield* chat("sk-team-models", "gpt-4o")).status, 403)

      yield* admin("/user/new", { user_id: "teamonly", models: ["no-default-models"], auto_create_key: false })
      yield* admin("/key/generate", { key: "sk-no-default", user_id: "teamonly" })
      assert.deepStrictEqual(yield* listed("sk-no-default"), [])
      const denied = yield* chat("sk-no-default", "gpt-4o")
      assert.strictEqual(denied.status, 401)
      assert.include(String(at(denied.body, "error", "message")), "No default model access")

      yield* admin("/key/generate", { key: "sk-aliased", models: ["gpt-4o"], aliases: { best: "gpt-4o" } })
      assert.deepStrictEqual(yield* listed("sk-aliased"), ["best", "gpt-4o"])
      const answer = yield* chat("sk-aliased", "best")
      assert.strictEqual(answer.status, 200)
      assert.strictEqual(at(answer.body, "model"), "best")
      const unknown = yield* chat("sk-aliased", "gpt-5")
      assert.strictEqual(unknown.status, 403)
    }).pipe(withSim())
  )

  it.effect("a model the proxy does not serve is a 400 for a key that may use every model", () =>
    Effect.gen(function* () {
      yield* admin("/key/generate", { key: "sk-anything" })
      const answer = yield* chat("sk-anything", "no-such-model")
      assert.strictEqual(answer.status, 400, answer.text)
      assert.include(String(at(answer.body, "error", "message")), "Invalid model name passed in model=no-such-model")
    }).pipe(withSim())
  )

  it.effect("/key/regenerate with a license: same row and settings under a new secret; the old one stops working", () =>
    Effect.gen(function* () {
      yield* admin("/key/generate", { key: "sk-old-secret", key_alias: "rotating", max_budget: 7, models: ["gpt-4o"] })
      const answer = yield* admin("/key/sk-old-secret/regenerate", { new_key: "sk-new-secret", max_budget: 8 })
      assert.strictEqual(answer.status, 200, answer.text)
      assert.strictEqual(at(answer.body, "key"), "sk-new-secret")
      assert.strictEqual(at(answer.body, "token_id"), sha256("sk-new-secret"))
      assert.isNull(at(answer.body, "token"))
      assert.strictEqual(at(answer.body, "key_alias"), "rotating")
      assert.strictEqual(at(answer.body, "max_budget"), 8)
      assert.strictEqual(at(answer.body, "rotation_count"), 1)
      assert.strictEqual((yield* chat("sk-new-secret", "gpt-4o")).status, 200)
      assert.strictEqual((yield* chat("sk-old-secret", "gpt-4o")).status, 401)
      const generated = yield* admin("/key/regenerate", { key: sha256("sk-new-secret") })
      assert.strictEqual(generated.status, 200, generated.text)
      assert.match(String(at(generated.body, "key")), /^sk-/)
      assert.strictEqual((yield* admin("/key/regenerate", { key: "sk-never-made" })).status, 404)
      assert.strictEqual((yield* admin("/key/regenerate", {})).status, 400)
    }).pipe(withSim({ enterprise: true }))
  )

  it.effect("a non-admin key reads itself without naming itself, and may not regenerate or list", () =>
    Effect.gen(function* () {
      yield* admin("/user/new", { user_id: "self-service", user_role: "internal_user", auto_create_key: false })
      yield* admin("/key/generate", { key: "sk-self", user_id: "self-service" })
      const info = yield* wire("GET", "/key/info", { auth: "Bearer sk-self" })
      assert.strictEqual(info.status, 200, info.text)
      assert.strictEqual(at(info.body, "info", "user_id"), "self-service")
      const user = yield* wire("GET", "/user/info", { auth: "Bearer sk-self" })
      assert.strictEqual(at(user.body, "user_id"), "self-service")
      for (const [method, path] of [
        ["POST", "/key/sk-self/regenerate"],
        ["GET", "/key/list"],
        ["POST", "/key/update"]
      ] as const) {
        const refused = yield* wire(method, path, {
          auth: "Bearer sk-self",
          ...(method === "POST" ? { body: { key: "sk-self" } } : {})
        })
        assert.strictEqual(refused.status, 401, `${path}: ${refused.text}`)
        assert.include(
          String(at(refused.body, "error", "message")),
          "Your role=internal_user. Your user_id=self-s****ce"
        )
      }
      // A hash is not a credential.
      assert.strictEqual((yield* wire("GET", "/key/info", { auth: `Bearer ${sha256("sk-self")}` })).status, 401)
    }).pipe(withSim({ enterprise: true }))
  )
})
