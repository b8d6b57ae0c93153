/**
 * The status never mirrors more of LiteLLM's answer than an object can hold:
 * each mirrored field is capped, the status names the fields it cut, and the
 * same answer always gives the same status (no flapping).
 */
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { observedKeyArb, observedTeamArb, observedUserArb } from "../src/arbitraries/index.ts"
import type { Outcome } from "../src/index.ts"
import { keyStatus, reconciled, sameStatus, teamStatus, userStatus } from "../src/index.ts"
import { jsonBytes, mirrorFieldMaxBytes } from "../src/status/mirrorValues.ts"

const T0 = "2026-11-27T10:00:00Z"
const T1 = "2026-11-27T10:05:00Z"
const outcome: Outcome = reconciled()
const applied = { fields: [] }
const base = { applied, outcome, generation: 1, now: T0 }

/** Values from another LiteLLM client: long, multi-byte, full of escapes. */
const hugeText = fc
  .tuple(fc.constantFrom("a", "é", "名", "😀", "\n", "\u0000", '"'), fc.integer({ min: 9_000, max: 200_000 }))
  .map(([c, n]) => c.repeat(n))
const hugeList = fc.integer({ min: 1_000, max: 20_000 }).map((n) => Array.from({ length: n }, (_, i) => `model-${i}`))
const hugeMap = fc
  .integer({ min: 400, max: 5_000 })
  .map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`key-${i}`, `value-${i}`])))

/** Every field a status holds stays within the cap, `truncated` and conditions aside. */
const fieldsWithinCap = (status: Readonly<Record<string, unknown>>) => {
  for (const [field, value] of Object.entries(status)) {
    if (field === "conditions" || field === "truncated") continue
    assert.isAtMost(jsonBytes(value), mirrorFieldMaxBytes, field)
  }
}

describe("status caps", () => {
  it("a team with huge values: every field capped, the cut ones named, the rest exact", () =>
    fc.assert(
      fc.property(observedTeamArb, hugeText, hugeList, (team, text, models) => {
        const huge = { ...team, team_alias: text, models }
        const status = teamStatus({ ...base, previous: undefined, team: huge })
        fieldsWithinCap(status)
        assert.deepStrictEqual(status.truncated, ["models", "teamAlias"])
        assert.isTrue(status.teamAlias?.endsWith("…"))
        assert.isTrue(text.startsWith(status.teamAlias?.slice(0, -1) ?? "-"))
        assert.deepStrictEqual(status.models, models.slice(0, status.models?.length))
        assert.strictEqual(status.teamID, team.team_id)
        const again = teamStatus({ ...base, previous: status, team: huge, now: T1 })
        assert.isTrue(sameStatus(status, again))
        // LiteLLM unreadable: the capped mirror, and what it says was cut, are kept.
        const kept = teamStatus({ ...base, previous: status, team: undefined, now: T1 })
        assert.deepStrictEqual(kept.truncated, status.truncated)
        assert.strictEqual(kept.teamAlias, status.teamAlias)
      }),
      { numRuns: 30 }
    ))

  it("a key with huge maps and lists", () =>
    fc.assert(
      fc.property(observedKeyArb, hugeMap, hugeList, (key, config, routes) => {
        const huge = { ...key, config, allowed_routes: routes }
        const status = keyStatus({ ...base, previous: undefined, key: huge, keySecretRef: "s" })
        fieldsWithinCap(status)
        assert.deepStrictEqual(status.truncated, ["allowedRoutes", "config"])
        assert.strictEqual(status.token, key.token)
        for (const [k, v] of Object.entries(status.config ?? {})) assert.strictEqual(config[k], v)
        assert.isTrue(sameStatus(status, keyStatus({ ...base, previous: status, key: huge, keySecretRef: "s" })))
      }),
      { numRuns: 30 }
    ))

  it("a user and its key: one list of cut fields, kept while LiteLLM cannot be read", () =>
    fc.assert(
      fc.property(observedUserArb, observedKeyArb, hugeText, hugeList, (user, key, email, teams) => {
        const hugeUser = { ...user, user_email: email, teams }
        const hugeKey = { ...key, key_alias: email }
        const status = userStatus({
          ...base,
          previous: undefined,
          user: hugeUser,
          key: hugeKey,
          keySecretRef: undefined
        })
        fieldsWithinCap(status)
        assert.deepStrictEqual(status.truncated, ["keyAlias", "teams", "userEmail"])
        const keyUnread = userStatus({
          ...base,
          previous: status,
          user: hugeUser,
          key: undefined,
          keySecretRef: undefined
        })
        assert.deepStrictEqual(keyUnread.truncated, ["teams", "userEmail"])
        const nothingRead = userStatus({
          ...base,
          previous: status,
          user: undefined,
          key: undefined,
          keySecretRef: undefined
        })
        assert.deepStrictEqual(nothingRead.truncated, status.truncated)
        const userUnread = userStatus({ ...base, previous: status, user: undefined, key, keySecretRef: undefined })
        assert.deepStrictEqual(userUnread.truncated, ["teams", "userEmail"])
      }),
      { numRuns: 30 }
    ))

  it("values within the cap are mirrored exactly and nothing is said to be cut", () =>
    fc.assert(
      fc.property(observedTeamArb, observedKeyArb, (team, key) => {
        assert.isUndefined(teamStatus({ ...base, previous: undefined, team }).truncated)
        assert.isUndefined(keyStatus({ ...base, previous: undefined, key, keySecretRef: "s" }).truncated)
      }),
      { numRuns: 100 }
    ))
})
