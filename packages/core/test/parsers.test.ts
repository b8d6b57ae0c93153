import { assert, describe, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import fc from "fast-check"
import { budgetArb, durationArb } from "../src/arbitraries/index.ts"
import {
  Budget,
  BudgetDuration,
  budgetFromNumber,
  budgetToNumber,
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
        if (parsed !== undefined) assert.strictEqual(formatDuration(parsed), s)
      }),
      { numRuns: 500 }
    )
  })

  it("rejects anything else with a message that says what is expected", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), (s) => {
        fc.pre(!/^[1-9][0-9]{0,8}(mo|s|m|h|d|w)$/.test(s))
        const r = decodeDuration(s)
        assert.isTrue(Result.isFailure(r))
        assert.include(messageOf(r), "followed by one of s, m, h, d, w, mo")
      }),
      { numRuns: 500 }
    )
  })

  it("refuses the forms LiteLLM parses loosely or not at all", () => {
    for (const bad of ["30", "-1", "abc", "", "30min", "0d", "1 d", "1.5h", "1y", "none"]) {
      assert.isTrue(Result.isFailure(decodeDuration(bad)), bad)
    }
  })

  it("allows only one month as a budget period", () => {
    assert.isTrue(Result.isSuccess(decodeBudgetDuration("1mo")))
    assert.include(messageOf(decodeBudgetDuration("2mo")), "1mo")
    assert.isTrue(Result.isSuccess(decodeBudgetDuration("30d")))
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

  it("rejects negative, malformed and exponent forms with a clear message", () => {
    for (const bad of ["-1", "1e3", "abc", "", " 1", "1.", ".5", "01", "1,5", "NaN", "Infinity"]) {
      const r = decodeBudget(bad)
      assert.isTrue(Result.isFailure(r), bad)
      assert.include(messageOf(r), "non-negative decimal amount")
    }
  })
})
