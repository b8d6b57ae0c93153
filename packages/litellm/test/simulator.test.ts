/**
 * The simulator's wire behaviour, checked at the HTTP level against
 * litellm-api.md: envelopes, statuses, server-computed fields, uniqueness,
 * cascades, pagination, null and metadata semantics, version profiles, faults.
 */
import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { legacyProfile, type Profile, Simulator } from "../src/simulator/Simulator.ts"
import { at, MASTER_KEY, simulatorLayer, type WireAnswer, wire } from "./support/fixtures.ts"

const sha256 = (raw: string) => createHash("sha256").update(raw).digest("hex")

const size = (value: unknown): number => (Array.isArray(value) ? value.length : -1)

const withSim = (profile: Partial<Profile> = {}, seed = 7) => Effect.provide(simulatorLayer({ seed, profile }))

const post = (path: string, body: unknown) => wire("POST", path, { body })
const get = (path: string, query: Record<string, string> = {}) => wire("GET", path, { query })

/** Asserts the OpenAI-style envelope: string code, the given status. */
const assertShapeA = (answer: WireAnswer, status: number, messagePart?: string) => {
  assert.strictEqual(answer.status, status, answer.text)
  assert.strictEqual(at(answer.body, "error", "code"), String(status))
  const message = at(answer.body, "error", "message")
  assert.isString(message)
  if (messagePart !== undefined) assert.include(String(message), messagePart)
}

/** Asserts FastAPI's `{detail: ...}` with a string or object detail. */
const assertShapeB = (answer: WireAnswer, status: number, messagePart: string) => {
  assert.strictEqual(answer.status, status, answer.text)
  const detail = at(answer.body, "detail")
  assert.include(typeof detail === "string" ? detail : JSON.stringify(detail), messagePart)
}

const assertShapeC = (answer: WireAnswer) => {
  assert.strictEqual(answer.status, 422, answer.text)
  assert.isArray(at(answer.body, "detail"))
  assert.isString(at(answer.body, "detail", 0, "msg"))
}

describe("simulator: auth and health", () => {
  it.effect("master key required: missing, malformed and wrong keys are 401 shape A", () =>
    Effect.gen(function* () {
      assertShapeA(yield* wire("GET", "/team/info", { auth: false }), 401, "No api key passed in")
      assertShapeA(yield* wire("GET", "/team/info", { auth: MASTER_KEY }), 401, "Malformed API Key")
      assertShapeA(yield* wire("GET", "/team/info", { auth: "Bearer sk-wrong" }), 401, "Invalid proxy server token")
      assert.strictEqual(
        (yield* wire("GET", "/team/info", { auth: `bearer ${MASTER_KEY}`, query: { team_id: "x" } })).status,
        404
      )
    }).pipe(withSim())
  )

  it.effect("health routes need no key; readiness follows the profile", () =>
    Effect.gen(function* () {
      const live = yield* wire("GET", "/health/liveliness", { auth: false })
      assert.strictEqual(live.body, "I'm alive!")
      const ready = yield* wire("GET", "/health/readiness", { auth: false })
      assert.strictEqual(at(ready.body, "status"), "connected")
      const sim = yield* Simulator
      yield* sim.setProfile({ readiness: "shutting_down" })
      const draining = yield* wire("GET", "/health/readiness", { auth: false })
      assert.strictEqual(draining.status, 503)
      assert.strictEqual(at(draining.body, "status"), "shutting_down")
    }).pipe(withSim())
  )
})

