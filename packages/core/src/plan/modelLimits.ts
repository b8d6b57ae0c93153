/** Per-model budgets and limits: the spec's string maps and LiteLLM's wire shapes. */
import { budgetToNumber } from "../api/Budget.ts"

/** `{model: "10"}` → `{model: {budget_limit: 10}}`, as LiteLLM's `model_max_budget` takes it. */
export const modelBudgetsToWire = (m: { readonly [model: string]: string } | undefined) =>
  m === undefined
    ? undefined
    : Object.fromEntries(Object.entries(m).map(([model, b]) => [model, { budget_limit: budgetToNumber(b) }]))

/** LiteLLM's stored `model_max_budget`, reduced to the budget limit the operator sets. */
export const modelBudgetsFromWire = (value: unknown) =>
  value === null || typeof value !== "object"
    ? value
    : Object.fromEntries(
        Object.entries(value).map(([model, entry]) => [
          model,
          {
            budget_limit:
              typeof entry === "object" && entry !== null && "budget_limit" in entry ? entry.budget_limit : entry
          }
        ])
      )

/** `{model: "100"}` → `{model: 100}` (the User API gives per-model limits as strings). */
export const modelLimitsToWire = (m: { readonly [model: string]: string } | undefined) =>
  m === undefined ? undefined : Object.fromEntries(Object.entries(m).map(([model, n]) => [model, Number(n)]))
