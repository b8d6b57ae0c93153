/**
 * Preloaded into the operator (`--node-options="<options> --import=<this file>"` on
 * `pnpm bench --only live`): counts its garbage collections by kind (young generation,
 * mark-compact, incremental marking, weak callbacks) and their pauses on the main thread,
 * through a `PerformanceObserver`. Written on exit to `$GC_COUNTER_DIR/gc-<pid>.json`
 * (default the working directory). How `--max-semi-space-size` was chosen (BENCHMARKS.md).
 *
 * Plain JavaScript, as memoryProbe.mjs, so the operator does not load the TypeScript stripper.
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { constants, PerformanceObserver } from "node:perf_hooks"

const kinds = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: "young",
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "markCompact",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakCallbacks"
}
const counts = {}
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = kinds[entry.detail?.kind] ?? "other"
    const count = counts[kind] ?? { collections: 0, pauseMs: 0 }
    count.collections += 1
    count.pauseMs += entry.duration
    counts[kind] = count
  }
}).observe({ entryTypes: ["gc"] })

process.on("exit", () => {
  const dir = process.env.GC_COUNTER_DIR ?? "."
  writeFileSync(join(dir, `gc-${process.pid}.json`), `${JSON.stringify(counts)}\n`)
})
