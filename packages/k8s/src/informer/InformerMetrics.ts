/**
 * The informers' health on /metrics, labelled by `resource` (the plural) and
 * `selector` (the informer's label selector, "" for none): how often they
 * list, why their watches restart, how many objects they skipped as
 * malformed, and when they last heard from the API server (a timestamp, so
 * that an alert computes the age: `time() - ...`).
 */
import { Metric } from "effect"

export const informerListsTotal = Metric.counter("litellm_operator_informer_lists_total", {
  description: "Full lists by an informer: the first one, and each relist after an expired resourceVersion or an error",
  incremental: true
})

export const informerWatchRestartsTotal = Metric.counter("litellm_operator_informer_watch_restarts_total", {
  description:
    "Watches that ended abnormally, by reason: gone (410, the resourceVersion expired), silent (no event or bookmark for too long), error",
  incremental: true
})

export const informerMalformedTotal = Metric.counter("litellm_operator_informer_malformed_objects_total", {
  description:
    "Objects an informer received that do not match their schema (kept out of the cache), per list or watch event",
  incremental: true
})

export const informerLastSyncTimestamp = Metric.gauge("litellm_operator_informer_last_sync_timestamp_seconds", {
  description: "When an informer last received a list or a watch event or bookmark, in seconds since the epoch"
})
