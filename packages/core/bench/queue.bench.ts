/**
 * One resync wave through the work queue: n keys each re-added after the
 * resync period with a spread of due times, then moved in as they fall due,
 * the way the runtime's timer does (`nextDue`, `advance` to it, hand out what
 * is ready), with the keys in one namespace or spread over 100 (the queue
 * serves namespaces in turn). Prints the time per wave. Run:
 * `node packages/core/bench/queue.bench.ts [path to a WorkQueue.ts]` (another
 * checkout's queue, to compare).
 */
import { resolve } from "node:path"
import type * as Queue from "../src/queue/WorkQueue.ts"

const path = process.argv[2] === undefined ? "../src/queue/WorkQueue.ts" : resolve(process.argv[2])
const WorkQueue: typeof Queue = await import(path)

for (const [n, namespaces] of [
  [1_000, 1],
  [10_000, 1],
  [50_000, 1],
  [10_000, 100],
  [50_000, 100]
] as const) {
  let q = WorkQueue.emptyQueue
  // A 5 minute period with 10 % jitter, as the controller's resync.
  for (let i = 0; i < n; i++)
    q = WorkQueue.addAfter(q, `ns-${i % namespaces}/key-${i}`, 300_000 + ((i * 7919) % 30_000), 0)
  const started = process.hrtime.bigint()
  let moved = 0
  for (let due = WorkQueue.nextDue(q); due !== undefined; due = WorkQueue.nextDue(q)) {
    q = WorkQueue.advance(q, due)
    for (let [key, next] = WorkQueue.get(q); key._tag === "Some"; [key, next] = WorkQueue.get(q)) {
      q = WorkQueue.done(next, key.value)
      moved++
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  process.stdout.write(`${n} keys in ${namespaces} namespace(s): wave of ${moved} moved in ${ms.toFixed(0)} ms\n`)
}
