/**
 * Preloaded into the operator process by the memory benchmark
 * (`node --expose-gc --import memoryProbe.mjs operator.mjs ...`): on SIGUSR2
 * it runs a full garbage collection and prints one line,
 * `MEMORY {"rss":…,"heapTotal":…,"heapUsed":…,"external":…,"before":{…},"spaces":{…},"rssKinds":{…}}`
 * (bytes; `before` is the same before the collection; `spaces` the V8 heap
 * spaces' committed sizes; `rssKinds` the resident anonymous and file-backed
 * memory from /proc/self/smaps_rollup), so that the live heap can be told
 * from memory V8 simply has not collected yet, and the heap from the rest.
 *
 * Plain JavaScript on purpose: a .ts file would make Node load its
 * TypeScript stripper into the operator, and the benchmark would measure it.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { getHeapSpaceStatistics, writeHeapSnapshot } from "node:v8"

const usage = () => {
  const m = process.memoryUsage()
  return {
    rss: m.rss,
    heapTotal: m.heapTotal,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers
  }
}

const spaces = () => Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size]))

const rssKinds = () => {
  const kinds = {}
  for (const line of readFileSync("/proc/self/smaps_rollup", "utf8").split("\n")) {
    const m = /^(Anonymous|Rss|Pss_File|Pss_Anon):\s+(\d+) kB/.exec(line)
    if (m !== null) kinds[m[1]] = Number(m[2]) * 1024
  }
  return kinds
}

process.on("SIGUSR2", () => {
  const before = usage()
  const gc = Reflect.get(globalThis, "gc")
  if (typeof gc === "function") gc()
  process.stderr.write(`MEMORY ${JSON.stringify({ ...usage(), before, spaces: spaces(), rssKinds: rssKinds() })}\n`)
  // MEMORY_PROBE_SNAPSHOT_DIR=<dir>: also a heap snapshot there, to see what the live heap holds.
  const dir = process.env.MEMORY_PROBE_SNAPSHOT_DIR
  if (dir !== undefined) {
    writeFileSync(`${dir}/operator-${process.pid}.smaps`, readFileSync("/proc/self/smaps"))
    writeHeapSnapshot(`${dir}/operator-${process.pid}.heapsnapshot`)
  }
})