describe("simulator: keys", () => {
  it.effect("key_alias is unique across keys, on generate and on update (excluding the key itself)", () =>
    Effect.gen(function* () {
      const a = yield* post("/key/generate", { key_alias: "svc-a" })
      assert.strictEqual(a.status, 200)
      const dup = yield* post("/key/generate", { key_alias: "svc-a" })
      assertShapeA(dup, 400, "Key with alias 'svc-a' already exists")
      assert.strictEqual(at(dup.body, "error", "param"), "key_alias")
      const b = yield* post("/key/generate", { key_alias: "svc-b" })
      assertShapeA(yield* post("/key/update", { key: at(b.body, "token"), key_alias: "svc-a" }), 400, "already exists")
      assert.strictEqual((yield* post("/key/update", { key: at(a.body, "token"), key_alias: "svc-a" })).status, 200)
    }).pipe(withSim())
  )

  it.effect("a custom key is accepted, stored only as its sha256 token, and must start with sk-", () =>
    Effect.gen(function* () {
      const raw = "sk-custom-Ab3dEf9hIj"
      const created = yield* post("/key/generate", { key: raw, max_budget: 3 })
      assert.strictEqual(at(created.body, "key"), raw)
      assert.strictEqual(at(created.body, "token"), sha256(raw))
      assert.strictEqual(at(created.body, "key_name"), "sk-...9hIj")
      const sim = yield* Simulator
      const snapshot = yield* sim.snapshot
      assert.deepStrictEqual(
        snapshot.keys.map((k) => k.token),
        [sha256(raw)]
      )
      assert.notInclude(JSON.stringify(snapshot), raw)
      // Both the raw key and its token select the key.
      assert.strictEqual(at((yield* get("/key/info", { key: raw })).body, "info", "max_budget"), 3)
      assert.strictEqual(at((yield* get("/key/info", { key: sha256(raw) })).body, "info", "max_budget"), 3)
      assertShapeA(yield* post("/key/generate", { key: "not-a-key" }), 400, "must start with 'sk-'")
    }).pipe(withSim())
  )

  it.effect("the raw key is returned once, by generate, and by nothing after", () =>
    Effect.gen(function* () {
      yield* post("/team/new", { team_id: "t1" })
      yield* post("/user/new", { user_id: "u1", auto_create_key: false })
      const created = yield* post("/key/generate", { team_id: "t1", user_id: "u1" })
      const raw = String(at(created.body, "key"))
      const token = String(at(created.body, "token"))
      assert.match(raw, /^sk-[A-Za-z0-9_-]{22}$/)
      const later = [
        yield* get("/key/info", { key: token }),
        yield* get("/key/list", { return_full_object: "true" }),
        yield* post("/key/update", { key: token, max_budget: 1 }),
        yield* post("/key/block", { key: token }),
        yield* get("/team/info", { team_id: "t1" }),
        yield* get("/user/info", { user_id: "u1" }),
        yield* get("/team/list")
      ]
      for (const answer of later) {
        assert.strictEqual(answer.status, 200, answer.text)
        assert.notInclude(answer.text, raw)
      }
      assert.isUndefined(at(later[0]?.body, "info", "token"))
    }).pipe(withSim())
  )

  it.effect("a repeated custom key: 400 'Key already exists' now, a silent 200 no-op in 2025 builds", () =>
    Effect.gen(function* () {
      const raw = "sk-repeat-0123456789"
      yield* post("/key/generate", { key: raw, max_budget: 1 })
      assertShapeA(yield* post("/key/generate", { key: raw, max_budget: 2 }), 400, "Key already exists")
      const sim = yield* Simulator
      yield* sim.setProfile({ repeatedCustomKey: "ignore" })
      assert.strictEqual((yield* post("/key/generate", { key: raw, max_budget: 2 })).status, 200)
      assert.strictEqual(at((yield* get("/key/info", { key: raw })).body, "info", "max_budget"), 1)
    }).pipe(withSim())
  )

  it.effect("explicit null clears a field on /key/update; budget_duration null is ignored", () =>
    Effect.gen(function* () {
      yield* post("/team/new", { team_id: "t1" })
      const created = yield* post("/key/generate", {
        team_id: "t1",
        max_budget: 5,
        budget_duration: "1d",
        tpm_limit: 9
      })
      const token = at(created.body, "token")
      const updated = yield* post("/key/update", { key: token, max_budget: null, team_id: null, budget_duration: null })
      assert.strictEqual(updated.status, 200, updated.text)
      assert.isNull(at(updated.body, "max_budget"))
      assert.isNull(at(updated.body, "team_id"))
      assert.strictEqual(at(updated.body, "budget_duration"), "1d")
      assert.strictEqual(at(updated.body, "tpm_limit"), 9)
    }).pipe(withSim())
  )

  it.effect("expires is now + duration exactly; duration on update resets it; null and -1 clear it", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator
      const t0 = Date.parse("2026-03-10T13:20:00.000Z")
      yield* sim.setTime(t0)
      const created = yield* post("/key/generate", { duration: "1h", budget_duration: "1d" })
      assert.strictEqual(at(created.body, "expires"), "2026-03-10T14:20:00.000Z")
      const token = at(created.body, "token")
      assert.strictEqual(
        at((yield* get("/key/info", { key: String(token) })).body, "info", "budget_reset_at"),
        "2026-03-11T00:00:00.000Z"
      )
      yield* sim.setTime(t0 + 60_000)
      const moved = yield* post("/key/update", { key: token, duration: "2d" })
      assert.strictEqual(at(moved.body, "expires"), "2026-03-12T13:21:00.000Z")
      assert.isNull(at((yield* post("/key/update", { key: token, duration: null })).body, "expires"))
      yield* post("/key/update", { key: token, duration: "30m" })
      assert.isNull(at((yield* post("/key/update", { key: token, duration: "-1" })).body, "expires"))
      assertShapeA(yield* post("/key/generate", { duration: "-1" }), 500, "Invalid duration format")
      assertShapeA(yield* post("/key/generate", { duration: "30" }), 500, "Unsupported duration unit")
      assertShapeA(yield* post("/key/update", { key: token, duration: "abc" }), 400, "Invalid duration format")
    }).pipe(withSim())
  )

  it.effect("/key/update: metadata replaces; metadata-backed fields alone merge into it", () =>
    Effect.gen(function* () {
      const created = yield* post("/key/generate", { metadata: { a: 1, b: 2 } })
      const token = at(created.body, "token")
      const merged = yield* post("/key/update", { key: token, model_rpm_limit: { m: 5 } })
      assert.deepStrictEqual(at(merged.body, "metadata"), { a: 1, b: 2, model_rpm_limit: { m: 5 } })
      const replaced = yield* post("/key/update", { key: token, metadata: { c: 3 } })
      assert.deepStrictEqual(at(replaced.body, "metadata"), { c: 3 })
      const cleared = yield* post("/key/update", { key: token, metadata: {} })
      assert.deepStrictEqual(at(cleared.body, "metadata"), {})
    }).pipe(withSim())
  )

  it.effect("enterprise fields: 403 without a license, stored in metadata with one", () =>
    Effect.gen(function* () {
      assertShapeA(yield* post("/key/generate", { tags: ["x"] }), 403, "Enterprise")
      const sim = yield* Simulator
      yield* sim.setProfile({ enterprise: true })
      const created = yield* post("/key/generate", { tags: ["x"] })
      assert.deepStrictEqual(at(created.body, "metadata", "tags"), ["x"])
    }).pipe(withSim())
  )

  it.effect("unknown keys: 404 now; 401 on update/block/unblock in builds before ~1.82", () =>
    Effect.gen(function* () {
      const token = sha256("sk-missing")
      assertShapeA(yield* get("/key/info", { key: token }), 404, "Key not found")
      assertShapeA(yield* post("/key/update", { key: token, max_budget: 1 }), 404)
      assertShapeA(yield* post("/key/block", { key: token }), 404)
      assertShapeA(yield* post("/key/delete", { keys: [token] }), 404, "No keys found")
      assertShapeA(yield* post("/key/block", { key: "bad key!" }), 400, "Invalid key format")
      const sim = yield* Simulator
      yield* sim.setProfile(legacyProfile)
      assertShapeA(yield* post("/key/update", { key: token, max_budget: 1 }), 401, "does not exist in db")
      assertShapeA(yield* post("/key/unblock", { key: token }), 401, "Invalid proxy server token")
    }).pipe(withSim())
  )

  it.effect("/key/delete is not idempotent, and deletes the existing ones of a mixed list", () =>
    Effect.gen(function* () {
      const created = yield* post("/key/generate", {})
      const token = String(at(created.body, "token"))
      const mixed = yield* post("/key/delete", { keys: [token, sha256("sk-other")] })
      assert.deepStrictEqual(at(mixed.body, "deleted_keys"), [token, sha256("sk-other")])
      assertShapeA(yield* post("/key/delete", { keys: [token] }), 404)
      assertShapeC(yield* post("/key/delete", {}))
    }).pipe(withSim())
  )
})

