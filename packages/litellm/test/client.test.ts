/**
 * The client's resilience and its handling of LiteLLM's version quirks,
 * against the simulator with injected faults; retries are counted with the
 * simulator's per-endpoint call counters.
 */
import { createHash } from "node:crypto"
import { createServer, type Server } from "node:http"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Metric, Option, Redacted } from "effect"
import { LiteLLMClient, type LiteLLMConnection } from "../src/LiteLLMClient.ts"
import { legacyProfile, type Profile, Simulator } from "../src/simulator/Simulator.ts"
import { simulatedClient } from "./support/fixtures.ts"

const sha256 = (raw: string) => createHash("sha256").update(raw).digest("hex")

const withClient = (profile: Partial<Profile> = {}, connection: Partial<LiteLLMConnection> = {}) =>
  Effect.provide(simulatedClient({ profile }, connection))

const services = Effect.gen(function* () {
  return { client: yield* LiteLLMClient, sim: yield* Simulator }
})

describe("client: retries", () => {
  it.live("a 5xx is retried until it succeeds", () =>
    Effect.gen(function* () {
      const { client, sim } = yield* services
      yield* client.teamNew("t1")
      yield* sim.setFaults([{ endpoint: "/team/info", kind: "error", status: 503, times: 2 }])
      const team = yield* client.teamInfo("t1")
      assert.isTrue(Option.isSome(team))
      assert.strictEqual(yield* sim.callsTo("/team/info"), 3)
    }).pipe(withClient())
  )

  it.live("a 5xx that persists fails as Unavailable after the configured retries", () =>
    Effect.gen(function* () {
      const { client, sim } = yield* services
      yield* sim.setFaults([{ endpoint: "/team/info", kind: "error", status: 500 }])
      const error = yield* Effect.flip(client.teamInfo("t1"))
      assert.strictEqual(error.reason._tag, "Unavailable")
      assert.strictEqual(error.status, 500)
      assert.strictEqual(yield* sim.callsTo("/team/info"), 4)
    }).pipe(withClient())
  )

  it.live("a 429 is retried after retry-after", () =>
    Effect.gen(function* () {
      const { client, sim } = yield* services
      yield* sim.setFaults([{ endpoint: "/v2/team/list", kind: "rateLimit", retryAfterSeconds: 0.3, times: 1 }])
      const started = yield* Clock.currentTimeMillis
      yield* client.teamList()
      const elapsed = (yield* Clock.currentTimeMillis) - started
      assert.isAtLeast(elapsed, 300)
      assert.strictEqual(yield* sim.callsTo("/v2/team/list"), 2)
    }).pipe(withClient())
  )

  it.live("a 429 asking for a long wait is returned as RateLimited, not slept on", () =>
    Effect.gen(function* () {
      const { client, sim } = yield* services
      yield* sim.setFaults([{ endpoint: "/team/info", kind: "rateLimit", retryAfterSeconds: 120 }])
      const error = yield* Effect.flip(client.teamInfo("t1"))
      assert.deepStrictEqual(error.reason._tag === "RateLimited" && error.reason.retryAfterMillis, 120_000)
      assert.strictEqual(yield* sim.callsTo("/team/info"), 1)
    }).pipe(withClient())
  )

  it.live("other 4xx answers are not retried", () =>
    Effect.gen(function* () {
      const { client, sim } = yield* services
      yield* client.teamNew("t1")
      yield* sim.resetCalls
      const exists = yield* Effect.flip(client.teamNew("t1"))
      assert.strictEqual(exists.reason._tag, "AlreadyExists")
      const missing = yield* Effect.flip(client.teamUpdate("nope", { max_budget: 1 }))
      assert.strictEqual(missing.reason._tag, "NotFound")
      const invalid = yield* Effect.flip(client.keyGenerate(Redacted.make("not-an-sk-key")))
      assert.strictEqual(invalid.reason._tag, "Invalid")
      const enterprise = yield* Effect.flip(client.teamMemberAdd({ teamId: "t1", userId: "u", role: "admin" }))
      assert.strictEqual(enterprise.reason._tag, "Forbidden")
      assert.deepStrictEqual(yield* sim.calls, {
        "POST /team/new": 1,
        "POST /team/update": 1,
        "POST /key/generate": 1,
        "POST /team/member_add": 1
      })
    }).pipe(withClient())
  )

  it.live("a hanging request times out and is retried", () =>
    Effect.gen(function* () {
      const { client, sim } = yield* services
      yield* client.teamNew("t1")
      yield* sim.setFaults([{ endpoint: "/team/info", kind: "hang", times: 1 }])
      assert.isTrue(Option.isSome(yield* client.teamInfo("t1")))
      assert.strictEqual(yield* sim.callsTo("/team/info"), 2)
    }).pipe(withClient({}, { timeout: "200 millis" }))
  )

  it.live("a request that always hangs fails as Unavailable, in bounded time", () =>
    Effect.gen(function* () {
      const { client, sim } = yield* services
      yield* sim.setFaults([{ endpoint: "/team/info", kind: "hang" }])
      const started = yield* Clock.currentTimeMillis
      const error = yield* Effect.flip(client.teamInfo("t1"))
      assert.strictEqual(error.reason._tag, "Unavailable")
      assert.include(error.message, "no answer within")
      assert.isBelow((yield* Clock.currentTimeMillis) - started, 2000)
      assert.strictEqual(yield* sim.callsTo("/team/info"), 2)
    }).pipe(withClient({}, { timeout: "150 millis", retry: { times: 1, base: "5 millis", cap: "10 millis" } }))
  )

  it.live("a LiteLLM that does not answer is not waited for by every call: quiet, then one call tries it", () =>
    Effect.gen(function* () {
      const { client, sim } = yield* services
      yield* client.teamNew("t1")
      yield* sim.setFaults([{ endpoint: "/team/info", kind: "hang" }])
      const silent = yield* Effect.flip(client.teamInfo("t1"))
      assert.include(silent.message, "no answer within")
      assert.strictEqual(yield* sim.callsTo("/team/info"), 2)
      // Quiet: these fail at once, and nothing reaches LiteLLM.
      const started = yield* Clock.currentTimeMillis
      const quiet = yield* Effect.all(
        Array.from({ length: 5 }, () => Effect.flip(client.teamInfo("t1"))),
        { concurrency: "unbounded" }
      )
      assert.isBelow((yield* Clock.currentTimeMillis) - started, 100)
      for (const error of quiet) {
        assert.strictEqual(error.reason._tag, "Unavailable")
        assert.include(error.message, "no call is sent to it for")
      }
      assert.strictEqual(yield* sim.callsTo("/team/info"), 2)
      // Once the period is over one call tries, while the others still fail at once; still silent: a longer period.
      yield* Effect.sleep("350 millis")
      const [tried, meanwhile] = yield* Effect.all(
        [Effect.flip(client.teamInfo("t1")), Effect.delay(Effect.flip(client.teamInfo("t1")), "50 millis")],
        { concurrency: "unbounded" }
      )
      assert.include(tried.message, "no answer within")
      assert.include(meanwhile.message, "while another call tries it")
      assert.strictEqual(yield* sim.callsTo("/team/info"), 4)
      const longer = yield* Effect.flip(client.teamInfo("t1"))
      assert.match(longer.message, /for 1 s more/)
      // LiteLLM answers again: the next call after the period tries, finds it, and calls flow as before.
      yield* sim.setFaults([])
      yield* Effect.sleep("650 millis")
      assert.isTrue(Option.isSome(yield* client.teamInfo("t1")))
      assert.isTrue(Option.isSome(yield* client.teamInfo("t1")))
      assert.strictEqual(yield* sim.callsTo("/team/info"), 6)
      // A refusal is an answer too: it does not make LiteLLM quiet.
      yield* sim.setFaults([{ endpoint: "/team/info", kind: "error", status: 500 }])
      yield* Effect.flip(client.teamInfo("t1"))
      yield* sim.setFaults([])
      assert.isTrue(Option.isSome(yield* client.teamInfo("t1")))
    }).pipe(
      withClient(
        {},
        {
          timeout: "100 millis",
          retry: { times: 1, base: "5 millis", cap: "10 millis" },
          quiet: { first: "300 millis", max: "600 millis" }
        }
      )
    )
  )

  it.live(
    "an answer longer than the limit is cut off, whether endless or declared so, and one that drips at the timeout; another service's answers are never quoted",
    () =>
      Effect.gen(function* () {
        // A "LiteLLM" (a tenant may name any URL) that answers its readiness without end, a team's info with a
        // length of 100 MB it never sends, and other calls as another service would.
        const server = yield* Effect.acquireRelease(
          Effect.promise(
            () =>
              new Promise<Server>((resolve) => {
                const s = createServer((request, response) => {
                  if (request.url?.startsWith("/user/info") === true) {
                    // A 2xx of another service: what it holds must not reach an error message.
                    response.writeHead(200, { "content-type": "application/json" })
                    response.end(JSON.stringify({ user_id: "u1", user_info: "AccessKeyId=ASIA-NOT-FOR-TENANTS" }))
                    return
                  }
                  if (request.url?.startsWith("/v2/team/list") === true) {
                    response.writeHead(403, { "content-type": "text/plain" })
                    response.end("internal admin console, token=NOT-FOR-TENANTS")
                    return
                  }
                  if (request.url?.startsWith("/key/list") === true) {
                    // An answer that keeps coming, a byte at a time, never ending: the timeout is for all of it.
                    response.writeHead(200, { "content-type": "application/json" })
                    const drip = setInterval(() => response.write(" "), 50)
                    response.on("close", () => clearInterval(drip))
                    return
                  }
                  if (request.url?.startsWith("/team/info") === true) {
                    response.writeHead(200, { "content-type": "application/json", "content-length": 100_000_000 })
                    response.flushHeaders()
                    return
                  }
                  response.writeHead(200, { "content-type": "application/json" })
                  const chunk = Buffer.alloc(64 * 1024, 0x20)
                  const pump = () => {
                    while (!response.destroyed && response.write(chunk)) {}
                  }
                  response.on("drain", pump)
                  pump()
                })
                s.listen(0, "127.0.0.1", () => resolve(s))
              })
          ),
          (s) =>
            Effect.promise(
              () =>
                new Promise<void>((resolve) => {
                  s.closeAllConnections()
                  s.close(() => resolve())
                })
            )
        )
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        const client = yield* LiteLLMClient.make({
          url: `http://127.0.0.1:${port}`,
          masterKey: Redacted.make("sk-x"),
          timeout: "20 seconds",
          retry: { times: 0 },
          maxAnswerBytes: 1024 * 1024
        })
        const endless = yield* Effect.flip(client.readiness)
        assert.strictEqual(endless.reason._tag, "Unavailable")
        assert.include(endless.message, "longer than 1048576 bytes")
        const declared = yield* Effect.flip(client.teamInfo("t1"))
        assert.include(declared.message, "longer than 1048576 bytes")
        // What another service answers is never quoted: a 2xx that does not decode, an error body in no LiteLLM format.
        const undecodable = yield* Effect.flip(client.userInfo("u1"))
        assert.include(undecodable.message, "unexpected response")
        assert.notInclude(undecodable.message, "NOT-FOR-TENANTS")
        const refused = yield* Effect.flip(client.teamList({}))
        assert.include(refused.message, "in none of LiteLLM's error formats")
        assert.notInclude(refused.message, "NOT-FOR-TENANTS")
        const impatient = yield* LiteLLMClient.make({
          url: `http://127.0.0.1:${port}`,
          masterKey: Redacted.make("sk-x"),
          timeout: "400 millis",
          retry: { times: 0 }
        })
        const started = Date.now()
        const dripped = yield* Effect.flip(impatient.keyList({}))
        assert.include(dripped.message, "no answer within 400ms")
        assert.isBelow(Date.now() - started, 3000)
      }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.dispatcherLayerGlobal))
  )

  it.live("a dropped connection is Unavailable and retried", () =>
    Effect.gen(function* () {
      const { client, sim } = yield* services
      yield* sim.setFaults([{ endpoint: "/user/info", kind: "drop", times: 1 }])
      assert.isTrue(Option.isNone(yield* client.userInfo("nobody")))
      assert.strictEqual(yield* sim.callsTo("/user/info"), 2)
    }).pipe(withClient())
  )

  it.live("a refused connection is Unavailable", () =>
    Effect.gen(function* () {
      const client = yield* LiteLLMClient.make({
        url: "http://127.0.0.1:1",
        masterKey: Redacted.make("sk-x"),
        retry: { times: 1, base: "1 millis", cap: "1 millis" }
      })
      const error = yield* Effect.flip(client.readiness)
      assert.strictEqual(error.reason._tag, "Unavailable")
    }).pipe(Effect.provide(NodeHttpClient.dispatcherLayerGlobal))
  )
})

