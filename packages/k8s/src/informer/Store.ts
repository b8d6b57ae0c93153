/**
 * An informer's store (kube-rs's reflector store, client-go's indexer): the
 * objects by `namespace/name`, the indexes asked for (client-go's `Indexers`:
 * a function of an object gives the values it is found under), and what each
 * list or watch event changed in it, as the events a consumer sees. The
 * indexes change with the objects, in the same step, so a lookup never sees
 * an object the cache no longer holds or misses one it does. No Effect and no
 * I/O: the informer applies events to it one at a time.
 */
import { makeReferenceIndex } from "@litellm-operator/core"
import { Option } from "effect"
import type { KubeObject, ObjectKey } from "../api/ObjectMeta.ts"
import { keyString } from "../api/ObjectMeta.ts"
import type { MalformedObject, WatchEvent } from "../client/KubeClient.ts"

export type InformerEvent<A> =
  | { readonly type: "Added" | "Modified" | "Deleted"; readonly object: A }
  /** An object that does not match its schema; it is not in the cache. */
  | { readonly type: "Malformed"; readonly object: MalformedObject }

/** Named functions of an object giving the values it is indexed under (e.g. `namespace/alias`). */
export type Indexers<A, I extends string> = { readonly [name in I]: (object: A) => Iterable<string> }

export interface Store<A, I extends string = never> {
  readonly get: (key: ObjectKey) => Option.Option<A>
  /** The objects index `name` files under `value`, by a lookup (no scan). */
  readonly byIndex: (name: I, value: string) => ReadonlyArray<A>
  /** Objects of one namespace, or all. */
  readonly list: (namespace?: string) => ReadonlyArray<A>
  readonly size: () => number
  /**
   * Replaces the contents with a fresh list: `Added` or `Modified` (a new
   * resourceVersion) for what the list holds, `Malformed` for what it holds
   * that does not decode (gone from the store), `Deleted` for the rest. So the
   * effect of every event a relist skipped still arrives.
   */
  readonly replace: (
    items: ReadonlyArray<A>,
    malformed: ReadonlyArray<MalformedObject>
  ) => ReadonlyArray<InformerEvent<A>>
  /** One watch event; a bookmark changes nothing. */
  readonly apply: (event: WatchEvent<A>) => ReadonlyArray<InformerEvent<A>>
}

export const makeStore = <A extends KubeObject, I extends string = never>(indexers?: Indexers<A, I>): Store<A, I> => {
  const objects = new Map<string, A>()
  // Each index maps a value to the keys of the objects filed under it (and each key to its values).
  const indexed = Object.entries<(object: A) => Iterable<string>>(indexers ?? {}).map(([name, valuesOf]) => ({
    name,
    valuesOf,
    keys: makeReferenceIndex<string>()
  }))

  /** The one way the store changes: the object under `k` becomes `object` (or goes), and the indexes follow. */
  const put = (k: string, object: A | undefined) => {
    if (object === undefined) objects.delete(k)
    else objects.set(k, object)
    for (const index of indexed) index.keys.setAll(k, object === undefined ? [] : index.valuesOf(object), k)
  }

  const replace = (items: ReadonlyArray<A>, malformed: ReadonlyArray<MalformedObject>) => {
    const events: Array<InformerEvent<A>> = []
    const seen = new Set<string>()
    for (const object of items) {
      const k = keyString(object.metadata)
      seen.add(k)
      const previous = objects.get(k)
      put(k, object)
      if (previous === undefined) events.push({ type: "Added", object })
      else if (previous.metadata.resourceVersion !== object.metadata.resourceVersion) {
        events.push({ type: "Modified", object })
      }
    }
    for (const bad of malformed) {
      if (bad.key !== undefined) {
        seen.add(keyString(bad.key))
        put(keyString(bad.key), undefined)
      }
      events.push({ type: "Malformed", object: bad })
    }
    for (const [k, object] of objects) {
      if (!seen.has(k)) {
        put(k, undefined)
        events.push({ type: "Deleted", object })
      }
    }
    return events
  }

  const apply = (event: WatchEvent<A>): ReadonlyArray<InformerEvent<A>> => {
    switch (event.type) {
      case "BOOKMARK":
        return []
      case "MALFORMED":
        if (event.object.key !== undefined) put(keyString(event.object.key), undefined)
        return [{ type: "Malformed", object: event.object }]
      case "DELETED":
        put(keyString(event.object.metadata), undefined)
        return [{ type: "Deleted", object: event.object }]
      default: {
        const k = keyString(event.object.metadata)
        const existed = objects.has(k)
        put(k, event.object)
        return [{ type: existed ? "Modified" : "Added", object: event.object }]
      }
    }
  }

  return {
    get: (key) => Option.fromNullishOr(objects.get(keyString(key))),
    byIndex: (name, value) =>
      (indexed.find((index) => index.name === name)?.keys.dependents(value) ?? []).flatMap((k) => objects.get(k) ?? []),
    list: (namespace) =>
      [...objects.values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace),
    size: () => objects.size,
    replace,
    apply
  }
}
