/**
 * Field shapes shared by the four kinds' specs and statuses.
 *
 * Every spec string, list and map is bounded, so that nothing reaches LiteLLM
 * (or the CR's status) that a Kubernetes object cannot hold, and names carry
 * no characters that rewrite what `kubectl get` shows. Each check exists
 * twice: here, for the operator's own decoding (an object admitted by an older
 * CRD, or with validation off, gets Ready=False InvalidSpec), and as the
 * OpenAPI bound or CEL rule the CRD carries for admission.
 */
import { Schema } from "effect"

/** The bounds of the API, documented in the README and in each field's description. */
export const bounds = {
  /** Ids, aliases, model names, tags, guardrails, routes and other names. */
  identifier: 256,
  /** RFC 5321: 64 for the local part, 255 for the domain, and the "@". */
  email: 320,
  /** Kubernetes object names (DNS subdomains). */
  kubeName: 253,
  /** Items of any list. */
  listItems: 256,
  /** Entries of a free-form map (metadata, config, permissions, aliases). */
  mapEntries: 64,
  /** Entries of a per-model map (one per model, like the models list). */
  modelMapEntries: 256,
  /** A value of a free-form map (metadata, config, permissions). */
  freeformValue: 1024,
  /** Rate limits and parallel requests. */
  limit: 1_000_000_000_000
} as const

/** An object of string keys and string values, as the status holds them (status fields are capped, not bounded). */
export const StringMap = Schema.Record(Schema.String, Schema.String)
export type StringMap = typeof StringMap.Type

/** A list of strings, as the status holds them. */
export const StringList = Schema.Array(Schema.String)
export type StringList = typeof StringList.Type

/** The length Kubernetes checks `maxLength` against: Unicode code points, not UTF-16 units. */
export const codePoints = (s: string): number => {
  let n = 0
  for (const _ of s) n++
  return n
}

/**
 * Control characters (C0 and C1, newline and tab included), format characters
 * (zero-width space and joiners, bidirectional embeddings, overrides, isolates
 * and marks, all Unicode category Cf) and the line and paragraph separators.
 * Lone surrogates cannot reach the API server (it reads UTF-8), only this check.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u
/** The same class for CEL (RE2, which has no surrogates in valid UTF-8). */
const UNSAFE_CEL = String.raw`[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]`

const unsafeMessage =
  "must not contain control characters (such as newline or tab), Unicode format characters (such as zero-width space) or bidirectional controls (such as U+202E)"

