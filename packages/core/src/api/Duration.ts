/**
 * Durations as LiteLLM parses them: a count followed by a unit. LiteLLM also
 * accepts trailing text after the unit ("30min"), which we refuse so a spec
 * means exactly one thing; "-1" and a bare number are LiteLLM errors too.
 */
import { Schema } from "effect"

/** The units LiteLLM understands: seconds, minutes, hours, days, weeks, calendar months. */
export const durationUnits = ["s", "m", "h", "d", "w", "mo"] as const
export type DurationUnit = (typeof durationUnits)[number]

/**
 * Every spelling of each unit that LiteLLM reads as that unit. LiteLLM reads
 * the digits and then `mo` or one of `s m h d w`, ignoring what follows, so
 * "30min" is 30 minutes and "1month" one month; the Go operator passed such
 * spellings through. Only the English words are accepted: "30ms" would be 30
 * minutes to LiteLLM, and "30mx" is a typo.
 */
export const durationSpellings: { readonly [U in DurationUnit]: ReadonlyArray<string> } = {
  s: ["s", "sec", "secs", "second", "seconds"],
  m: ["m", "min", "mins", "minute", "minutes"],
  h: ["h", "hr", "hrs", "hour", "hours"],
  d: ["d", "day", "days"],
  w: ["w", "wk", "wks", "week", "weeks"],
  mo: ["mo", "mon", "mons", "month", "months"]
}

const allSpellings = durationUnits.flatMap((u) => durationSpellings[u])
// Longest first, so that the alternation never stops at a prefix ("mo" before "m").
const UNIT_ALTERNATION = [...allSpellings].sort((a, b) => b.length - a.length).join("|")
/** A positive amount (leading zeros allowed, as LiteLLM's int() reads them) and a unit. */
const DURATION_PATTERN = new RegExp(`^0*([1-9][0-9]{0,8})(${UNIT_ALTERNATION})$`)

export interface ParsedDuration {
  readonly amount: number
  readonly unit: DurationUnit
}

const expectedText =
  'must be a positive whole number followed by a unit: s, m, h, d, w or mo (also sec, min, hr, hours, days, weeks, month and their plurals), such as "30s", "30m", "12h", "30d", "1w" or "1mo"'

const describe = (s: string): string => `${expectedText} (got ${JSON.stringify(s)})`

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

/** CEL: the unit part of a duration that matched the pattern. */
const celUnit = "self.substring(size(self.find('^[0-9]+')))"
const celIn = (u: DurationUnit) => `${celUnit} in [${durationSpellings[u].map((x) => `'${x}'`).join(", ")}]`

/** A LiteLLM duration string such as "30s", "30m", "30h", "30d", "2w" or "1mo", of at most 100 years. */
export const Duration = Schema.String.check(
  Schema.makeFilter((s: string) => (DURATION_PATTERN.test(s) ? undefined : describe(s)), {
    expected: "a duration such as 30s, 30m, 30h, 30d, 1w or 1mo",
    // The same rule at admission, with a message that says what is expected.
    toJsonSchema: () => ({
      pattern: DURATION_PATTERN.source,
      maxLength: 16,
      "x-kubernetes-validations": [{ rule: `self.matches(r'${DURATION_PATTERN.source}')`, message: expectedText }]
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
            rule: `!self.matches(r'${DURATION_PATTERN.source}') || int(self.find('^[0-9]+')) <= (${(["mo", "s", "m", "h", "d"] as const).map((u) => `${celIn(u)} ? ${maxDurationAmounts[u]} : `).join("")}${maxDurationAmounts.w})`,
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
            rule: `!self.matches(r'${DURATION_PATTERN.source}') || !(${celIn("mo")}) || int(self.find('^[0-9]+')) == 1`,
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
  const spelling = match[2] ?? ""
  const unit = durationUnits.find((u) => durationSpellings[u].includes(spelling))
  return unit === undefined ? undefined : { amount: Number(match[1]), unit }
}

/** The canonical string of a parsed duration; `parseDuration(formatDuration(d))` gives `d` back. */
export const formatDuration = (d: ParsedDuration): string => `${d.amount}${d.unit}`

/**
 * The spelling the operator sends and compares: "30min" and "030m" are "30m".
 * LiteLLM echoes the string it was sent, so one spelling per duration keeps
 * plans converging whichever spelling the spec uses.
 */
export const canonicalDuration = (s: string): string => {
  const parsed = parseDuration(s)
  return parsed === undefined ? s : formatDuration(parsed)
}

/** The pattern, for admission rules (CEL) and tests. */
export const durationPattern: string = DURATION_PATTERN.source

/** `canonicalDuration` of an optional field. */
export const optionalCanonicalDuration = (s: string | undefined): string | undefined =>
  s === undefined ? undefined : canonicalDuration(s)
