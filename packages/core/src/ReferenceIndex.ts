/**
 * Which objects name which thing: a multimap from each ref to the objects
 * that name it, and back, so a change of what an object names moves it
 * between refs without a scan (controller-runtime's field indexes,
 * client-go's indexers). Pure data: the informers' stores and the operator's
 * watches keep one each.
 */
export interface ReferenceIndex<V> {
  /** `id` (an object) now names `ref` (or nothing); returns a ref that nothing names any more. */
  readonly set: (id: string, ref: string | undefined, value: V) => string | undefined
  /** `id` now names each of `refs`; returns the refs that nothing names any more. */
  readonly setAll: (id: string, refs: Iterable<string>, value: V) => ReadonlyArray<string>
  /** The values of the objects that name `ref`. */
  readonly dependents: (ref: string) => ReadonlyArray<V>
  /** How many distinct refs are named. */
  readonly size: () => number
}

export const makeReferenceIndex = <V>(): ReferenceIndex<V> => {
  // Each ref's one copy of its string, held by every object that names it (thousands name one Secret).
  const byRef = new Map<string, { readonly ref: string; readonly holders: Map<string, V> }>()
  // What each object names: most name one thing, kept as that string; a Set only for several (memory).
  const byId = new Map<string, string | ReadonlySet<string>>()

  const setAll = (id: string, refs: Iterable<string>, value: V): ReadonlyArray<string> => {
    const next = new Set(refs)
    const released: Array<string> = []
    const named = byId.get(id)
    for (const previous of typeof named === "string" ? [named] : (named ?? [])) {
      if (next.has(previous)) continue
      const entry = byRef.get(previous)
      entry?.holders.delete(id)
      if (entry !== undefined && entry.holders.size === 0) {
        byRef.delete(previous)
        released.push(previous)
      }
    }
    const kept: Array<string> = []
    for (const ref of next) {
      const entry = byRef.get(ref) ?? { ref, holders: new Map<string, V>() }
      entry.holders.set(id, value)
      byRef.set(ref, entry)
      kept.push(entry.ref)
    }
    if (kept.length === 0) byId.delete(id)
    else byId.set(id, kept.length === 1 ? (kept[0] ?? "") : new Set(kept))
    return released
  }

  return {
    set: (id, ref, value) => setAll(id, ref === undefined ? [] : [ref], value)[0],
    setAll,
    dependents: (ref) => [...(byRef.get(ref)?.holders.values() ?? [])],
    size: () => byRef.size
  }
}