describe("simulator: teams", () => {
  it.effect("/team/new: duplicate id is 400 shape A (a repr), default_user_id becomes admin", () =>
    Effect.gen(function* () {
      const created = yield* post("/team/new", {
        team_id: "t1",
        members_with_roles: [{ user_id: "u1", role: "user" }],
        budget_duration: "1mo"
      })
      assert.deepStrictEqual(at(created.body, "members_with_roles"), [
        { user_id: "u1", user_email: null, role: "user" },
        { user_id: "default_user_id", user_email: null, role: "admin" }
      ])
      assertShapeA(yield* post("/team/new", { team_id: "t1" }), 400, "{'error': 'Team id = t1 already exists.")
      const user = yield* get("/user/info", { user_id: "u1" })
      assert.deepStrictEqual(at(user.body, "user_info", "teams"), ["t1"])
      assertShapeC(yield* post("/team/new", { members_with_roles: [{ user_id: "u2", role: "owner" }] }))
      const sim = yield* Simulator
      yield* sim.setProfile({ teamNewEchoesMembers: false })
      assert.deepStrictEqual(at((yield* post("/team/new", { team_id: "t2" })).body, "members_with_roles"), [])
    }).pipe(withSim())
  )

  it.effect("/team/update: metadata replaces; metadata-backed fields without it wipe the rest (§4.4)", () =>
    Effect.gen(function* () {
      yield* post("/team/new", { team_id: "t1", metadata: { managed_by: "op", keep: true } })
      const wiped = yield* post("/team/update", { team_id: "t1", model_rpm_limit: { m: 1 } })
      assert.deepStrictEqual(at(wiped.body, "data", "metadata"), { model_rpm_limit: { m: 1 } })
      const full = yield* post("/team/update", {
        team_id: "t1",
        metadata: { managed_by: "op" },
        model_rpm_limit: { m: 2 }
      })
      assert.deepStrictEqual(at(full.body, "data", "metadata"), { managed_by: "op", model_rpm_limit: { m: 2 } })
      const nulls = yield* post("/team/update", { team_id: "t1", max_budget: null, team_alias: "A" })
      assert.isNull(at(nulls.body, "data", "max_budget"))
      assert.deepStrictEqual(at(nulls.body, "data", "metadata"), { managed_by: "op", model_rpm_limit: { m: 2 } })
      assertShapeB(yield* post("/team/update", { team_id: "nope" }), 404, "Team not found, passed team_id=nope")
    }).pipe(withSim())
  )

  it.effect("unknown teams: info 404 shape A, update/delete/block 404 shape B", () =>
    Effect.gen(function* () {
      assertShapeA(yield* get("/team/info", { team_id: "nope" }), 404, "Team not found, passed team id: nope.")
      assertShapeA(yield* get("/team/info"), 422)
      assertShapeB(yield* post("/team/delete", { team_ids: ["nope"] }), 404, "Team not found")
      assertShapeB(yield* post("/team/block", { team_id: "nope" }), 404, "Team not found")
      assertShapeB(
        yield* post("/team/permissions_update", { team_id: "nope", team_member_permissions: [] }),
        404,
        "Team not found"
      )
    }).pipe(withSim())
  )

  it.effect("deleting a team deletes its keys and memberships, and is not idempotent", () =>
    Effect.gen(function* () {
      yield* post("/team/new", { team_id: "t1" })
      yield* post("/team/new", { team_id: "t2" })
      yield* post("/team/member_add", { team_id: "t1", member: { user_id: "u1", role: "user" }, max_budget_in_team: 2 })
      const k1 = String(at((yield* post("/key/generate", { team_id: "t1", user_id: "u1" })).body, "token"))
      const k2 = String(at((yield* post("/key/generate", { team_id: "t2" })).body, "token"))
      assert.deepStrictEqual(at((yield* post("/team/delete", { team_ids: ["t1"] })).body, "deleted_teams"), ["t1"])
      assert.strictEqual((yield* get("/key/info", { key: k1 })).status, 404)
      assert.strictEqual((yield* get("/key/info", { key: k2 })).status, 200)
      const sim = yield* Simulator
      const snapshot = yield* sim.snapshot
      assert.deepStrictEqual(snapshot.memberships, [])
      assert.deepStrictEqual(at((yield* get("/user/info", { user_id: "u1" })).body, "user_info", "teams"), [])
      assertShapeB(yield* post("/team/delete", { team_ids: ["t1"] }), 404, "Team not found")
    }).pipe(withSim())
  )

  it.effect("/v2/team/list paginates newest first with offset math; alias is a substring filter", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator
      for (let i = 0; i < 25; i++) {
        yield* sim.setTime(Date.parse("2026-01-01T00:00:00Z") + i * 1000)
        yield* post("/team/new", {
          team_id: `t${String(i).padStart(2, "0")}`,
          team_alias: i % 2 === 0 ? "even" : "odd-team"
        })
      }
      const pages: Array<WireAnswer> = []
      for (const page of ["1", "2", "3", "4"]) pages.push(yield* get("/v2/team/list", { page, page_size: "10" }))
      assert.deepStrictEqual(
        pages.map((p) => size(at(p.body, "teams"))),
        [10, 10, 5, 0]
      )
      for (const p of pages) {
        assert.strictEqual(at(p.body, "total"), 25)
        assert.strictEqual(at(p.body, "total_pages"), 3)
      }
      assert.strictEqual(at(pages[0]?.body, "teams", 0, "team_id"), "t24")
      assert.strictEqual(at(pages[2]?.body, "teams", 4, "team_id"), "t00")
      assert.strictEqual(at((yield* get("/v2/team/list")).body, "page_size"), 10)
      assert.strictEqual(at((yield* get("/v2/team/list", { team_alias: "EVEN" })).body, "total"), 13)
      assert.strictEqual(at((yield* get("/v2/team/list", { team_alias: "team" })).body, "total"), 12)
      assertShapeC(yield* get("/v2/team/list", { page_size: "101" }))
    }).pipe(withSim())
  )
})

