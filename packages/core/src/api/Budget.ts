/**
 * Budgets in the API are decimal strings ("10", "0.5", "1200.75") so that
 * Kubernetes never rounds them; LiteLLM stores them as floats.
 */
import { Schema } from "effect"

const BUDGET_PATTERN = /^(0|[1-9][0-9]{0,11})(\.[0-9]{1,6})?$/

/** A non-negative decimal amount in USD, as a string: digits, optionally a dot and up to six decimals. */
export const Budget = Schema.String.check(
  Schema.makeFilter(
    (s: string) =>
      BUDGET_PATTERN.test(s)
        ? undefined
        : `must be a non-negative decimal amount such as "10" or "12.50" (got ${JSON.stringify(s)})`,
    {
      expected: "a non-negative decimal amount",
      // The same rule at admission, with a message that says what is expected.
      toJsonSchema: () => ({
        pattern: BUDGET_PATTERN.source,
        maxLength: 32,
        "x-kubernetes-validations": [
          {
            rule: `self.matches(r'${BUDGET_PATTERN.source}')`,
            message: 'must be a non-negative decimal amount such as "10" or "12.50"'
          }
        ]
      })
    }
  )
)
export type Budget = typeof Budget.Type

/** The budget as the number LiteLLM stores. */
export const budgetToNumber = (budget: Budget): number => Number(budget)

/** The canonical string for a number LiteLLM returned (no exponent, no trailing zeros). */
export const budgetFromNumber = (amount: number): string => {
  if (Number.isInteger(amount)) return amount.toFixed(0)
  return amount.toFixed(6).replace(/0+$/, "")
}

/** The pattern, for admission rules (CEL) and tests. */
export const budgetPattern: string = BUDGET_PATTERN.source
