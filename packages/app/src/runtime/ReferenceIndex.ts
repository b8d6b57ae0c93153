/**
 * Which objects name which thing (a Secret, a Team alias, a User's email, the
 * teams a User joins): kept from informer events, so a change to the thing
 * requeues exactly the objects that name it, without scanning every cache
 * (controller-runtime's field indexes).
 */
import type { ReferenceIndex } from "@litellm-operator/core"
import { makeReferenceIndex } from "@litellm-operator/core"
import type { CustomObject, InformerEvent } from "@litellm-operator/k8s"
import { keyOf, keyString } from "@litellm-operator/k8s"
import { Effect } from "effect"
import type { SharedEvents } from "./SharedEvents.ts"

export type { ReferenceIndex }

/**
 * An index of one kind's objects by what each names (`refsOf`; nothing once
 * deleted), kept from its informer's events as they are handed out; its values
 * are the objects' keys. `onReleased` hears of refs nothing names any more.
 */
export const keepIndex = Effect.fnUntraced(function* <A extends CustomObject<unknown>>(
  events: SharedEvents<InformerEvent<A>>,
  refsOf: (object: A) => Iterable<string>,
  onReleased: (ref: string) => Effect.Effect<void> = () => Effect.void
) {
  const index = makeReferenceIndex<string>()
  yield* events.on((event) => {
    if (event.type === "Malformed") return undefined
    const key = keyString(keyOf(event.object))
    const released = index.setAll(key, event.type === "Deleted" ? [] : refsOf(event.object), key)
    return released.length === 0 ? undefined : Effect.forEach(released, onReleased, { discard: true })
  })
  return index
})