const codePointName = (c: string): string => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`

/** Why a name is not safe to show and send, or undefined when it is. */
export const unsafeCharacter = (s: string): string | undefined => {
  const match = UNSAFE.exec(s)
  return match === null ? undefined : `${unsafeMessage}; found ${codePointName(match[0])} at position ${match.index}`
}

/** No character that hides, reorders or breaks what is shown. */
export const isSafeText = Schema.makeFilter((s: string) => unsafeCharacter(s), {
  expected: "text without control, format or bidirectional characters",
  toJsonSchema: () => ({
    "x-kubernetes-validations": [{ rule: `!self.matches(r'${UNSAFE_CEL}')`, message: unsafeMessage }]
  })
})

/** At most `max` characters (code points, as Kubernetes counts them). The message never repeats the value. */
export const isAtMostChars = (max: number) =>
  Schema.makeFilter(
    (s: string) => {
      const n = codePoints(s)
      return n > max ? `must be at most ${max} characters (got ${n})` : undefined
    },
    { expected: `at most ${max} characters`, toJsonSchema: () => ({ maxLength: max }) }
  )

const isNotEmpty = Schema.makeFilter((s: string) => (s.length === 0 ? "must not be empty" : undefined), {
  expected: "a non-empty string",
  toJsonSchema: () => ({ minLength: 1 })
})

/** A name safe to show and send, of at most `max` characters; `allowEmpty` for list items, which were never required to be non-empty. */
const safeName = (max: number, allowEmpty = false) =>
  allowEmpty
    ? Schema.String.check(isAtMostChars(max), isSafeText)
    : Schema.String.check(isNotEmpty, isAtMostChars(max), isSafeText)

/** An id, alias, model name or other name: 1 to 256 characters, no control, format or bidirectional characters. */
export const Identifier = safeName(bounds.identifier)
/** An email address: 1 to 320 characters, no control, format or bidirectional characters. */
export const Email = safeName(bounds.email)
/** A Kubernetes object name (a Secret, a namespace, a LiteLLM instance). */
export const KubeName = safeName(bounds.kubeName)
/** An item of a list of names (models, tags, guardrails, routes, teams). */
export const ListItem = safeName(bounds.identifier, true)
/** A value of a free-form map: any text of at most 1024 characters. */
export const FreeformValue = Schema.String.check(isAtMostChars(bounds.freeformValue))

/** At most `max` items. */
export const isAtMostItems = (max: number) =>
  Schema.makeFilter(
    (list: ReadonlyArray<unknown>) =>
      list.length > max ? `must have at most ${max} items (got ${list.length})` : undefined,
    { expected: `at most ${max} items`, toJsonSchema: () => ({ maxItems: max }) }
  )

const keyRule = `self.all(k, size(k) <= ${bounds.identifier} && !k.matches(r'${UNSAFE_CEL}'))`
const keyMessage = `keys must be at most ${bounds.identifier} characters and ${unsafeMessage}`

const shortKey = (k: string): string => JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k)

/**
 * At most `max` entries, each key a name of at most 256 characters without
 * unsafe characters. Kubernetes has no schema for map keys, so the key rule is CEL.
 */
export const isBoundedMap = (max: number) =>
  Schema.makeFilter(
    (map: { readonly [key: string]: unknown }) => {
      const keys = Object.keys(map)
      if (keys.length > max) return `must have at most ${max} entries (got ${keys.length})`
      for (const k of keys) {
        const n = codePoints(k)
        if (n > bounds.identifier)
          return `key ${shortKey(k)} must be at most ${bounds.identifier} characters (got ${n})`
        const unsafe = unsafeCharacter(k)
        if (unsafe !== undefined) return `key ${shortKey(k)} ${unsafe}`
      }
      return undefined
    },
    {
      expected: `at most ${max} entries with safe keys`,
      toJsonSchema: () => ({ maxProperties: max, "x-kubernetes-validations": [{ rule: keyRule, message: keyMessage }] })
    }
  )

/** A list of names: at most 256 items of at most 256 characters. */
export const NameList = Schema.Array(ListItem).check(isAtMostItems(bounds.listItems))
export type NameList = typeof NameList.Type

/** A map from names to names (model aliases): at most 64 entries. */
export const NameMap = Schema.Record(Schema.String, ListItem).check(isBoundedMap(bounds.mapEntries))
export type NameMap = typeof NameMap.Type

/** Free-form text by name (metadata, config, permissions): at most 64 entries, values of at most 1024 characters. */
export const FreeformMap = Schema.Record(Schema.String, FreeformValue).check(isBoundedMap(bounds.mapEntries))
export type FreeformMap = typeof FreeformMap.Type

/** A map keyed by model name: at most 256 entries (one per model, like the models list). */
export const isModelMap = isBoundedMap(bounds.modelMapEntries)

/** A whole number from 0 to 10^12 (rate limits, parallel requests). */
export const Limit = Schema.Int.check(
  Schema.isGreaterThanOrEqualTo(0),
  Schema.isLessThanOrEqualTo(bounds.limit, { expected: `at most ${bounds.limit}` })
)

/** Adds a description, which the CRDs carry so that `kubectl explain` helps. */
export const described =
  (description: string) =>
  <S extends Schema.Top>(schema: S): S["Rebuild"] =>
    schema.annotate({ description })
