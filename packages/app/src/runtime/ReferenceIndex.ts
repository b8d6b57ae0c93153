/**
 * Which objects name which thing (a Secret, a Team alias, a User's email, the
 * teams a User joins): kept from informer events, so a change to the thing
 * requeues exactly the objects that name it, without scanning every cache
 * (controller-runtime's field indexes).
 */
import type { CustomObject, InformerEvent } from "@litellm-operator/k8s"
import { keyOf, keyString } from "@litellm-operator/k8s"
import type { Stream } from "effect"
import { Effect, Stream as S } from "effect"

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

/**
 * An index of one kind's objects by what each names (`refsOf`; nothing once
 * deleted), kept from its informer's events in the current scope; its values
 * are the objects' keys. `onReleased` hears of refs nothing names any more.
 */
export const keepIndex = Effect.fnUntraced(function* <A extends CustomObject<unknown>>(
  events: Stream.Stream<InformerEvent<A>>,
  refsOf: (object: A) => Iterable<string>,
  onReleased: (ref: string) => Effect.Effect<void> = () => Effect.void
) {
  const index = makeReferenceIndex<string>()
  yield* Effect.forkScoped(
    S.runForEach(events, (event) => {
      if (event.type === "Malformed") return Effect.void
      const key = keyString(keyOf(event.object))
      const released = index.setAll(key, event.type === "Deleted" ? [] : refsOf(event.object), key)
      return Effect.forEach(released, onReleased, { discard: true })
    })
  )
  return index
})
