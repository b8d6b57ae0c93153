/**
 * Preloaded into the operator process by the memory benchmark
 * (`node --expose-gc --import memoryProbe.mjs operator.mjs ...`): on SIGUSR2
 * it runs a full garbage collection and prints one line,
 * `MEMORY {"rss":…,"heapTotal":…,"heapUsed":…,"external":…,"before":{…}}`
 * (bytes; `before` is the same before the collection), so that the live heap
 * can be told from memory V8 simply has not collected yet.
 *
 * Plain JavaScript on purpose: a .ts file would make Node load its
 * TypeScript stripper into the operator, and the benchmark would measure it.
 */
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

process.on("SIGUSR2", () => {
  const before = usage()
  const gc = Reflect.get(globalThis, "gc")
  if (typeof gc === "function") gc()
  process.stderr.write(`MEMORY ${JSON.stringify({ ...usage(), before })}\n`)
})
