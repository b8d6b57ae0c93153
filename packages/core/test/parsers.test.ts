import { assert, describe, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import fc from "fast-check"
import { budgetArb, durationArb } from "../src/arbitraries/index.ts"
import {
  Budget,
  BudgetDuration,
  budgetFromNumber,
  budgetToNumber,
  canonicalDuration,
  Duration,
  formatDuration,
  parseDuration
} from "../src/index.ts"

const decodeDuration = Schema.decodeUnknownResult(Duration)
const decodeBudgetDuration = Schema.decodeUnknownResult(BudgetDuration)
const decodeBudget = Schema.decodeUnknownResult(Budget)

const messageOf = (r: Result.Result<unknown, { readonly message: string }>): string =>
  Result.isFailure(r) ? r.failure.message : ""

describe("Duration", () => {
  it("round-trips every duration LiteLLM accepts", () => {
    fc.assert(
      fc.property(durationArb, (s) => {
        assert.isTrue(Result.isSuccess(decodeDuration(s)))
        const parsed = parseDuration(s)
        assert.isDefined(parsed)
        if (parsed !== undefined) {
          const canonical = formatDuration(parsed)
          assert.strictEqual(canonicalDuration(s), canonical)
          assert.deepStrictEqual(parseDuration(canonical), parsed)
          // The unit LiteLLM reads: the digits, then "mo" or one letter of s m h d w.
          assert.strictEqual(parsed.unit, /^[0-9]+mo/.test(s) ? "mo" : s.replace(/^[0-9]+/, "").charAt(0))
        }
      }),
      { numRuns: 500 }
    )
  })

  it("rejects anything else with a message that says what is expected", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), (s) => {
        fc.pre(parseDuration(s) === undefined)
        const r = decodeDuration(s)
        assert.isTrue(Result.isFailure(r))
        assert.include(messageOf(r), "followed by a unit: s, m, h, d, w or mo")
      }),
      { numRuns: 500 }
    )
  })

  it("accepts the spellings LiteLLM reads the same way, and refuses those it reads otherwise or not at all", () => {
    for (const [good, canonical] of [
      ["30min", "30m"],
      ["2hours", "2h"],
      ["10secs", "10s"],
      ["30days", "30d"],
      ["1week", "1w"],
      ["1month", "1mo"],
      ["030d", "30d"]
    ] as const) {
      assert.isTrue(Result.isSuccess(decodeDuration(good)), good)
      assert.strictEqual(canonicalDuration(good), canonical)
    }
    // "30ms" is 30 minutes to LiteLLM; "30mx" a typo it would read as minutes too.
    for (const bad of ["30", "-1", "abc", "", "30ms", "30mx", "0d", "1 d", "1.5h", "1y", "30M", "none"]) {
      assert.isTrue(Result.isFailure(decodeDuration(bad)), bad)
    }
  })

  it("allows only one month as a budget period", () => {
    assert.isTrue(Result.isSuccess(decodeBudgetDuration("1mo")))
    assert.include(messageOf(decodeBudgetDuration("2mo")), "1mo")
    assert.isTrue(Result.isSuccess(decodeBudgetDuration("30d")))
    assert.isTrue(Result.isSuccess(decodeBudgetDuration("1month")))
    assert.include(messageOf(decodeBudgetDuration("2months")), "1mo")
  })
})

describe("Budget", () => {
  it("round-trips through the number LiteLLM stores", () => {
    fc.assert(
      fc.property(budgetArb, (s) => {
        assert.isTrue(Result.isSuccess(decodeBudget(s)))
        assert.strictEqual(budgetToNumber(budgetFromNumber(budgetToNumber(s))), budgetToNumber(s))
        assert.isTrue(Result.isSuccess(decodeBudget(budgetFromNumber(budgetToNumber(s)))))
      }),
      { numRuns: 500 }
    )
  })

  it("accepts the spellings Go's float parser read, meaning the same number", () => {
    for (const [good, n] of [
      ["1e3", 1000],
      ["1E3", 1000],
      ["2.5e+2", 250],
      ["15e-1", 1.5],
      ["1.5e-5", 0.000015],
      ["+5", 5],
      ["5.", 5],
      [".5", 0.5],
      ["01", 1]
    ] as const) {
      assert.isTrue(Result.isSuccess(decodeBudget(good)), good)
      assert.strictEqual(budgetToNumber(good), n)
    }
  })

  it("rejects negative, malformed and out-of-bounds forms with a clear message", () => {
    for (const bad of [
      "-1",
      "-1e3",
      "1e13",
      "1.5e-7",
      "abc",
      "",
      " 1",
      "1,5",
      "NaN",
      "Infinity",
      "0x10",
      "1_000",
      "e3"
    ]) {
      const r = decodeBudget(bad)
      assert.isTrue(Result.isFailure(r), bad)
      assert.include(messageOf(r), "non-negative decimal amount")
    }
  })
})