describe("client: version quirks (2025 builds)", () => {
  it.live("unknown keys: 401 on update/block/unblock means NotFound", () =>
    Effect.gen(function* () {
      const { client } = yield* services
      const token = sha256("sk-unknown")
      assert.strictEqual((yield* Effect.flip(client.keyUpdate(token, { max_budget: 1 }))).reason._tag, "NotFound")
      assert.strictEqual((yield* Effect.flip(client.keyBlock(token))).reason._tag, "NotFound")
      assert.strictEqual((yield* Effect.flip(client.keyUnblock(token))).reason._tag, "NotFound")
      yield* client.execute({ _tag: "KeyDelete", token })
    }).pipe(withClient(legacyProfile))
  )

  it.live("a wrong master key on /key/block stays Unauthorized (it is not a missing key)", () =>
    Effect.gen(function* () {
      const sim = yield* Simulator
      const wrong = yield* LiteLLMClient.make({ url: sim.url, masterKey: Redacted.make("sk-wrong-master") })
      assert.strictEqual((yield* Effect.flip(wrong.keyBlock(sha256("sk-x")))).reason._tag, "Unauthorized")
    }).pipe(withClient(legacyProfile), Effect.provide(NodeHttpClient.dispatcherLayerGlobal))
  )

  it.live("/user/info 200 with an empty user_info is None", () =>
    Effect.gen(function* () {
      const { client } = yield* services
      assert.isTrue(Option.isNone(yield* client.userInfo("nobody")))
      yield* client.userNew("u1")
      assert.isTrue(Option.isSome(yield* client.userInfo("u1")))
    }).pipe(withClient(legacyProfile))
  )

  it.live("member_add on an unknown team (500 'doesn't exist') is NotFound", () =>
    Effect.gen(function* () {
      const { client } = yield* services
      const error = yield* Effect.flip(client.teamMemberAdd({ teamId: "nope", userId: "u1", role: "user" }))
      assert.strictEqual(error.reason._tag, "NotFound")
      assert.strictEqual(error.status, 500)
    }).pipe(withClient(legacyProfile))
  )

  it.live("repeats of creates succeed: silent 200 on a repeated key, 400 duplicates of users", () =>
    Effect.gen(function* () {
      const { client } = yield* services
      const raw = "sk-legacy-repeat-0001"
      const generate = { _tag: "KeyGenerate", key: Redacted.make(raw), token: sha256(raw), fields: {} } as const
      assert.isDefined((yield* client.execute(generate)).key)
      // The silent 200 echoes the request, not the stored row: it stands for no read.
      assert.isUndefined((yield* client.execute(generate)).key)
      const create = { _tag: "UserCreate", userId: "u1", fields: { user_email: "u1@example.com" } } as const
      yield* client.execute(create)
      yield* client.execute(create)
    }).pipe(withClient(legacyProfile))
  )
})

