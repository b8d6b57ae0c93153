/**
 * Which objects name which thing (a Secret, a Team alias, a User's email):
 * kept from informer events, so a change to the thing requeues exactly the
 * objects that name it, without scanning every cache (controller-runtime's
 * field indexes). Each object names at most one thing per index.
 */

export interface ReferenceIndex<V> {
  /** `id` (an object) now names `ref` (or nothing); returns a ref that nothing names any more. */
  readonly set: (id: string, ref: string | undefined, value: V) => string | undefined
  /** The values of the objects that name `ref`. */
  readonly dependents: (ref: string) => ReadonlyArray<V>
  /** How many distinct refs are named. */
  readonly size: () => number
}

export const makeReferenceIndex = <V>(): ReferenceIndex<V> => {
  const byRef = new Map<string, Map<string, V>>()
  const byId = new Map<string, string>()

  const set = (id: string, ref: string | undefined, value: V): string | undefined => {
    const previous = byId.get(id)
    let released: string | undefined
    if (previous !== undefined && previous !== ref) {
      const holders = byRef.get(previous)
      holders?.delete(id)
      if (holders !== undefined && holders.size === 0) {
        byRef.delete(previous)
        released = previous
      }
    }
    if (ref === undefined) {
      byId.delete(id)
      return released
    }
    byId.set(id, ref)
    const holders = byRef.get(ref) ?? new Map<string, V>()
    holders.set(id, value)
    byRef.set(ref, holders)
    return released
  }

  return {
    set,
    dependents: (ref) => [...(byRef.get(ref)?.values() ?? [])],
    size: () => byRef.size
  }
}
