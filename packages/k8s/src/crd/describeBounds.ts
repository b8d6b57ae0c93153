/**
 * Appends each spec field's bounds to its description, so that `kubectl
 * explain` shows them. They are read from the structural schema itself (its
 * OpenAPI bounds and CEL rules), so the text cannot drift from what admission
 * enforces.
 */
import { Predicate } from "effect"
import type { JsonSchema } from "./structural.ts"

const isSchema = (v: unknown): v is JsonSchema => Predicate.isObject(v) && !Array.isArray(v)

const messages = (node: JsonSchema): ReadonlyArray<string> => {
  const v = node["x-kubernetes-validations"]
  return Array.isArray(v)
    ? v.flatMap((r) =>
        Predicate.isObject(r) && typeof Reflect.get(r, "message") === "string"
          ? [String(Reflect.get(r, "message"))]
          : []
      )
    : []
}

const safeText = (node: JsonSchema): boolean => messages(node).some((m) => m.startsWith("must not contain control"))

/** The bounds of a string: its length and characters. */
const stringBounds = (node: JsonSchema, what: string): ReadonlyArray<string> => [
  ...(typeof node.maxLength === "number" ? [`${what} at most ${node.maxLength} characters`] : []),
  ...(safeText(node) ? [`no control, format or bidirectional characters`] : []),
  ...messages(node)
    .filter((m) => m.startsWith("must be at most 100 years"))
    .map(() => "at most 100 years")
]

const boundsOf = (node: JsonSchema): ReadonlyArray<string> => {
  if (node.type === "string") return stringBounds(node, "")
  if (node.type === "integer" && typeof node.maximum === "number") {
    return [`from ${typeof node.minimum === "number" ? node.minimum : "any"} to ${node.maximum}`]
  }
  if (node.type === "array" && typeof node.maxItems === "number") {
    const items = isSchema(node.items) ? node.items : {}
    return [`at most ${node.maxItems} items`, ...stringBounds(items, "each")]
  }
  if (node.type === "object" && typeof node.maxProperties === "number") {
    const values = isSchema(node.additionalProperties) ? node.additionalProperties : {}
    return [
      `at most ${node.maxProperties} entries`,
      "keys at most 256 characters with no control, format or bidirectional characters",
      ...(values.type === "string" ? stringBounds(values, "values") : []),
      ...(values.type === "integer" && typeof values.maximum === "number"
        ? [`values from ${typeof values.minimum === "number" ? values.minimum : "any"} to ${values.maximum}`]
        : [])
    ]
  }
  return []
}

const tidy = (bound: string): string => bound.trim()

/** The schema with "Bounds: …" appended to every described field that has any, recursively. */
export const describeBounds = (node: JsonSchema): JsonSchema => {
  const out: Record<string, unknown> = { ...node }
  if (isSchema(node.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(node.properties).map(([k, v]) => [k, isSchema(v) ? describeBounds(v) : v])
    )
  }
  const bounds = boundsOf(node).map(tidy)
  if (typeof node.description === "string" && bounds.length > 0) {
    out.description = `${node.description}${/[.!?]$/.test(node.description) ? "" : "."} Bounds: ${bounds.join("; ")}.`
  }
  return out
}
