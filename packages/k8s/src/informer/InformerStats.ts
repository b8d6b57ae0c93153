/**
 * What an informer counts, kept in one place: each thing that happens is one
 * `Occurrence`, folded into the stats a test or a caller reads (`countIn`,
 * pure) and into /metrics (InformerMetrics.ts) by the same `record`.
 */
import { Effect, Metric } from "effect"
import {
  informerLastSyncTimestamp,
  informerListsTotal,
  informerMalformedTotal,
  informerWatchRestartsTotal
} from "./InformerMetrics.ts"

export interface InformerStats {
  readonly lists: number
  readonly watches: number
  /** Relists caused by 410 Gone. */
  readonly gone: number
  readonly watchdogRestarts: number
  readonly errors: number
  /** Objects received that do not match their schema, counted per list or watch event that carried one. */
  readonly malformed: number
  /** Epoch millis of the last list or watch line. */
  readonly lastActivity: number | undefined
}

export const emptyStats: InformerStats = {
  lists: 0,
  watches: 0,
  gone: 0,
  watchdogRestarts: 0,
  errors: 0,
  malformed: 0,
  lastActivity: undefined
}

export type Occurrence =
  | { readonly _tag: "Listed"; readonly malformed: number; readonly at: number }
  | { readonly _tag: "WatchStarted" }
  | { readonly _tag: "WatchEvent"; readonly malformed: boolean; readonly at: number }
  /** The watch restarted abnormally: 410 Gone, silent too long, or an error. */
  | { readonly _tag: "Restarted"; readonly reason: "gone" | "silent" | "error" }

const restartField = { gone: "gone", silent: "watchdogRestarts", error: "errors" } as const

export const countIn = (stats: InformerStats, occurrence: Occurrence): InformerStats => {
  switch (occurrence._tag) {
    case "Listed":
      return {
        ...stats,
        lists: stats.lists + 1,
        malformed: stats.malformed + occurrence.malformed,
        lastActivity: occurrence.at
      }
    case "WatchStarted":
      return { ...stats, watches: stats.watches + 1 }
    case "WatchEvent":
      return { ...stats, malformed: stats.malformed + (occurrence.malformed ? 1 : 0), lastActivity: occurrence.at }
    case "Restarted": {
      const field = restartField[occurrence.reason]
      return { ...stats, [field]: stats[field] + 1 }
    }
  }
}

/**
 * The stats of one informer and the one way to count into them (and into /metrics). `recordNow` is for the
 * informer's own synchronous step over a watch event (it runs for every event: no runtime steps of its own);
 * `record` is the same as an effect.
 */
export const makeStatsRecorder = Effect.fnUntraced(function* (labels: {
  readonly resource: string
  readonly selector: string
}) {
  // Written only by the informer's fiber; read by anyone.
  let stats = emptyStats
  // The metrics are updated where the informer was made (its registry), without a step per update.
  const context = yield* Effect.context<never>()
  const lists = Metric.withAttributes(informerListsTotal, labels)
  const malformed = Metric.withAttributes(informerMalformedTotal, labels)
  const lastSync = Metric.withAttributes(informerLastSyncTimestamp, labels)
  const toMetrics = (occurrence: Occurrence): void => {
    switch (occurrence._tag) {
      case "Listed":
        lists.updateUnsafe(1, context)
        if (occurrence.malformed > 0) malformed.updateUnsafe(occurrence.malformed, context)
        lastSync.updateUnsafe(occurrence.at / 1000, context)
        return
      case "WatchStarted":
        return
      case "WatchEvent":
        lastSync.updateUnsafe(occurrence.at / 1000, context)
        if (occurrence.malformed) malformed.updateUnsafe(1, context)
        return
      case "Restarted":
        Metric.withAttributes(informerWatchRestartsTotal, { ...labels, reason: occurrence.reason }).updateUnsafe(
          1,
          context
        )
    }
  }
  const recordNow = (occurrence: Occurrence): void => {
    stats = countIn(stats, occurrence)
    toMetrics(occurrence)
  }
  const record = (occurrence: Occurrence): Effect.Effect<void> => Effect.sync(() => recordNow(occurrence))
  return { record, recordNow, stats: Effect.sync(() => stats) }
})
