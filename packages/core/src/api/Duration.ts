/**
 * Durations as LiteLLM parses them: a count followed by a unit. LiteLLM also
 * accepts trailing text after the unit ("30min"), which we refuse so a spec
 * means exactly one thing; "-1" and a bare number are LiteLLM errors too.
 */
import { Schema } from "effect"

/** The units LiteLLM understands: seconds, minutes, hours, days, weeks, calendar months. */
export const durationUnits = ["s", "m", "h", "d", "w", "mo"] as const
export type DurationUnit = (typeof durationUnits)[number]

const DURATION_PATTERN = /^([1-9][0-9]{0,8})(mo|s|m|h|d|w)$/

export interface ParsedDuration {
  readonly amount: number
  readonly unit: DurationUnit
}

const describe = (s: string): string =>
  `must be a positive whole number followed by one of s, m, h, d, w, mo, such as "30s", "30m", "12h", "30d", "1w" or "1mo" (got ${JSON.stringify(s)})`

/**
 * The longest duration in each unit: 100 years of 365.25 days. Any longer
 * period (LiteLLM would take `999999999w`) is a mistake, and past the dates
 * LiteLLM can compute.
 */
export const maxDurationAmounts: { readonly [U in DurationUnit]: number } = {
  s: 999_999_999,
  m: 52_596_000,
  h: 876_600,
  d: 36_525,
  w: 5_217,
  mo: 1_200
}

const tooLong = "must be at most 100 years: 36525d, 5217w, 876600h, 52596000m or 1200mo (seconds are at most 999999999)"

/** A LiteLLM duration string such as "30s", "30m", "30h", "30d", "2w" or "1mo", of at most 100 years. */
export const Duration = Schema.String.check(
  Schema.makeFilter((s: string) => (DURATION_PATTERN.test(s) ? undefined : describe(s)), {
    expected: "a duration such as 30s, 30m, 30h, 30d, 1w or 1mo",
    // The same rule at admission, with a message that says what is expected.
    toJsonSchema: () => ({
      pattern: DURATION_PATTERN.source,
      maxLength: 16,
      "x-kubernetes-validations": [
        {
          rule: `self.matches(r'${DURATION_PATTERN.source}')`,
          message:
            'must be a positive whole number followed by one of s, m, h, d, w, mo, such as "30s", "30m", "12h", "30d", "1w" or "1mo"'
        }
      ]
    })
  }),
  Schema.makeFilter(
    (s: string) => {
      const parsed = parseDuration(s)
      return parsed !== undefined && parsed.amount > maxDurationAmounts[parsed.unit]
        ? `${tooLong} (got ${JSON.stringify(s)})`
        : undefined
    },
    {
      expected: "a duration of at most 100 years",
      toJsonSchema: () => ({
        "x-kubernetes-validations": [
          {
            // The amount is read only once the format rule holds (int() of anything else fails).
            rule: `!self.matches(r'${DURATION_PATTERN.source}') || (self.endsWith('mo') ? int(self.substring(0, size(self) - 2)) <= ${maxDurationAmounts.mo} : int(self.substring(0, size(self) - 1)) <= (${(["s", "m", "h", "d"] as const).map((u) => `self.endsWith('${u}') ? ${maxDurationAmounts[u]} : `).join("")}${maxDurationAmounts.w}))`,
            message: tooLong
          }
        ]
      })
    }
  )
)
export type Duration = typeof Duration.Type

/**
 * A budget reset period. LiteLLM aligns resets to calendar boundaries and only
 * supports one-month periods when the unit is months.
 */
export const BudgetDuration = Duration.check(
  Schema.makeFilter(
    (s: string) => {
      const parsed = parseDuration(s)
      return parsed !== undefined && parsed.unit === "mo" && parsed.amount !== 1
        ? `LiteLLM only supports "1mo" as a monthly budget period; use days instead (got ${JSON.stringify(s)})`
        : undefined
    },
    {
      toJsonSchema: () => ({
        "x-kubernetes-validations": [
          {
            rule: "!self.endsWith('mo') || self == '1mo'",
            message: 'LiteLLM only supports "1mo" as a monthly budget period; use days instead'
          }
        ]
      })
    }
  )
)
export type BudgetDuration = typeof BudgetDuration.Type

/** Parses a duration, or returns undefined when it is not one. */
export const parseDuration = (s: string): ParsedDuration | undefined => {
  const match = DURATION_PATTERN.exec(s)
  if (match === null) return undefined
  const unit = durationUnits.find((u) => u === match[2])
  return unit === undefined ? undefined : { amount: Number(match[1]), unit }
}

/** The canonical string of a parsed duration; `parseDuration(formatDuration(d))` gives `d` back. */
export const formatDuration = (d: ParsedDuration): string => `${d.amount}${d.unit}`

/** The pattern, for admission rules (CEL) and tests. */
export const durationPattern: string = DURATION_PATTERN.source
