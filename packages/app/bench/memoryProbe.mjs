/**
 * Preloaded into the operator process by the memory benchmark
 * (`node --expose-gc --import memoryProbe.ts operator.mjs ...`): on SIGUSR2
 * it runs a full garbage collection and prints one line,
 * `MEMORY {"rss":…,"heapTotal":…,"heapUsed":…,"external":…}` (bytes), so that
 * the live heap can be told from memory V8 simply has not collected yet.
 */
process.on("SIGUSR2", () => {
  const gc: unknown = Reflect.get(globalThis, "gc")
  if (typeof gc === "function") gc()
  const m = process.memoryUsage()
  process.stderr.write(
    `MEMORY ${JSON.stringify({ rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external })}\n`
  )
})