describe("client: a new key's answer", () => {
  const generate = (raw: string, fields: Record<string, unknown>) =>
    ({ _tag: "KeyGenerate", key: Redacted.make(raw), token: sha256(raw), fields }) as const

  it.live("stands for /key/info and /key/list, and no read is made to find it", () =>
    Effect.gen(function* () {
      const { client, sim } = yield* services
      const cases = [
        generate("sk-answer-plain-0001", { key_alias: "plain", max_budget: 5, models: ["gpt-4o"] }),
        generate("sk-answer-dated-0002", { key_alias: "dated", duration: "30d", metadata: { owner: "x" } }),
        // A soft budget links a budget row: the answer carries it joined, as /key/info does.
        generate("sk-answer-soft-0003", { key_alias: "soft", soft_budget: 2, blocked: true })
      ]
      for (const action of cases) {
        yield* sim.resetCalls
        const answered = (yield* client.execute(action)).key
        assert.deepStrictEqual(Object.keys(yield* sim.calls), ["POST /key/generate"])
        const info = Option.getOrUndefined(yield* client.keyInfo(action.token))
        const listed = (yield* client.keyList()).find((k) => k.token === action.token)
        assert.isDefined(answered)
        assert.deepStrictEqual(answered, info)
        assert.deepStrictEqual(answered, listed)
      }
    }).pipe(withClient())
  )

  it.live("stands for nothing when it cannot say what a read would (a budget's next reset)", () =>
    Effect.gen(function* () {
      const { client } = yield* services
      const answer = yield* client.execute(generate("sk-answer-reset-0004", { budget_duration: "1d" }))
      assert.isUndefined(answer.key)
    }).pipe(withClient())
  )

  it.live("a repeat that LiteLLM refuses as existing answers with the read that found it", () =>
    Effect.gen(function* () {
      const { client } = yield* services
      const action = generate("sk-answer-again-0005", { max_budget: 1 })
      yield* client.execute(action)
      const again = (yield* client.execute(action)).key
      assert.deepStrictEqual(again, Option.getOrUndefined(yield* client.keyInfo(action.token)))
    }).pipe(withClient())
  )
})