describe("simulator: members", () => {
  it.effect(
    "member_add: creates missing users, rejects duplicates (shape A) and admins without a license (shape B)",
    () =>
      Effect.gen(function* () {
        yield* post("/team/new", { team_id: "t1" })
        const added = yield* post("/team/member_add", { team_id: "t1", member: { user_id: "u1", role: "user" } })
        assert.strictEqual(added.status, 200, added.text)
        assert.strictEqual((yield* get("/user/info", { user_id: "u1" })).status, 200)
        const dup = yield* post("/team/member_add", { team_id: "t1", member: { user_id: "u1", role: "user" } })
        assertShapeA(dup, 400, "User already in team")
        assert.strictEqual(at(dup.body, "error", "type"), "team_member_already_in_team")
        assertShapeB(
          yield* post("/team/member_add", { team_id: "t1", member: { user_id: "u2", role: "admin" } }),
          400,
          "premium feature"
        )
        assertShapeB(
          yield* post("/team/member_add", { team_id: "nope", member: { user_id: "u2", role: "user" } }),
          404,
          "doesn't exist"
        )
        const sim = yield* Simulator
        yield* sim.setProfile({ memberAddUnknownTeamStatus: 500 })
        assertShapeA(
          yield* post("/team/member_add", { team_id: "nope", member: { user_id: "u2", role: "user" } }),
          500,
          "doesn't exist"
        )
      }).pipe(withSim())
  )

  it.effect("member_update links a new budget each call; a role-only update detaches it", () =>
    Effect.gen(function* () {
      yield* post("/team/new", { team_id: "t1" })
      yield* post("/team/member_add", { team_id: "t1", member: { user_id: "u1", role: "user" }, max_budget_in_team: 5 })
      const budget = () =>
        get("/team/info", { team_id: "t1" }).pipe(
          Effect.map((a) => at(a.body, "team_memberships", 0, "litellm_budget_table", "max_budget"))
        )
      assert.strictEqual(yield* budget(), 5)
      yield* post("/team/member_update", { team_id: "t1", user_id: "u1", role: "user", max_budget_in_team: 7 })
      assert.strictEqual(yield* budget(), 7)
      yield* post("/team/member_update", { team_id: "t1", user_id: "u1", role: "user" })
      assert.isUndefined(yield* budget())
      assertShapeB(yield* post("/team/member_update", { team_id: "nope", user_id: "u1" }), 400, "does not exist in db")
    }).pipe(withSim())
  )

  it.effect("member_delete: removes the member but not their keys; not a member is 400 shape B", () =>
    Effect.gen(function* () {
      yield* post("/team/new", { team_id: "t1" })
      yield* post("/team/member_add", { team_id: "t1", member: { user_id: "u1", role: "user" } })
      const key = String(at((yield* post("/key/generate", { team_id: "t1", user_id: "u1" })).body, "token"))
      assert.strictEqual((yield* post("/team/member_delete", { team_id: "t1", user_id: "u1" })).status, 200)
      assert.strictEqual((yield* get("/key/info", { key })).status, 200)
      assertShapeB(yield* post("/team/member_delete", { team_id: "t1", user_id: "u1" }), 400, "User not found in team")
      assertShapeB(yield* post("/team/member_delete", { team_id: "nope", user_id: "u1" }), 400, "does not exist in db")
    }).pipe(withSim())
  )
})

