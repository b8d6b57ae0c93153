/**
 * Error bodies in each of LiteLLM's three envelopes map to the right tagged
 * reason (litellm-api.md §3), and the retry schedule honours retry-after.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import { classify, parseErrorBody, parseRetryAfter } from "../src/ErrorEnvelope.ts"
import { LiteLLMError, RateLimited, Unavailable } from "../src/LiteLLMError.ts"
import { retrySchedule } from "../src/RetryPolicy.ts"

const reasonOf = (status: number, body: unknown, retryAfter?: number) =>
  classify(status, parseErrorBody(body, JSON.stringify(body)), retryAfter)

const shapeA = (status: number, message: string, type = "internal_server_error", param: string | null = "None") => ({
  error: { message, type, param, code: String(status) }
})

describe("error envelopes", () => {
  it("reads all three shapes", () => {
    assert.deepStrictEqual(parseErrorBody(shapeA(404, "Key not found in database", "not_found_error"), ""), {
      shape: "A",
      message: "Key not found in database",
      type: "not_found_error"
    })
    assert.strictEqual(parseErrorBody({ detail: "plain" }, "").message, "plain")
    assert.strictEqual(parseErrorBody({ detail: { error: "Team not found" } }, "").message, "Team not found")
    const c = parseErrorBody(
      { detail: [{ type: "missing", loc: ["body", "team_id"], msg: "Field required", input: null }] },
      ""
    )
    assert.deepStrictEqual([c.shape, c.message], ["C", "body.team_id: Field required"])
    const other = parseErrorBody("<html>Bad Gateway</html>", "<html>Bad Gateway</html>")
    assert.strictEqual(other.shape, "unknown")
    // Not quoted: the URL may be any service the operator reaches, and the message reaches the object's status.
    assert.notInclude(other.message, "Bad Gateway")
    assert.include(other.message, "24 characters")
  })

  it.each([
    {
      name: "404 shape A",
      status: 404,
      body: shapeA(404, "{'message': 'Team not found, passed team id: t.'}", "auth_error"),
      expected: "NotFound"
    },
    {
      name: "404 shape B",
      status: 404,
      body: { detail: { error: "Team not found, passed team_id=t" } },
      expected: "NotFound"
    },
    {
      name: "401 auth",
      status: 401,
      body: shapeA(401, "Authentication Error, Invalid proxy server token passed.", "auth_error"),
      expected: "Unauthorized"
    },
    {
      name: "401 unknown key on /key/update",
      status: 401,
      body: shapeA(
        401,
        "Authentication Error: invalid user key - user key does not exist in db. User Key=x",
        "auth_error"
      ),
      expected: "NotFound"
    },
    {
      name: "403 enterprise",
      status: 403,
      body: shapeA(403, "This feature is only available for LiteLLM Enterprise users."),
      expected: "Forbidden"
    },
    {
      name: "400 premium admin (shape B)",
      status: 400,
      body: { detail: { error: "Assigning team admins is a premium feature." } },
      expected: "Forbidden"
    },
    {
      name: "409 duplicate user",
      status: 409,
      body: shapeA(409, "User with id u already exists"),
      expected: "AlreadyExists"
    },
    {
      name: "400 duplicate team (repr)",
      status: 400,
      body: shapeA(400, "{'error': 'Team id = t already exists. Please use a different team id.'}"),
      expected: "AlreadyExists"
    },
    {
      name: "400 already in team",
      status: 400,
      body: shapeA(400, "User already in team. Member: user_id=u", "team_member_already_in_team", "member"),
      expected: "AlreadyExists"
    },
    {
      name: "400 not a member",
      status: 400,
      body: { detail: { error: "User not found in team" } },
      expected: "NotFound"
    },
    {
      name: "400 unknown team on member_update",
      status: 400,
      body: { detail: { error: "Team id=t does not exist in db" } },
      expected: "NotFound"
    },
    {
      name: "400 no router",
      status: 400,
      body: shapeA(400, "LLM router not found. Please set it up", "auth_error"),
      expected: "Invalid"
    },
    {
      name: "400 validation",
      status: 400,
      body: shapeA(400, "max_budget cannot be negative", "bad_request_error"),
      expected: "Invalid"
    },
    {
      name: "422 shape C",
      status: 422,
      body: { detail: [{ loc: ["body", "member", "role"], msg: "Input should be 'admin' or 'user'" }] },
      expected: "Invalid"
    },
    { name: "429", status: 429, body: shapeA(429, "rate limited", "rate_limit_error"), expected: "RateLimited" },
    {
      name: "500 unknown team on member_add",
      status: 500,
      body: shapeA(500, "Team doesn't exist in db. Team=t"),
      expected: "NotFound"
    },
    {
      name: "500 invalid duration",
      status: 500,
      body: shapeA(500, "Invalid duration format: -1"),
      expected: "Invalid"
    },
    {
      name: "500 enterprise ValueError",
      status: 500,
      body: shapeA(500, "model_max_budget is an Enterprise feature"),
      expected: "Forbidden"
    },
    { name: "500 database", status: 500, body: shapeA(500, "DB not connected"), expected: "Unavailable" },
    { name: "502 html", status: 502, body: "<html>Bad Gateway</html>", expected: "Unavailable" },
    { name: "503 readiness", status: 503, body: { detail: "Service Unhealthy (db)" }, expected: "Unavailable" }
  ])("$name → $expected", ({ status, body, expected }) => {
    assert.strictEqual(reasonOf(status, body)._tag, expected)
  })

  it("tells a valid key without admin rights from a wrong credential", () => {
    const notAdmin = reasonOf(
      401,
      shapeA(
        401,
        "Authentication Error, Only proxy admin can be used to generate, delete, update info for new keys/users/teams. Route=/team/new. Your role=internal_user. Your user_id=dev-****01",
        "auth_error"
      )
    )
    assert.deepStrictEqual(notAdmin._tag === "Unauthorized" && notAdmin.notAdmin, true)
    const wrong = reasonOf(401, shapeA(401, "Authentication Error, Invalid proxy server token passed.", "auth_error"))
    assert.deepStrictEqual(wrong._tag === "Unauthorized" && wrong.notAdmin, undefined)
  })

  it("keeps retry-after as milliseconds, from seconds or a date", () => {
    const reason = reasonOf(429, shapeA(429, "slow down"), parseRetryAfter("2", 0))
    assert.deepStrictEqual(reason, new RateLimited({ message: "slow down", retryAfterMillis: 2000 }))
    assert.strictEqual(parseRetryAfter("Thu, 01 Jan 1970 00:00:05 GMT", 1000), 4000)
    assert.isUndefined(parseRetryAfter("soon", 0))
  })

  it("renders without secrets and with what went wrong", () => {
    const error = new LiteLLMError({ operation: "teamInfo", status: 503, reason: new Unavailable({ message: "down" }) })
    assert.strictEqual(error.message, "LiteLLM teamInfo: Unavailable (HTTP 503): down")
    assert.isTrue(error.retryable)
  })
})

/** Counts an attempt, then fails with `error`. */
const failCounting = (attempts: Ref.Ref<number>, error: LiteLLMError): Effect.Effect<never, LiteLLMError> =>
  Effect.flatMap(
    Ref.update(attempts, (n) => n + 1),
    () => Effect.fail(error)
  )

