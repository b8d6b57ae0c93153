/**
 * Gives back the heap that bursts of work fragmented.
 *
 * V8 keeps the old-space pages a burst filled: after converging 10,000
 * objects it held 86 MiB of old space for 52-58 MiB of live objects, and
 * neither its ordinary full collections (which compact a few MiB each) nor its
 * memory reducer (which waits for an allocation rate that resync waves over
 * 10,000 objects never let fall) shrank it within four minutes (BENCHMARKS.md,
 * "RSS at 10,000 objects"). The "last resort" collection, the one V8 makes
 * before it gives up on memory, compacts every fragmented page and gives the
 * empty ones back: about 50 MiB of resident memory at that size.
 *
 * So, when Node runs with `--expose-gc` (the chart and the image set it in
 * NODE_OPTIONS), the operator runs that collection itself when the heap holds
 * a lot more than it uses: as soon as a burst is over (the event loop idle for
 * a few seconds), and while busy within a CPU budget, never more often than
 * once a minute nor than 100 times its own last pause (1 % of the time; the
 * pause was 0.24-0.54 s at 10,000 objects, up to 3.3 s on a machine at load 16). While
 * resyncs keep the operator busy V8 grows the heap back within a minute; what lasts is the
 * compaction after a burst that is followed by idleness. Without
 * `--expose-gc` nothing runs.
 */
import { performance } from "node:perf_hooks"
import { getHeapStatistics } from "node:v8"
import { Duration, Effect, Layer, Ref, Schedule } from "effect"

/**
 * One sample: V8's resident heap, the bytes of objects in it (live, or dead and not collected yet), and
 * how busy the event loop was since the last sample (0-1).
 */
export interface HeapSample {
  readonly now: number
  readonly residentBytes: number
  readonly usedBytes: number
  readonly busy: number
}

export interface CompactionSettings {
  /** Resident but unused bytes (resident - used) that make a compaction worth it, whichever is larger: */
  readonly minUnusedBytes: number
  /** … this many bytes, or this fraction of the used ones. */
  readonly unusedRatio: number
  /** While busy: at least this long between two compactions (ms), */
  readonly minIntervalMs: number
  /** … and at least this many times the last one's pause (100: 1 % of the time at most). */
  readonly pauseFactor: number
  /** Below this event-loop utilization a sample is idle; */
  readonly idleBelow: number
  /** … after this many idle samples in a row a burst is over: compacting then delays nothing, */
  readonly idleSamples: number
  /** … if the last compaction is at least this old (ms), */
  readonly idleMinIntervalMs: number
  /**
   * … and, besides a heap with enough unused, also a heap grown by this many bytes since the last
   * compaction (or its lowest since): with no collection since the burst, what it counts as used
   * still holds the burst's garbage.
   */
  readonly growthBytes: number
}

export interface CompactionState {
  /** When the last compaction ended (ms); none yet: -Infinity. */
  readonly lastEnd: number
  /** How long it took (ms). */
  readonly lastPause: number
  /** Idle samples in a row. */
  readonly idle: number
  /** The resident heap after the last compaction, or the lowest seen since (none yet: Infinity). */
  readonly baseline: number
}

export const initialCompaction: CompactionState = {
  lastEnd: Number.NEGATIVE_INFINITY,
  lastPause: 0,
  idle: 0,
  baseline: Number.POSITIVE_INFINITY
}

/** Whether to compact now, and the state to carry on with (`compacted` after a compaction). */
export const decideCompaction = (
  state: CompactionState,
  sample: HeapSample,
  settings: CompactionSettings
): { readonly compact: boolean; readonly next: CompactionState } => {
  const idle = sample.busy < settings.idleBelow ? state.idle + 1 : 0
  const unused = sample.residentBytes - sample.usedBytes
  const worth = unused >= Math.max(settings.minUnusedBytes, settings.unusedRatio * sample.usedBytes)
  const baseline = Math.min(state.baseline, sample.residentBytes)
  const grown = sample.residentBytes - baseline >= settings.growthBytes
  const since = sample.now - state.lastEnd
  const withinBudget = since >= Math.max(settings.minIntervalMs, settings.pauseFactor * state.lastPause)
  const burstOver = idle >= settings.idleSamples && since >= settings.idleMinIntervalMs
  return {
    compact: (worth && withinBudget) || (burstOver && (worth || grown)),
    next: { ...state, idle, baseline }
  }
}