describe("simulator: users", () => {
  it.effect("/user/new: duplicate id or email (case-insensitive) is 409 now, 400 in older builds", () =>
    Effect.gen(function* () {
      yield* post("/user/new", { user_id: "u1", user_email: "Alice@Example.com", auto_create_key: false })
      assertShapeA(yield* post("/user/new", { user_id: "u1" }), 409, "User with id u1 already exists")
      assertShapeA(yield* post("/user/new", { user_id: "u2", user_email: " alice@example.COM" }), 409, "already exists")
      const sim = yield* Simulator
      yield* sim.setProfile({ userConflictStatus: 400 })
      assertShapeA(yield* post("/user/new", { user_id: "u1" }), 400, "already exists")
      assertShapeC(yield* post("/user/new", { user_id: "u3", user_role: "superuser" }))
    }).pipe(withSim())
  )

  it.effect("/user/new creates a key by default; the answer's key is empty without one", () =>
    Effect.gen(function* () {
      const withKey = yield* post("/user/new", { user_id: "u1", models: ["m"] })
      assert.match(String(at(withKey.body, "key")), /^sk-/)
      assert.isNull(at(withKey.body, "teams"))
      const without = yield* post("/user/new", { user_id: "u2", auto_create_key: false })
      assert.strictEqual(at(without.body, "key"), "")
      const info = yield* get("/user/info", { user_id: "u1" })
      assert.deepStrictEqual(at(info.body, "keys", 0, "models"), ["m"])
      assert.strictEqual(at(info.body, "keys", 0, "team_alias"), "None")
    }).pipe(withSim())
  )

  it.effect("/user/update is an upsert; drops null/[]/{} except max_budget; 400 on non-columns like blocked", () =>
    Effect.gen(function* () {
      const created = yield* post("/user/update", { user_id: "new-user", max_budget: 3, models: ["m"] })
      assert.strictEqual(at(created.body, "user_id"), "new-user")
      const kept = yield* post("/user/update", { user_id: "new-user", models: [], metadata: {}, user_alias: null })
      assert.deepStrictEqual(at(kept.body, "data", "models"), ["m"])
      const cleared = yield* post("/user/update", { user_id: "new-user", max_budget: null })
      assert.isNull(at(cleared.body, "data", "max_budget"))
      assertShapeA(
        yield* post("/user/update", { user_id: "new-user", blocked: false }),
        400,
        "Unknown argument `blocked`"
      )
      assertShapeC(yield* post("/user/update", { max_budget: 1 }))
    }).pipe(withSim())
  )

  it.effect("unknown users: 404 now, 200 with an empty user_info before ~1.80.8; delete is 404 shape B", () =>
    Effect.gen(function* () {
      assertShapeA(yield* get("/user/info", { user_id: "nope" }), 404, "User nope not found")
      assertShapeB(yield* post("/user/delete", { user_ids: ["nope"] }), 404, "User not found")
      const sim = yield* Simulator
      yield* sim.setProfile({ userInfoMissing: 200 })
      const old = yield* get("/user/info", { user_id: "nope" })
      assert.strictEqual(old.status, 200)
      assert.deepStrictEqual(at(old.body, "user_info"), { spend: 0 })
    }).pipe(withSim())
  )

  it.effect("deleting a user deletes their keys (team keys too) and memberships", () =>
    Effect.gen(function* () {
      yield* post("/team/new", { team_id: "t1" })
      yield* post("/team/member_add", { team_id: "t1", member: { user_id: "u1", role: "user" }, max_budget_in_team: 1 })
      const key = String(at((yield* post("/key/generate", { team_id: "t1", user_id: "u1" })).body, "token"))
      assert.strictEqual((yield* post("/user/delete", { user_ids: ["u1"] })).body, 1)
      assert.strictEqual((yield* get("/key/info", { key })).status, 404)
      const team = yield* get("/team/info", { team_id: "t1" })
      assert.deepStrictEqual(at(team.body, "team_memberships"), [])
      assert.isFalse(JSON.stringify(at(team.body, "team_info", "members_with_roles")).includes("u1"))
    }).pipe(withSim())
  )

  it.effect("/user/list: single id is a substring match, default page size 25", () =>
    Effect.gen(function* () {
      for (let i = 0; i < 30; i++) yield* post("/user/new", { user_id: `user-${i}`, auto_create_key: false })
      const page = yield* get("/user/list")
      assert.strictEqual(size(at(page.body, "users")), 25)
      assert.strictEqual(at(page.body, "total_pages"), 2)
      assert.strictEqual(at((yield* get("/user/list", { user_ids: "user-1" })).body, "total"), 11)
      assert.strictEqual(at((yield* get("/user/list", { user_ids: "user-1,user-2" })).body, "total"), 2)
      assertShapeB(yield* get("/user/list", { sort_by: "nope" }), 400, "Invalid sort_by")
    }).pipe(withSim())
  )
})

