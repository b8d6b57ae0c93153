/**
 * The top of a V8 CPU profile (`node --cpu-prof`): self time by function and
 * by source file, as a Markdown table, so where the operator's CPU goes can be
 * written down and compared between runs.
 *
 *   node packages/app/bench/cpuProfile.ts <file.cpuprofile> [--top 25]
 */
import { readFileSync } from "node:fs"
import { Schema } from "effect"

const Profile = Schema.Struct({
  nodes: Schema.Array(
    Schema.Struct({
      id: Schema.Number,
      callFrame: Schema.Struct({
        functionName: Schema.String,
        url: Schema.String,
        lineNumber: Schema.Number
      })
    })
  ),
  samples: Schema.Array(Schema.Number),
  timeDeltas: Schema.Array(Schema.Number)
})

const [file, ...rest] = process.argv.slice(2)
if (file === undefined) throw new Error("usage: cpuProfile.ts <file.cpuprofile> [--top N]")
const top = Number(rest[rest.indexOf("--top") + 1] ?? "25") || 25
const profile = Schema.decodeUnknownSync(Schema.fromJsonString(Profile))(readFileSync(file, "utf8"))

const frameOf = new Map(profile.nodes.map((n) => [n.id, n.callFrame]))
const byFunction = new Map<string, number>()
const byFile = new Map<string, number>()
let totalUs = 0
profile.samples.forEach((id, i) => {
  const us = profile.timeDeltas[i] ?? 0
  const frame = frameOf.get(id)
  if (frame === undefined) return
  totalUs += us
  const where = frame.url === "" ? "(native)" : (frame.url.split("/").pop() ?? frame.url)
  const name = `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`
  byFunction.set(name, (byFunction.get(name) ?? 0) + us)
  byFile.set(where, (byFile.get(where) ?? 0) + us)
})

/** The report goes to stdout, one line at a time. */
const print = (line: string) => process.stdout.write(`${line}\n`)

const table = (title: string, entries: Map<string, number>) => {
  print(`| ${title} | self ms | share |\n| --- | ---: | ---: |`)
  for (const [name, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    print(`| \`${name.replaceAll("|", "\\|")}\` | ${(us / 1000).toFixed(0)} | ${((100 * us) / totalUs).toFixed(1)} % |`)
  }
  print("")
}
print(`profile: ${(totalUs / 1e6).toFixed(1)} s sampled\n`)
table("function", byFunction)
table("file", byFile)