/** A compaction that began at `started` ended at `ended`, leaving `residentBytes` of heap. */
export const compacted = (started: number, ended: number, residentBytes: number): CompactionState => ({
  lastEnd: ended,
  lastPause: ended - started,
  idle: 0,
  baseline: residentBytes
})

/**
 * Worth it with 24 MiB or 30 % of the used heap unused; while busy once a minute and 1 % of the time at
 * most; when the loop has been idle (under 5 %) for two samples, if the last one is 30 s old, also a heap
 * grown by 16 MiB since the last one. Every 2 s.
 */
export const defaultCompactionSettings: CompactionSettings = {
  minUnusedBytes: 24 * 1024 * 1024,
  unusedRatio: 0.3,
  minIntervalMs: 60_000,
  pauseFactor: 100,
  idleBelow: 0.05,
  idleSamples: 2,
  idleMinIntervalMs: 30_000,
  growthBytes: 16 * 1024 * 1024
}
const samplePeriod = Duration.seconds(2)

/** What the loop reads and does, apart so that tests can drive it. */
export interface HeapControl {
  readonly sample: Effect.Effect<HeapSample>
  /** Runs the compacting collection; a sample taken after it. */
  readonly compact: Effect.Effect<HeapSample>
}

/** Samples every `period` and compacts when `decideCompaction` says so; runs until interrupted. */
export const compactFragmentedHeap = Effect.fnUntraced(function* (
  control: HeapControl,
  settings: CompactionSettings = defaultCompactionSettings,
  period: Duration.Input = samplePeriod
) {
  const state = yield* Ref.make(initialCompaction)
  const step = Effect.gen(function* () {
    const sample = yield* control.sample
    const decision = decideCompaction(yield* Ref.get(state), sample, settings)
    yield* Ref.set(state, decision.next)
    if (!decision.compact) return
    const after = yield* control.compact
    const ended = after.now
    yield* Ref.set(state, compacted(sample.now, ended, after.residentBytes))
    yield* Effect.logDebug("compacted the heap").pipe(
      Effect.annotateLogs({
        residentMiBBefore: Math.round(sample.residentBytes / 1048576),
        residentMiBAfter: Math.round(after.residentBytes / 1048576),
        pauseMs: Math.round(ended - sample.now)
      })
    )
  })
  return yield* Effect.repeat(step, Schedule.spaced(period))
})

/** The process's own heap and event loop; undefined when Node was started without `--expose-gc`. */
export const processHeapControl = (): HeapControl | undefined => {
  const gc = globalThis.gc
  if (gc === undefined) return undefined
  let loop = performance.eventLoopUtilization()
  const heapNow = (): HeapSample => {
    const heap = getHeapStatistics()
    const now = performance.eventLoopUtilization()
    const busy = performance.eventLoopUtilization(now, loop).utilization
    loop = now
    return { now: performance.now(), residentBytes: heap.total_physical_size, usedBytes: heap.used_heap_size, busy }
  }
  return {
    sample: Effect.sync(heapNow),
    compact: Effect.sync(() => {
      gc({ type: "major", execution: "sync", flavor: "last-resort" })
      return heapNow()
    })
  }
}

/** Compacts the process's heap when it is worth it, for as long as the layer lives (nothing without `--expose-gc`). */
export const heapCompactionLayer: Layer.Layer<never> = Layer.effectDiscard(
  Effect.suspend(() => {
    const control = processHeapControl()
    return control === undefined ? Effect.void : Effect.forkScoped(compactFragmentedHeap(control))
  })
)
