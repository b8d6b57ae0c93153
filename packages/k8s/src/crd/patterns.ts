/**
 * Effect writes a `pattern` into JSON Schema only for RegExps with the `u`
 * flag (JSON Schema patterns are Unicode); the core's `Schema.isPattern`
 * checks have none, so their patterns would silently be missing from the CRDs.
 * This puts them back, found through the schema's representation, which
 * mirrors the JSON Schema's shape (properties, map values, list items).
 */
import type { Schema } from "effect"
import { SchemaAST, SchemaRepresentation } from "effect"
import type { JsonSchema } from "./structural.ts"

const isSchema = (v: unknown): v is JsonSchema => typeof v === "object" && v !== null && !Array.isArray(v)

const patternsOf = (rep: SchemaRepresentation.Representation): ReadonlyArray<string> =>
  "checks" in rep
    ? rep.checks.flatMap((check) => {
        if (check._tag !== "Filter" || check.representation?.id !== "effect/schema/isPattern") return []
        const payload = check.representation.payload
        return isSchema(payload) && typeof payload.source === "string" ? [payload.source] : []
      })
    : []

const hasPattern = (node: JsonSchema): boolean =>
  node.pattern !== undefined || (Array.isArray(node.allOf) && node.allOf.some((p) => isSchema(p) && hasPattern(p)))

export const withPatterns = (json: JsonSchema, schema: Schema.Top): JsonSchema => {
  const document = SchemaRepresentation.toRepresentation(SchemaAST.toEncoded(schema.ast))
  const visit = (node: JsonSchema, rep: SchemaRepresentation.Representation): JsonSchema => {
    if (rep._tag === "Reference") {
      const target = document.references[rep.$ref]
      return target === undefined ? node : visit(node, target)
    }
    let out: Record<string, unknown> = { ...node }
    const [pattern] = patternsOf(rep)
    if (pattern !== undefined && !hasPattern(node)) out = { ...out, pattern }
    if (rep._tag === "Objects") {
      if (isSchema(out.properties)) {
        const props: Record<string, unknown> = { ...out.properties }
        for (const ps of rep.propertySignatures) {
          const child = typeof ps.name === "string" ? props[ps.name] : undefined
          if (typeof ps.name === "string" && isSchema(child)) props[ps.name] = visit(child, ps.type)
        }
        out.properties = props
      }
      const [index] = rep.indexSignatures
      if (index !== undefined && isSchema(out.additionalProperties)) {
        out.additionalProperties = visit(out.additionalProperties, index.type)
      }
    }
    if (rep._tag === "Arrays") {
      const [item] = rep.rest
      if (item !== undefined && isSchema(out.items)) out.items = visit(out.items, item)
    }
    return out
  }
  return visit(json, document.representation)
}
