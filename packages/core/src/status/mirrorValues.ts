/** Conversions from LiteLLM's loosely typed values to the CR status field types. */
import { budgetFromNumber } from "../api/Budget.ts"

/** A whole number, or undefined when LiteLLM has none. */
export const optionalInt = (v: number | null | undefined): number | undefined =>
  v === null || v === undefined ? undefined : Math.trunc(v)

/** A budget string, or undefined when LiteLLM has none. */
export const optionalBudget = (v: number | null | undefined): string | undefined =>
  v === null || v === undefined ? undefined : budgetFromNumber(v)

/** A list of strings read from a JSON value (e.g. `metadata.tags`), or undefined. */
export const stringList = (v: unknown): ReadonlyArray<string> | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === "string") ? v : undefined

/** A JSON object flattened to strings, as the status' string maps expect. */
export const stringMap = (v: unknown): Record<string, string> | undefined => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined
  const entries = Object.entries(v)
  if (entries.length === 0) return undefined
  return Object.fromEntries(entries.map(([k, x]) => [k, typeof x === "string" ? x : JSON.stringify(x)]))
}

/** `{model: {budget_limit: 10}}` as `{model: "10"}`. */
export const modelBudgetMap = (v: unknown): Record<string, string> | undefined => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined
  const entries = Object.entries(v).flatMap(([model, entry]) => {
    const limit = typeof entry === "object" && entry !== null && "budget_limit" in entry ? entry.budget_limit : entry
    return typeof limit === "number" ? [[model, budgetFromNumber(limit)] as const] : []
  })
  return entries.length === 0 ? undefined : Object.fromEntries(entries)
}
