/**
 * Preloaded into the operator (`--node-options="<the chart's> --import=<this file>"` on
 * `pnpm bench --only live`): V8's sampling heap profiler, counting objects the collector has
 * already freed too, so the profile is what was allocated over the whole run, not what is still
 * alive. Written on exit to `$ALLOCATION_PROFILE_DIR/alloc-<pid>.heapprofile` (default the
 * working directory); `node packages/app/bench/allocationProfile.ts <file>` summarises it.
 * Allocation volume drives the garbage collector, which was a quarter of the operator's CPU.
 *
 * Plain JavaScript, as memoryProbe.mjs, so the operator does not load the TypeScript stripper.
 */
import { writeFileSync } from "node:fs"
import { Session } from "node:inspector"
import { join } from "node:path"

const session = new Session()
session.connect()
session.post("HeapProfiler.enable")
session.post("HeapProfiler.startSampling", {
  samplingInterval: 65536,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true
})
process.on("exit", () => {
  // The in-process session answers synchronously, so this runs before the process ends.
  session.post("HeapProfiler.stopSampling", (error, result) => {
    if (error !== null) return
    const dir = process.env.ALLOCATION_PROFILE_DIR ?? "."
    writeFileSync(join(dir, `alloc-${process.pid}.heapprofile`), JSON.stringify(result.profile))
  })
})
