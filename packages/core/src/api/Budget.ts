/**
 * Budgets in the API are decimal strings ("10", "0.5", "1200.75") so that
 * Kubernetes never rounds them; LiteLLM stores them as floats.
 *
 * The Go operator read them with Go's float parser, so manifests written for
 * it may say "1e3", "+5", ".5" or "5."; each means the same number to LiteLLM
 * and is accepted. The bounds hold for the number written: at most 12 digits
 * before the point and 6 after (so "1.5e-7", with 7 decimals, is refused), and
 * nothing negative, infinite or not a number (which LiteLLM refuses or JSON
 * cannot carry).
 */
import { Schema } from "effect"

/** Plain decimals: at most 12 digits before the point and 6 after; a leading "+", ".5" and "5." as Go read them. */
const PLAIN_PATTERN = /^\+?([0-9]{1,12}(\.[0-9]{0,6})?|\.[0-9]{1,6})$/
/** Exponent forms: "1e3", "2.5E+2", "15e-1". */
const EXPONENT_PATTERN = /^\+?([0-9]{1,12}(\.[0-9]{0,12})?|\.[0-9]{1,12})[eE][+-]?[0-9]{1,2}$/

/** Amounts stay below 10^12: 12 digits before the point. */
const AMOUNT_LIMIT = 1_000_000_000_000

/** The decimals of the number an exponent form writes: those of its mantissa minus its exponent. */
const exponentDecimals = (s: string): number => {
  const [mantissa = "", exponent = "0"] = s.toLowerCase().split("e")
  const fraction = mantissa.split(".")[1] ?? ""
  return fraction.length - Number(exponent)
}

const isBudget = (s: string): boolean =>
  PLAIN_PATTERN.test(s) || (EXPONENT_PATTERN.test(s) && Number(s) < AMOUNT_LIMIT && exponentDecimals(s) <= 6)

const expectedText =
  'must be a non-negative decimal amount such as "10", "12.50" or "1e3", of at most 12 digits before the point and 6 after'

// The same rules in CEL: the exponent form's decimals are the mantissa's fraction digits minus the exponent.
const celExponentDecimals =
  "(self.lowerAscii().split('e')[0].contains('.') ? size(self.lowerAscii().split('e')[0].split('.')[1]) : 0) - int(self.lowerAscii().split('e')[1])"

/** A non-negative decimal amount in USD, as a string. */
export const Budget = Schema.String.check(
  Schema.makeFilter((s: string) => (isBudget(s) ? undefined : `${expectedText} (got ${JSON.stringify(s)})`), {
    expected: "a non-negative decimal amount",
    // The same rule at admission, with a message that says what is expected.
    toJsonSchema: () => ({
      maxLength: 32,
      "x-kubernetes-validations": [
        {
          rule: `self.matches(r'${PLAIN_PATTERN.source}') || (self.matches(r'${EXPONENT_PATTERN.source}') && double(self) < ${AMOUNT_LIMIT}.0 && ${celExponentDecimals} <= 6)`,
          message: expectedText
        }
      ]
    })
  })
)
export type Budget = typeof Budget.Type

/** The budget as the number LiteLLM stores. */
export const budgetToNumber = (budget: Budget): number => Number(budget)

/** The canonical string for a number LiteLLM returned (no exponent, no trailing zeros). */
export const budgetFromNumber = (amount: number): string => {
  if (Number.isInteger(amount)) return amount.toFixed(0)
  return amount.toFixed(6).replace(/0+$/, "")
}
