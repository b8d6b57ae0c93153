/**
 * Equality as LiteLLM stores values: absent, null, [] and {} all mean "not
 * set"; numbers come back as floats; object key order does not matter.
 */

const isPlainObject = (v: unknown): v is object => typeof v === "object" && v !== null && !Array.isArray(v)

/** Absent, null, [] or {}: what LiteLLM treats as "not set". */
export const isUnset = (v: unknown): boolean =>
  v === null ||
  v === undefined ||
  (Array.isArray(v) && v.length === 0) ||
  (isPlainObject(v) && Object.keys(v).length === 0)

const EPSILON = 1e-9

export const wireEquals = (a: unknown, b: unknown): boolean => {
  if (isUnset(a) && isUnset(b)) return true
  if (typeof a === "number" && typeof b === "number") return Math.abs(a - b) <= EPSILON * Math.max(1, Math.abs(a))
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => wireEquals(x, b[i]))
  if (isPlainObject(a) && isPlainObject(b)) {
    const ea = Object.entries(a)
    const eb = new Map(Object.entries(b))
    return ea.length === eb.size && ea.every(([k, v]) => eb.has(k) && wireEquals(v, eb.get(k)))
  }
  return a === b
}
