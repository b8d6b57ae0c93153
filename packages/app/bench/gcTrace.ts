/**
 * What V8's `--trace-gc-nvp` lines in an operator's output say about its
 * collections: how many of each kind, their main-thread pauses, the time the
 * helper threads spent scavenging, and how much was allocated, copied within
 * the young generation and promoted to the old one. Allocation volume and
 * survivors drive the collector's share of the CPU.
 *
 *   BENCH_OPERATOR_LOG=/tmp/op.log pnpm bench --only live "--node-options=<the chart's> --trace-gc-nvp"
 *   node packages/app/bench/gcTrace.ts /tmp/op.log
 */
import { readFileSync } from "node:fs"

const [file] = process.argv.slice(2)
if (file === undefined) throw new Error("usage: gcTrace.ts <operator output with --trace-gc-nvp lines>")

interface Kind {
  collections: number
  pauseMs: number
  helperMs: number
  allocated: number
  survived: number
  promoted: number
}
const kinds = new Map<string, Kind>()
const number = (fields: Map<string, string>, name: string): number => Number(fields.get(name) ?? "0") || 0

for (const line of readFileSync(file, "utf8").split("\n")) {
  // e.g. "[pid:0x…:0]  164 ms: pause=0.8 mutator=161.2 gc=s … allocated=9206832 promoted=0 …"
  if (!line.includes(" gc=")) continue
  const fields = new Map([...line.matchAll(/([\w.]+)=(\S+)/g)].map((m) => [m[1] ?? "", m[2] ?? ""]))
  const name = fields.get("gc") ?? "?"
  const kind = kinds.get(name) ?? { collections: 0, pauseMs: 0, helperMs: 0, allocated: 0, survived: 0, promoted: 0 }
  kind.collections += 1
  kind.pauseMs += number(fields, "pause")
  kind.helperMs += number(fields, "background.scavenge.parallel")
  kind.allocated += number(fields, "allocated")
  kind.survived += number(fields, "new_space_survived")
  kind.promoted += number(fields, "promoted")
  kinds.set(name, kind)
}
if (kinds.size === 0) throw new Error(`${file} has no --trace-gc-nvp lines`)

const mb = (bytes: number) => (bytes / 1e6).toFixed(0)
const names: Record<string, string> = {
  s: "scavenge (young)",
  ms: "mark-sweep",
  mc: "mark-compact",
  mmc: "minor mark-compact"
}
process.stdout.write(
  "| collection | count | main-thread pauses | helper threads (scavenge) | allocated before it | copied in the young generation | promoted |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
)
for (const [name, k] of kinds) {
  process.stdout.write(
    `| ${names[name] ?? name} | ${k.collections} | ${k.pauseMs.toFixed(0)} ms | ${k.helperMs.toFixed(0)} ms | ${mb(k.allocated)} MB | ${mb(k.survived)} MB | ${mb(k.promoted)} MB |\n`
  )
}
