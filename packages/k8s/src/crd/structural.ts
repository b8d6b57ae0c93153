/**
 * Turns the JSON Schema that Effect derives from the core schemas into a
 * Kubernetes structural schema: checks (emitted as `allOf` entries) are folded
 * into their node, `$ref`s are inlined, and open-object markers that
 * Kubernetes forbids next to `properties` are dropped. A format rule that has
 * a CEL twin keeps only the CEL rule, whose message says what is expected.
 */
import { Predicate } from "effect"

export type JsonSchema = { readonly [key: string]: unknown }

interface Validation {
  readonly rule: string
  readonly message?: string
}

const isValidation = (v: unknown): v is Validation =>
  Predicate.isObject(v) && typeof Reflect.get(v, "rule") === "string"

const validationsOf = (node: JsonSchema): ReadonlyArray<Validation> => {
  const v = node["x-kubernetes-validations"]
  return Array.isArray(v) ? v.filter(isValidation) : []
}

const isSchema = (v: unknown): v is JsonSchema => Predicate.isObject(v) && !Array.isArray(v)

/**
 * The API server refuses a CRD whose CEL rules may cost too much, estimating
 * an unbounded list or map as large as a whole request. Collections whose
 * elements carry rules get this bound unless the schema sets one.
 */
export const celCollectionBound = 1024

const hasRules = (node: unknown): boolean =>
  isSchema(node) &&
  (validationsOf(node).length > 0 ||
    hasRules(node.items) ||
    hasRules(node.additionalProperties) ||
    (isSchema(node.properties) && Object.values(node.properties).some(hasRules)))

export const toStructural = (root: JsonSchema, definitions: JsonSchema = {}): JsonSchema => {
  const visit = (input: JsonSchema): JsonSchema => {
    let node: JsonSchema = input
    const ref = node.$ref
    if (typeof ref === "string") {
      const target = definitions[ref.replace(/^#\/(\$defs|definitions)\//, "")]
      const { $ref: _ref, ...rest } = node
      node = { ...(isSchema(target) ? target : {}), ...rest }
    }
    const { allOf, ...own } = node
    let merged: Record<string, unknown> = { ...own }
    const validations: Array<Validation> = [...validationsOf(own)]
    for (const part of Array.isArray(allOf) ? allOf.filter(isSchema) : []) {
      const flat = visit(part)
      validations.push(...validationsOf(flat))
      merged = { ...merged, ...flat }
    }
    delete merged["x-kubernetes-validations"]
    if (validations.length > 0) {
      merged["x-kubernetes-validations"] = validations
      const pattern = merged.pattern
      if (typeof pattern === "string" && validations.some((v) => v.rule.includes(pattern))) delete merged.pattern
      // An enum whose CEL twin lists every value gives way to it: the API server checks an enum first and,
      // failing it, runs no rule, so only the rule's message can say which value to use instead.
      const values = merged.enum
      if (
        Array.isArray(values) &&
        values.every((v) => typeof v === "string") &&
        validations.some((v) => values.every((x) => v.rule.includes(`'${x}'`)))
      )
        delete merged.enum
      // Likewise a required field whose CEL twin is `has(self.<field>)`: a missing required field blocks every rule.
      const required = merged.required
      if (Array.isArray(required)) {
        const kept = required.filter((f) => !validations.some((v) => v.rule === `has(self.${String(f)})`))
        if (kept.length === 0) delete merged.required
        else merged.required = kept
      }
    }
    if (isSchema(merged.properties)) {
      merged.properties = Object.fromEntries(
        Object.entries(merged.properties).map(([k, v]) => [k, isSchema(v) ? visit(v) : v])
      )
      delete merged.additionalProperties
    } else if (isSchema(merged.additionalProperties)) {
      merged.additionalProperties = visit(merged.additionalProperties)
      if (hasRules(merged.additionalProperties) && merged.maxProperties === undefined) {
        merged.maxProperties = celCollectionBound
      }
    }
    if (isSchema(merged.items)) {
      merged.items = visit(merged.items)
      if (hasRules(merged.items) && merged.maxItems === undefined) merged.maxItems = celCollectionBound
    }
    if (merged.type === "integer") {
      merged.format = "int64"
      if (merged.maximum === Number.MAX_SAFE_INTEGER) delete merged.maximum
    }
    return merged
  }
  return visit(root)
}
