/**
 * Preloaded into the operator process by the memory benchmark
 * (`node --expose-gc --import memoryProbe.mjs operator.mjs ...`): on SIGUSR2
 * it runs a full garbage collection and prints one line,
 * `MEMORY {"rss":…,"heapTotal":…,"heapUsed":…,"external":…,"before":{…},"spaces":{…},"v8":{…},"rssKinds":{…},"mappings":{…},"reduced":{…}}`
 * (bytes; `before` is the same before the collection; `spaces` each V8 heap
 * space's reserved (`size`), resident (`physical`) and live (`used`) bytes;
 * `v8` what V8 itself has malloc'ed (compiler zones etc.); `rssKinds` the
 * resident anonymous and file-backed memory from /proc/self/smaps_rollup;
 * `mappings` the resident memory by kind of mapping from /proc/self/smaps;
 * `reduced` the same figures after a further "last resort" collection, the
 * one V8 makes before it gives up on memory, which compacts and gives back
 * what it can), so that the live heap can be told from memory V8 simply has
 * not collected or given back yet, and the heap from the rest.
 *
 * Plain JavaScript on purpose: a .ts file would make Node load its
 * TypeScript stripper into the operator, and the benchmark would measure it.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { constants, PerformanceObserver } from "node:perf_hooks"
import { getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from "node:v8"

/**
 * The last full (mark-compact) collections: when (seconds since start), how long, their flags (32:
 * V8's memory reducer, 16: a last-resort one, 4: forced) and the RSS after each; and how many
 * young-generation ones. Whether V8 shrinks the heap by itself once the operator is idle shows here.
 */
const majorGcs = []
let minorGcs = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const { kind, flags } = entry.detail ?? {}
    if (kind !== constants.NODE_PERFORMANCE_GC_MAJOR) {
      minorGcs++
      continue
    }
    majorGcs.push({
      at: Math.round(entry.startTime / 100) / 10,
      ms: Math.round(entry.duration),
      flags,
      rss: process.memoryUsage.rss()
    })
    if (majorGcs.length > 40) majorGcs.shift()
  }
}).observe({ entryTypes: ["gc"] })

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

const spaces = () =>
  Object.fromEntries(
    getHeapSpaceStatistics().map((s) => [
      s.space_name,
      { size: s.space_size, physical: s.physical_space_size, used: s.space_used_size }
    ])
  )

const v8Malloc = () => {
  const h = getHeapStatistics()
  return { malloced: h.malloced_memory, peakMalloced: h.peak_malloced_memory, physical: h.total_physical_size }
}

const rssKinds = () => {
  const kinds = {}
  for (const line of readFileSync("/proc/self/smaps_rollup", "utf8").split("\n")) {
    const m = /^(Anonymous|Rss|Pss_File|Pss_Anon):\s+(\d+) kB/.exec(line)
    if (m !== null) kinds[m[1]] = Number(m[2]) * 1024
  }
  return kinds
}

/**
 * Resident bytes by kind of mapping: the node binary's pages, other files, the main thread's
 * malloc heap (`[heap]`), stacks, and anonymous mappings by their size (V8 maps its heap in
 * 256 KiB pages and larger chunks; glibc's other arenas reserve 64 MiB each; a thread's stack is 8 MiB).
 */
const mappings = () => {
  const kinds = {}
  let kind = ""
  for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line)
    if (head !== null) {
      const size = Number.parseInt(head[2], 16) - Number.parseInt(head[1], 16)
      const path = head[3]
      kind =
        path === ""
          ? size >= 32 * 1024 * 1024
            ? "anon >= 32 MiB"
            : size >= 4 * 1024 * 1024
              ? "anon 4-32 MiB"
              : size >= 256 * 1024
                ? "anon 256 KiB-4 MiB"
                : "anon < 256 KiB"
          : path.startsWith("[")
            ? path
            : path === process.execPath || path.endsWith("/node")
              ? "node binary"
              : "other files"
      continue
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line)
    if (rss !== null) kinds[kind] = (kinds[kind] ?? 0) + Number(rss[1]) * 1024
  }
  return kinds
}

const figures = () => ({ ...usage(), spaces: spaces(), v8: v8Malloc(), rssKinds: rssKinds(), mappings: mappings() })

process.on("SIGUSR2", () => {
  const before = usage()
  const gc = Reflect.get(globalThis, "gc")
  if (typeof gc === "function") gc()
  const after = figures()
  // What V8 gives back when it must (a memory-reducing, compacting collection).
  if (typeof gc === "function") gc({ type: "major", execution: "sync", flavor: "last-resort" })
  process.stderr.write(`MEMORY ${JSON.stringify({ ...after, before, reduced: figures(), majorGcs, minorGcs })}\n`)
  // MEMORY_PROBE_SNAPSHOT_DIR=<dir>: also a heap snapshot there, to see what the live heap holds.
  const dir = process.env.MEMORY_PROBE_SNAPSHOT_DIR
  if (dir !== undefined) {
    writeFileSync(`${dir}/operator-${process.pid}.smaps`, readFileSync("/proc/self/smaps"))
    writeHeapSnapshot(`${dir}/operator-${process.pid}.heapsnapshot`)
  }
})
