/**
 * One copy of each short string an informer caches. Values decoded from JSON
 * are never shared: every cached object would carry its own copy of its
 * namespace, apiVersion, finalizer, condition reason and message, labels and
 * the like — a third of what a cached object takes (BENCHMARKS.md, "Where the
 * memory goes"). An object is walked once on arrival, before it is cached, and
 * each string of at most `maxLength` characters is replaced by the copy seen
 * first.
 *
 * The table is bounded: when it holds `capacity` strings it starts over, so
 * values that never repeat (uids, timestamps) cannot make it grow; strings
 * already shared stay shared. Fields that can hold a key (a Secret's `data` and
 * `stringData`, a VirtualKey's `key`) are left alone, so that no key value is
 * kept by the table after its object is gone.
 *
 * The same walk trims every array to its length: a decoded array is built by
 * appending, and V8 leaves it room for 17 elements (152 bytes) however few it
 * holds — a third of what a cached VirtualKey took before (BENCHMARKS.md).
 */
export interface SharedStrings {
  /** Replaces, in place, every short string of a freshly decoded object by its shared copy, and trims its arrays. */
  readonly share: <A>(object: A) => A
  /** Strings in the table now (at most `capacity`). */
  readonly size: () => number
}

const secretFields: ReadonlySet<string> = new Set(["data", "stringData", "key"])

export const makeSharedStrings = (options: { readonly capacity?: number; readonly maxLength?: number } = {}) => {
  const capacity = options.capacity ?? 4096
  const maxLength = options.maxLength ?? 64
  let table = new Map<string, string>()
  const shared = (s: string): string => {
    if (s.length > maxLength) return s
    const known = table.get(s)
    if (known !== undefined) return known
    if (table.size >= capacity) table = new Map()
    table.set(s, s)
    return s
  }
  const walk = (value: unknown): unknown => {
    if (typeof value === "string") return shared(value)
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = walk(value[i])
      // A copy of a fast array has exactly its length for capacity.
      return value.slice()
    }
    if (value !== null && typeof value === "object") {
      for (const key of Object.keys(value)) {
        if (secretFields.has(key)) continue
        const field: unknown = Reflect.get(value, key)
        // Always written back: an equal string is `===` to its shared copy, yet another string in memory.
        if (typeof field === "string") Reflect.set(value, key, shared(field))
        else {
          const walked = walk(field)
          if (walked !== field) Reflect.set(value, key, walked)
        }
      }
    }
    return value
  }
  return {
    share: <A>(object: A): A => {
      walk(object)
      return object
    },
    size: () => table.size
  } satisfies SharedStrings
}
