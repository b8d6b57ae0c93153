/** The simulator's duration parsing and the `expires` / `budget_reset_at` arithmetic (litellm-api.md §4.1). */
import { assert, describe, it } from "@effect/vitest"
import { budgetResetAt, expiresAt, parseDuration } from "../src/simulator/Durations.ts"

const at = (iso: string) => Date.parse(iso)
const reset = (now: string, input: string) => {
  const result = budgetResetAt(at(now), input)
  return result.ok ? result.value.toISOString() : `error: ${result.error}`
}

describe("durations", () => {
  it("parses digits then a unit, ignoring what follows the unit", () => {
    assert.deepStrictEqual(parseDuration("30s"), { ok: true, value: { _tag: "Seconds", seconds: 30 } })
    assert.deepStrictEqual(parseDuration("30min"), { ok: true, value: { _tag: "Seconds", seconds: 1800 } })
    assert.deepStrictEqual(parseDuration("10days"), { ok: true, value: { _tag: "Seconds", seconds: 864000 } })
    assert.deepStrictEqual(parseDuration("2w"), { ok: true, value: { _tag: "Seconds", seconds: 1209600 } })
    assert.deepStrictEqual(parseDuration("1month"), { ok: true, value: { _tag: "Months", months: 1 } })
    assert.deepStrictEqual(parseDuration("30"), { ok: false, error: "Unsupported duration unit: 30" })
    assert.deepStrictEqual(parseDuration("-1"), { ok: false, error: "Invalid duration format: -1" })
    assert.deepStrictEqual(parseDuration("abc"), { ok: false, error: "Invalid duration format: abc" })
  })

  it("expires is exact; months keep the day of month, clamped", () => {
    const now = at("2026-01-31T10:00:00.000Z")
    assert.strictEqual(expiresAt(now, { _tag: "Seconds", seconds: 90 }).toISOString(), "2026-01-31T10:01:30.000Z")
    assert.strictEqual(expiresAt(now, { _tag: "Months", months: 1 }).toISOString(), "2026-02-28T10:00:00.000Z")
  })

  it("budget_reset_at is aligned to calendar boundaries", () => {
    const now = "2026-03-11T13:20:45.000Z" // a Wednesday
    assert.strictEqual(reset(now, "1d"), "2026-03-12T00:00:00.000Z")
    assert.strictEqual(reset(now, "7d"), "2026-03-16T00:00:00.000Z")
    assert.strictEqual(reset(now, "1w"), "2026-03-16T00:00:00.000Z")
    assert.strictEqual(reset(now, "30d"), "2026-04-01T00:00:00.000Z")
    assert.strictEqual(reset(now, "1mo"), "2026-04-01T00:00:00.000Z")
    assert.strictEqual(reset(now, "3d"), "2026-03-14T00:00:00.000Z")
    assert.strictEqual(reset(now, "6h"), "2026-03-11T18:00:00.000Z")
    assert.strictEqual(reset(now, "1h"), "2026-03-11T14:00:00.000Z")
    assert.strictEqual(reset(now, "15m"), "2026-03-11T13:30:00.000Z")
    assert.strictEqual(reset(now, "30s"), "2026-03-11T13:21:00.000Z")
    assert.strictEqual(reset("2026-03-11T22:10:00.000Z", "6h"), "2026-03-12T00:00:00.000Z")
    assert.strictEqual(reset(now, "garbage"), "2026-03-12T00:00:00.000Z")
    assert.strictEqual(reset(now, "2mo"), "error: Only 1-month budget durations are supported, got 2mo")
  })
})