describe("client: idempotent execute", () => {
  it.live("a create that meets someone else's object is still a failure", () =>
    Effect.gen(function* () {
      const { client } = yield* services
      yield* client.keyGenerate(Redacted.make("sk-first-key-0001"), { key_alias: "taken" })
      const raw = "sk-second-key-0002"
      const error = yield* Effect.flip(
        client.execute({
          _tag: "KeyGenerate",
          key: Redacted.make(raw),
          token: sha256(raw),
          fields: { key_alias: "taken" }
        })
      )
      assert.strictEqual(error.reason._tag, "AlreadyExists")
    }).pipe(withClient())
  )

  it.live("/user/update never sends fields users do not have", () =>
    Effect.gen(function* () {
      const { client } = yield* services
      const user = yield* client.userUpdate("u1", { blocked: false, user_alias: "A" })
      assert.strictEqual(user.user_alias, "A")
    }).pipe(withClient())
  )

  it.live("keyInfo accepts a raw key and asks by its token", () =>
    Effect.gen(function* () {
      const { client } = yield* services
      const raw = "sk-by-raw-key-000001"
      yield* client.keyGenerate(Redacted.make(raw), { max_budget: 2 })
      const key = yield* client.keyInfo(raw)
      assert.deepStrictEqual(
        Option.map(key, (k) => [k.token, k.max_budget]),
        Option.some([sha256(raw), 2])
      )
    }).pipe(withClient())
  )
})