describe("retry schedule", () => {
  const options = { times: 3, base: "100 millis", cap: "1 second", maxRetryAfter: "30 seconds" } as const

  it.effect("waits at least retry-after before trying again", () =>
    Effect.gen(function* () {
      const attempts = yield* Ref.make(0)
      const limited = new LiteLLMError({
        operation: "teamInfo",
        status: 429,
        reason: new RateLimited({ message: "slow down", retryAfterMillis: 5000 })
      })
      const fiber = yield* Effect.forkChild(Effect.retry(failCounting(attempts, limited), retrySchedule(options)))
      yield* TestClock.adjust("4999 millis")
      assert.strictEqual(yield* Ref.get(attempts), 1)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Ref.get(attempts), 2)
      yield* TestClock.adjust("1 minute")
      const exit = yield* Fiber.await(fiber)
      assert.strictEqual(exit._tag, "Failure")
      assert.strictEqual(yield* Ref.get(attempts), 4)
    })
  )

  it.effect("backs off exponentially (with jitter) and stops after `times` retries", () =>
    Effect.gen(function* () {
      const attempts = yield* Ref.make(0)
      const down = new LiteLLMError({
        operation: "teamInfo",
        status: 503,
        reason: new Unavailable({ message: "down" })
      })
      const fiber = yield* Effect.forkChild(Effect.retry(failCounting(attempts, down), retrySchedule(options)))
      yield* TestClock.adjust("79 millis") // first delay is 100ms ± 20%
      assert.strictEqual(yield* Ref.get(attempts), 1)
      yield* TestClock.adjust("41 millis")
      assert.strictEqual(yield* Ref.get(attempts), 2)
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual((yield* Fiber.await(fiber))._tag, "Failure")
      assert.strictEqual(yield* Ref.get(attempts), 4)
    })
  )
})
