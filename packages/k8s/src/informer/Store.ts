/**
 * An informer's store (kube-rs's reflector store, client-go's indexer without
 * indexes): the objects by `namespace/name`, and what each list or watch event
 * changed in it, as the events a consumer sees. No Effect and no I/O: the
 * informer applies events to it one at a time.
 */
import { Option } from "effect"
import type { KubeObject, ObjectKey } from "../api/ObjectMeta.ts"
import { keyString } from "../api/ObjectMeta.ts"
import type { MalformedObject, WatchEvent } from "../client/KubeClient.ts"

export type InformerEvent<A> =
  | { readonly type: "Added" | "Modified" | "Deleted"; readonly object: A }
  /** An object that does not match its schema; it is not in the cache. */
  | { readonly type: "Malformed"; readonly object: MalformedObject }

export interface Store<A> {
  readonly get: (key: ObjectKey) => Option.Option<A>
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

export const makeStore = <A extends KubeObject>(): Store<A> => {
  const objects = new Map<string, A>()

  const replace = (items: ReadonlyArray<A>, malformed: ReadonlyArray<MalformedObject>) => {
    const events: Array<InformerEvent<A>> = []
    const seen = new Set<string>()
    for (const object of items) {
      const k = keyString(object.metadata)
      seen.add(k)
      const previous = objects.get(k)
      objects.set(k, object)
      if (previous === undefined) events.push({ type: "Added", object })
      else if (previous.metadata.resourceVersion !== object.metadata.resourceVersion) {
        events.push({ type: "Modified", object })
      }
    }
    for (const bad of malformed) {
      if (bad.key !== undefined) {
        seen.add(keyString(bad.key))
        objects.delete(keyString(bad.key))
      }
      events.push({ type: "Malformed", object: bad })
    }
    for (const [k, object] of objects) {
      if (!seen.has(k)) {
        objects.delete(k)
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
        if (event.object.key !== undefined) objects.delete(keyString(event.object.key))
        return [{ type: "Malformed", object: event.object }]
      case "DELETED":
        objects.delete(keyString(event.object.metadata))
        return [{ type: "Deleted", object: event.object }]
      default: {
        const k = keyString(event.object.metadata)
        const existed = objects.has(k)
        objects.set(k, event.object)
        return [{ type: existed ? "Modified" : "Added", object: event.object }]
      }
    }
  }

  return {
    get: (key) => Option.fromNullishOr(objects.get(keyString(key))),
    list: (namespace) =>
      [...objects.values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace),
    size: () => objects.size,
    replace,
    apply
  }
}
