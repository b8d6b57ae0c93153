/**
 * LiteLLM's duration strings (litellm-api.md §4.1): `expires` is now plus the
 * duration exactly; `budget_reset_at` is aligned to calendar boundaries (UTC).
 */

export type Duration =
  | { readonly _tag: "Seconds"; readonly seconds: number }
  | { readonly _tag: "Months"; readonly months: number }

export type DurationParse =
  | { readonly ok: true; readonly value: Duration }
  | { readonly ok: false; readonly error: string }

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }

/** Digits then a unit; anything after the unit is ignored (`30min` = 30m, `1month` = 1mo). */
export const parseDuration = (input: string): DurationParse => {
  const match = /^(\d+)(.*)$/s.exec(input)
  if (match === null) return { ok: false, error: `Invalid duration format: ${input}` }
  const n = Number(match[1])
  const unit = match[2] ?? ""
  if (unit.startsWith("mo")) return { ok: true, value: { _tag: "Months", months: n } }
  const perUnit = UNIT_SECONDS[unit.charAt(0)]
  if (perUnit === undefined) return { ok: false, error: `Unsupported duration unit: ${input}` }
  return { ok: true, value: { _tag: "Seconds", seconds: n * perUnit } }
}

/** Same day of month `months` later, clamped to the month's end, same time of day. */
const addMonths = (from: Date, months: number): Date => {
  const y = from.getUTCFullYear()
  const m = from.getUTCMonth() + months
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate()
  const day = Math.min(from.getUTCDate(), lastDay)
  return new Date(
    Date.UTC(y, m, day, from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds())
  )
}

/** `expires` for a key `duration`: exact, not aligned. */
export const expiresAt = (now: number, duration: Duration): Date =>
  duration._tag === "Seconds" ? new Date(now + duration.seconds * 1000) : addMonths(new Date(now), duration.months)

const midnight = (d: Date, plusDays = 0): Date =>
  new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + plusDays))

const firstOfNextMonth = (d: Date): Date => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))

/** The next multiple of `step` units strictly after `value`, within its parent period. */
const nextMultiple = (value: number, step: number): number => (Math.floor(value / step) + 1) * step

/**
 * `budget_reset_at` for a `budget_duration`: 1d → next midnight, 7d/1w → next
 * Monday, 30d/1mo → the 1st of next month, other Nd → today + N days, Nh/Nm/Ns →
 * the next multiple within the day/hour/minute. Unparsable → next midnight.
 * `Nmo` with N ≠ 1 is an error (only monthly resets are supported).
 */
export const budgetResetAt = (now: number, input: string): { ok: true; value: Date } | { ok: false; error: string } => {
  const at = new Date(now)
  const parsed = parseDuration(input)
  if (!parsed.ok) return { ok: true, value: midnight(at, 1) }
  const duration = parsed.value
  if (duration._tag === "Months") {
    return duration.months === 1
      ? { ok: true, value: firstOfNextMonth(at) }
      : { ok: false, error: `Only 1-month budget durations are supported, got ${input}` }
  }
  const s = duration.seconds
  if (s % 86400 === 0) {
    const days = s / 86400
    if (days === 1) return { ok: true, value: midnight(at, 1) }
    if (days === 7) {
      const untilMonday = (8 - at.getUTCDay()) % 7 || 7
      return { ok: true, value: midnight(at, untilMonday) }
    }
    if (days === 30) return { ok: true, value: firstOfNextMonth(at) }
    return { ok: true, value: midnight(at, days) }
  }
  const day = midnight(at).getTime()
  if (s % 3600 === 0) {
    const hours = nextMultiple(at.getUTCHours(), s / 3600)
    return { ok: true, value: new Date(hours >= 24 ? midnight(at, 1).getTime() : day + hours * 3600_000) }
  }
  const hour = day + at.getUTCHours() * 3600_000
  if (s % 60 === 0) {
    const minutes = nextMultiple(at.getUTCMinutes(), s / 60)
    return { ok: true, value: new Date(minutes >= 60 ? hour + 3600_000 : hour + minutes * 60_000) }
  }
  const minute = hour + at.getUTCMinutes() * 60_000
  const seconds = nextMultiple(at.getUTCSeconds(), s)
  return { ok: true, value: new Date(seconds >= 60 ? minute + 60_000 : minute + seconds * 1000) }
}
