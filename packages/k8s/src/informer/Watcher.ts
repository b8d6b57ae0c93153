/**
 * The watch state machine of an informer (kube-rs's watcher, as pure
 * transitions): list first, then watch from the list's resourceVersion,
 * moving that position forward with every event and bookmark, so a watch the
 * server ends resumes where it stopped. A 410 Gone (the position was
 * compacted away) or any error goes back to a list: the position itself may be
 * what is wrong (e.g. too new after a restore).
 */
import type { KubeObject } from "../api/ObjectMeta.ts"
import type { WatchEvent } from "../client/KubeClient.ts"

export type WatcherState =
  /** No usable position: the next step is a list. */
  | { readonly _tag: "Relist" }
  /** Watch from this resourceVersion. */
  | { readonly _tag: "Watching"; readonly resourceVersion: string }

export const relist: WatcherState = { _tag: "Relist" }

export const watchingFrom = (resourceVersion: string): WatcherState => ({ _tag: "Watching", resourceVersion })

export type WatcherInput<A> =
  | { readonly _tag: "Listed"; readonly resourceVersion: string }
  | { readonly _tag: "Event"; readonly event: WatchEvent<A> }
  /** 410 Gone: the resourceVersion expired. */
  | { readonly _tag: "Gone" }
  | { readonly _tag: "Failed" }

/** The position an event moves the watch to; a malformed object without one leaves it. */
const positionAfter = <A extends KubeObject>(event: WatchEvent<A>): string | undefined => {
  switch (event.type) {
    case "BOOKMARK":
      return event.resourceVersion
    case "MALFORMED":
      return event.object.resourceVersion
    default:
      return event.object.metadata.resourceVersion
  }
}

export const step = <A extends KubeObject>(state: WatcherState, input: WatcherInput<A>): WatcherState => {
  switch (input._tag) {
    case "Listed":
      return watchingFrom(input.resourceVersion)
    case "Event": {
      const next = positionAfter(input.event)
      return next === undefined ? state : watchingFrom(next)
    }
    case "Gone":
    case "Failed":
      return relist
  }
}
