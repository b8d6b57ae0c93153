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

const sortedJson = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(sortedJson)
  if (typeof v !== "object" || v === null) return v
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .flatMap((k) => {
        const x: unknown = Reflect.get(v, k)
        return x === null || x === undefined ? [] : [[k, sortedJson(x)] as const]
      })
  )
}

/**
 * A JSON object LiteLLM joins to a row (a budget row, a model table) as the
 * text of a string status field: keys sorted and nulls left out, so the same
 * answer always gives the same text and the status does not flap.
 */
export const jsonText = (v: unknown): string | undefined =>
  typeof v !== "object" || v === null || Array.isArray(v) ? undefined : JSON.stringify(sortedJson(v))

/** `{model: {budget_limit: 10}}` as `{model: "10"}`. */
export const modelBudgetMap = (v: unknown): Record<string, string> | undefined => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined
  const entries = Object.entries(v).flatMap(([model, entry]) => {
    const limit = typeof entry === "object" && entry !== null && "budget_limit" in entry ? entry.budget_limit : entry
    return typeof limit === "number" ? [[model, budgetFromNumber(limit)] as const] : []
  })
  return entries.length === 0 ? undefined : Object.fromEntries(entries)
}

/**
 * The most one mirrored status field holds, in bytes of its JSON. LiteLLM may
 * hold objects made by others, with values of any size; a status that copied
 * them could grow past what the API server stores, and then not even the
 * Ready condition could be written. With every spec field bounded and each of
 * a status' two dozen mirrored fields capped here, spec and status together
 * stay well under etcd's 1.5 MiB for any object admission accepts in ASCII.
 */
export const mirrorFieldMaxBytes = 8 * 1024

const utf8Bytes = (s: string): number => {
  let n = 0
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4
  }
  return n
}

/** The size of a value as the API server stores it: its JSON, in UTF-8 bytes. */
export const jsonBytes = (v: unknown): number => utf8Bytes(JSON.stringify(v) ?? "")

/** Keeps the start of a string that fits, with "…" to show it was cut. */
const cutText = (s: string, max: number): string => {
  let out = ""
  let bytes = jsonBytes("…")
  for (const ch of s) {
    const size = jsonBytes(ch) - 2
    if (bytes + size > max) break
    out += ch
    bytes += size
  }
  return `${out}…`
}

/** Keeps the leading items that fit. */
const cutList = <A>(items: ReadonlyArray<A>, max: number): ReadonlyArray<A> => {
  const out: Array<A> = []
  let bytes = 2
  for (const item of items) {
    const size = jsonBytes(item) + 1
    if (bytes + size > max) break
    out.push(item)
    bytes += size
  }
  return out
}

/** Keeps the entries that fit, in key order (so the same answer always gives the same status). */
const cutMap = (map: Readonly<Record<string, string>>, max: number): Record<string, string> => {
  const out: Record<string, string> = {}
  let bytes = 2
  for (const k of Object.keys(map).sort()) {
    const v = map[k] ?? ""
    const size = jsonBytes(k) + jsonBytes(v) + 2
    if (bytes + size > max) break
    out[k] = v
    bytes += size
  }
  return out
}

/**
 * Caps the fields of one status mirror, and remembers which it cut, so that
 * the status can say so in `truncated`.
 */
export const makeMirrorCap = (max: number = mirrorFieldMaxBytes) => {
  const cut = new Set<string>()
  const note = <A>(field: string, value: A, capped: A): A => {
    if (capped !== value) cut.add(field)
    return capped
  }
  return {
    text: (field: string, v: string | null | undefined): string | undefined =>
      v === null || v === undefined ? undefined : jsonBytes(v) <= max ? v : note(field, v, cutText(v, max)),
    list: <A>(field: string, v: ReadonlyArray<A> | null | undefined): ReadonlyArray<A> | undefined =>
      v === null || v === undefined ? undefined : jsonBytes(v) <= max ? v : note(field, v, cutList(v, max)),
    map: (field: string, v: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined =>
      v === undefined ? undefined : jsonBytes(v) <= max ? { ...v } : note(field, v, cutMap(v, max)),
    /** The fields cut so far, sorted; undefined when none was. */
    truncated: (): ReadonlyArray<string> | undefined => (cut.size === 0 ? undefined : [...cut].sort())
  }
}

export type MirrorCap = ReturnType<typeof makeMirrorCap>
