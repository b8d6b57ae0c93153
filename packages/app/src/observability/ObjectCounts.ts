/**
 * litellm_operator_objects and litellm_operator_objects_not_ready for one
 * kind, kept from its informer's events (which mirror its cache) and
 * published as they change: no poll, no scan of the cache.
 */
import type { Condition } from "@litellm-operator/core"
import { metricSeries, readyOf } from "@litellm-operator/core"
import { Effect, Metric } from "effect"
import { objectsNotReady, objectsTotal } from "./OperatorMetrics.ts"

/** What every kind's status has: the Ready condition among its conditions. */
export type WithConditions = { readonly conditions?: ReadonlyArray<Condition> | undefined }

/** The reason an object is counted under as not Ready (Pending before its first status); undefined when Ready. */
const notReadyReason = (object: { readonly status?: WithConditions | undefined }): string | undefined => {
  const ready = readyOf(object.status?.conditions)
  if (ready?.status === "True") return undefined
  return ready === undefined || ready.reason === "" ? "Pending" : ready.reason
}

/** Objects whose Ready condition is not True, by its reason (Pending when there is none yet). */
export const notReadyByReason = (
  objects: ReadonlyArray<{ readonly status?: WithConditions | undefined }>
): ReadonlyMap<string, number> => {
  const counts = new Map<string, number>()
  for (const object of objects) {
    const reason = notReadyReason(object)
    if (reason !== undefined) counts.set(reason, (counts.get(reason) ?? 0) + 1)
  }
  return counts
}

export interface ObjectCounts {
  /** The object under `key` is now `object` (undefined: gone from the cache). */
  readonly set: (
    key: string,
    object: { readonly status?: WithConditions | undefined } | undefined
  ) => Effect.Effect<void>
}

/** Starts at 0 objects, published at once so the series exists before the first object does. */
export const makeObjectCounts = Effect.fnUntraced(function* (kind: string) {
  /** Each cached object's not-Ready reason ("" when Ready). */
  const reasons = new Map<string, string>()
  /** Per reason once reported: a reason that empties drops back to 0, not out. */
  const notReady = new Map<string, number>()
  const notReadySeries = metricSeries(objectsNotReady)
  const total = Metric.withAttributes(objectsTotal, { kind })
  // Updated in place, in the registry where the counts were made: this runs for every event of the kind.
  const context = yield* Effect.context<never>()
  const publish = (reason: string | undefined) => {
    if (reason !== undefined && reason !== "")
      notReadySeries({ kind, reason }).updateUnsafe(notReady.get(reason) ?? 0, context)
  }
  total.updateUnsafe(0, context)
  return {
    set: (key, object) =>
      Effect.sync(() => {
        const before = reasons.get(key)
        const after = object === undefined ? undefined : (notReadyReason(object) ?? "")
        if (before === after) return
        if (before !== undefined && before !== "") notReady.set(before, (notReady.get(before) ?? 1) - 1)
        if (after !== undefined && after !== "") notReady.set(after, (notReady.get(after) ?? 0) + 1)
        if (after === undefined) reasons.delete(key)
        else reasons.set(key, after)
        total.updateUnsafe(reasons.size, context)
        publish(before)
        publish(after)
      })
  } satisfies ObjectCounts
})
