/** Structural equality of two statuses, to decide whether a status patch is needed at all. */
const definedEntries = (o: object): ReadonlyArray<readonly [string, unknown]> =>
  Object.entries(o).filter(([, v]) => v !== undefined)

export const sameStatus = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameStatus(x, b[i]))
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) || Array.isArray(b)) return false
  const ea = definedEntries(a)
  const eb = new Map(definedEntries(b))
  return ea.length === eb.size && ea.every(([k, v]) => eb.has(k) && sameStatus(v, eb.get(k)))
}