describe("client: requests", () => {
  it.live("ids are URL-escaped in queries, and list filters keep exact matches only", () =>
    Effect.gen(function* () {
      const { client } = yield* services
      const odd = "team a+b/c?d=e&f#g"
      yield* client.teamNew(odd, { team_alias: "A+B" })
      yield* client.teamNew("other", { team_alias: "a+b and more" })
      assert.deepStrictEqual(
        Option.map(yield* client.teamInfo(odd), (t) => t.team_id),
        Option.some(odd)
      )
      const teams = yield* client.teamList({ teamAlias: "A+B" })
      assert.deepStrictEqual(
        teams.map((t) => t.team_id),
        [odd]
      )
      yield* client.userNew("u1")
      yield* client.userNew("u10")
      assert.deepStrictEqual(
        (yield* client.userList({ userId: "u1" })).map((u) => u.user_id),
        ["u1"]
      )
    }).pipe(withClient())
  )
})

describe("client: metrics", () => {
  it.live("every attempt is counted by endpoint and status", () =>
    Effect.gen(function* () {
      const { client, sim } = yield* services
      yield* sim.setFaults([{ endpoint: "/team/info", kind: "error", status: 503, times: 1 }])
      yield* client.teamInfo("t1")
      const snapshot = yield* Metric.snapshot
      const count = (status: string) =>
        snapshot
          .filter((m) => m.id === "litellm_client_requests_total")
          .filter((m) => m.attributes?.endpoint === "/team/info" && m.attributes?.status === status)
          .map((m) => ("count" in m.state ? Number(m.state.count) : 0))
          .reduce((a, b) => a + b, 0)
      assert.strictEqual(count("503"), 1)
      assert.strictEqual(count("404"), 1)
    }).pipe(withClient(), Effect.provideService(Metric.MetricRegistry, new Map()))
  )
})