describe("simulator: faults, counters, determinism", () => {
  it.effect("faults set over the admin route: 5xx a given number of times, counted per endpoint", () =>
    Effect.gen(function* () {
      const set = yield* post("/__sim/faults", {
        rules: [{ endpoint: "/team/info", kind: "error", status: 502, times: 2 }]
      })
      assert.strictEqual(set.status, 200, set.text)
      const statuses: Array<number> = []
      for (let i = 0; i < 3; i++) statuses.push((yield* get("/team/info", { team_id: "x" })).status)
      assert.deepStrictEqual(statuses, [502, 502, 404])
      const calls = yield* get("/__sim/calls")
      assert.strictEqual(at(calls.body, "calls", "GET /team/info"), 3)
      yield* post("/__sim/reset", {})
      assert.deepStrictEqual(at((yield* get("/__sim/calls")).body, "calls"), {})
    }).pipe(withSim())
  )

  it.live("latency delays the answer", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator
      yield* sim.setFaults([{ endpoint: "/health/readiness", kind: "latency", latencyMs: 150 }])
      const started = Date.now()
      assert.strictEqual((yield* get("/health/readiness")).status, 200)
      assert.isAtLeast(Date.now() - started, 150)
    }).pipe(withSim())
  )

  it.effect("429 carries retry-after", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator
      yield* sim.setFaults([{ kind: "rateLimit", retryAfterSeconds: 3 }])
      const limited = yield* get("/team/info", { team_id: "x" })
      assertShapeA(limited, 429)
      assert.strictEqual(limited.headers["retry-after"], "3")
    }).pipe(withSim())
  )

  it.live("hanging requests get no answer; dropped connections fail", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator
      yield* sim.setFaults([
        { endpoint: "/team/info", kind: "hang" },
        { endpoint: "/user/info", kind: "drop" }
      ])
      const hung = yield* get("/team/info", { team_id: "x" }).pipe(Effect.timeoutOption("200 millis"))
      assert.isTrue(hung._tag === "None")
      const dropped = yield* Effect.exit(
        Effect.tryPromise(() =>
          fetch(`${sim.url}/user/info?user_id=x`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })
        )
      )
      assert.strictEqual(dropped._tag, "Failure")
    }).pipe(withSim())
  )

  it.effect("the same seed makes the same ids and keys", () =>
    Effect.gen(function* () {
      const run = Effect.gen(function* () {
        const team = yield* post("/team/new", {})
        const key = yield* post("/key/generate", {})
        return [at(team.body, "team_id"), at(key.body, "key")]
      })
      const first = yield* run.pipe(withSim({}, 99))
      const second = yield* run.pipe(withSim({}, 99))
      const other = yield* run.pipe(withSim({}, 100))
      assert.deepStrictEqual(first, second)
      assert.notDeepEqual(first, other)
    })
  )
})
