/**
 * The top of a V8 CPU profile (`node --cpu-prof`): self time by function and
 * by source file, as a Markdown table, so where the operator's CPU goes can be
 * written down and compared between runs.
 *
 *   node packages/app/bench/cpuProfile.ts <file.cpuprofile> [--top 25] [--bundle <operator.mjs>]
 *
 * A bundle is one file, so its frames say nothing of where they come from. With
 * `--bundle` (the bundle the profile ran, built with `bin/bundle.ts --readable`,
 * which keeps the path esbuild writes above each module), self time is also
 * given by package and by module.
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
const flagValue = (flag: string) => (rest.includes(flag) ? rest[rest.indexOf(flag) + 1] : undefined)
const top = Number(flagValue("--top") ?? "25") || 25
const bundle = flagValue("--bundle")
const profile = Schema.decodeUnknownSync(Schema.fromJsonString(Profile))(readFileSync(file, "utf8"))

/** Each module's first line in the bundle (0-based, as the profile counts), from esbuild's `// <path>` lines. */
const moduleStarts: ReadonlyArray<readonly [number, string]> =
  bundle === undefined
    ? []
    : readFileSync(bundle, "utf8")
        .split("\n")
        .flatMap((line, i) => (/^\/\/ (node_modules|packages)\//.test(line) ? [[i, line.slice(3)] as const] : []))
if (bundle !== undefined && moduleStarts.length === 0) {
  throw new Error(`${bundle} names no modules: build it with bin/bundle.ts --readable`)
}
/** The module a bundle line belongs to: the last start at or before it. */
const moduleAt = (line: number): string => {
  let low = 0
  let high = moduleStarts.length - 1
  let found = "(bundle prelude)"
  while (low <= high) {
    const mid = (low + high) >> 1
    const start = moduleStarts[mid]
    if (start === undefined) break
    if (start[0] <= line) {
      found = start[1]
      low = mid + 1
    } else high = mid - 1
  }
  // node_modules/.pnpm/<name@version>/node_modules/<package>/... → <package>/...
  return found.replace(/^node_modules\/\.pnpm\/[^/]+\/node_modules\//, "").replace("/dist/", "/")
}
/** `packages/core`, `effect`, `@effect/platform-node`, `undici`, or `node:` for Node's own, `(native)` for V8's. */
const packageOf = (module: string): string => {
  if (module.startsWith("node:") || module.startsWith("(")) return module.startsWith("node:") ? "node:" : module
  const parts = module.split("/")
  return parts[0]?.startsWith("@") === true || parts[0] === "packages"
    ? parts.slice(0, 2).join("/")
    : (parts[0] ?? module)
}
const byPackage = new Map<string, number>()
const byModule = new Map<string, number>()

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
  if (bundle !== undefined) {
    const module =
      frame.url === ""
        ? frame.functionName.startsWith("(")
          ? frame.functionName
          : `(${frame.functionName || "native"})`
        : frame.url.endsWith(bundle.split("/").pop() ?? bundle)
          ? moduleAt(frame.lineNumber)
          : `node:${frame.url.replace(/^node:/, "")}`
    byModule.set(module, (byModule.get(module) ?? 0) + us)
    const pkg = packageOf(module)
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us)
  }
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
if (bundle !== undefined) {
  table("package", byPackage)
  table("module", byModule)
}
