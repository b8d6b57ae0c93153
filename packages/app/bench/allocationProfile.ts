/**
 * What a sampled allocation profile (bench/allocationSampler.mjs) says was
 * allocated: the total, by source file, and by the nearest frame of this
 * repository's own code on the stack (what our code caused, libraries
 * included), as Markdown tables.
 *
 *   node packages/app/bench/allocationProfile.ts <file.heapprofile> [--top 25]
 */
import { readFileSync } from "node:fs"
import { Schema } from "effect"

interface Node {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly selfSize: number
  readonly children: ReadonlyArray<Node>
}
const Node: Schema.Codec<Node> = Schema.Struct({
  callFrame: Schema.Struct({ functionName: Schema.String, url: Schema.String, lineNumber: Schema.Number }),
  selfSize: Schema.Number,
  children: Schema.Array(Schema.suspend((): Schema.Codec<Node> => Node))
})
const Profile = Schema.Struct({ head: Node })

const [file, ...rest] = process.argv.slice(2)
if (file === undefined) throw new Error("usage: allocationProfile.ts <file.heapprofile> [--top N]")
const top = Number(rest[rest.indexOf("--top") + 1] ?? "25") || 25
const profile = Schema.decodeUnknownSync(Schema.fromJsonString(Profile))(readFileSync(file, "utf8"))

const byFile = new Map<string, number>()
const byOwnFrame = new Map<string, number>()
let total = 0
const add = (map: Map<string, number>, key: string, bytes: number) => map.set(key, (map.get(key) ?? 0) + bytes)
const walk = (node: Node, owner: string) => {
  const { url, functionName, lineNumber } = node.callFrame
  const ours = url.includes("/packages/") && url.endsWith(".ts")
  const here = ours ? `${functionName || "(anonymous)"} ${url.split("/packages/").pop()}:${lineNumber + 1}` : owner
  total += node.selfSize
  add(byFile, url === "" ? `(native) ${functionName}` : (url.split("/").pop() ?? url), node.selfSize)
  add(byOwnFrame, here, node.selfSize)
  for (const child of node.children) walk(child, here)
}
walk(profile.head, "(no frame of this repository)")

const print = (line: string) => process.stdout.write(`${line}\n`)
const table = (title: string, entries: Map<string, number>) => {
  print(`| ${title} | MB | share |\n| --- | ---: | ---: |`)
  for (const [name, bytes] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    print(
      `| \`${name.replaceAll("|", "\\|")}\` | ${(bytes / 1048576).toFixed(1)} | ${((100 * bytes) / total).toFixed(1)} % |`
    )
  }
  print("")
}
print(`allocated (sampled): ${(total / 1048576).toFixed(0)} MB\n`)
table("file", byFile)
table("nearest frame of this repository", byOwnFrame)
