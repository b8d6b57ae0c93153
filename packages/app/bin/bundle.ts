/**
 * Bundles the operator's production entry (packages/app/src/main.ts) into one
 * ES module that plain Node 24 runs with no node_modules beside it — what the
 * container image ships:
 *
 *   node packages/app/bin/bundle.ts [outfile] [--readable]   (default dist/operator.mjs; `pnpm run build`)
 *
 * `--readable` keeps whitespace and comments, among them the path esbuild writes
 * above each module, so `bench/cpuProfile.ts --bundle` can say which package and
 * module a CPU profile's time went to (the image ships the minified one).
 *
 * The LiteLLM simulator is test and local-run code: the bundle fails if it
 * holds any of it (a module of the simulator's directory among its inputs, or
 * the Simulator service's key in its text), and no file is written then.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname, join, sep } from "node:path"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { build, type Plugin } from "esbuild"

const repoRoot = join(import.meta.dirname, "..", "..", "..")
export const defaultOutfile = join(repoRoot, "dist", "operator.mjs")

const productionEntry = join(repoRoot, "packages", "app", "src", "main.ts")
const simulatorDir = join("packages", "litellm", "src", "simulator") + sep

/** Simulator code in a bundle: its modules among the inputs (paths relative to the repository), or its service key in the text. */
export const simulatorCodeIn = (text: string, inputs: ReadonlyArray<string>): ReadonlyArray<string> => [
  ...inputs.filter((input) => input.split("/").join(sep).includes(simulatorDir)),
  ...(text.includes(Simulator.key) ? [`the text "${Simulator.key}"`] : [])
]

/**
 * client-node's modules marked free of side effects, so that only what the
 * operator uses (KubeConfig and what it needs) is bundled, not every generated
 * API class and model its index re-exports: 0.7 MiB less source, and 4-6 MB
 * less resident memory from the start (BENCHMARKS.md). Its package does not say
 * so itself; its modules define classes and functions and change nothing when
 * imported. A module the operator does use is bundled whole, as before.
 */
const clientNodeSideEffectFree: Plugin = {
  name: "client-node-side-effect-free",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === clientNodeSideEffectFree) return undefined
      const resolved = await pluginBuild.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: clientNodeSideEffectFree
      })
      if (resolved.errors.length > 0 || !resolved.path.includes(`${sep}@kubernetes${sep}client-node${sep}`))
        return undefined
      return { path: resolved.path, sideEffects: false }
    })
  }
}

/** Writes the bundle; returns its size in bytes. Fails, writing nothing, if the bundle would hold simulator code. */
export const bundleOperator = async (
  outfile: string = defaultOutfile,
  entry: string = productionEntry,
  options: { readonly readable?: boolean } = {}
): Promise<number> => {
  const minify = options.readable !== true
  const result = await build({
    entryPoints: [entry],
    outfile,
    write: false,
    absWorkingDir: repoRoot,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    // Whitespace and syntax only: names stay, so stack traces in the logs stay readable.
    minifyWhitespace: minify,
    minifySyntax: minify,
    metafile: true,
    plugins: [clientNodeSideEffectFree],
    // Licences go to operator.mjs.LEGAL.txt: one non-ASCII letter in them would make V8 hold the whole
    // source as a two-byte string (twice the memory).
    legalComments: "external",
    charset: "ascii",
    logLevel: "warning",
    // Some dependencies are CommonJS and `require` Node's modules; an ES module has no `require` of its own.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);'
    }
  })
  const bundle = result.outputFiles.find((file) => file.path.endsWith(".mjs"))
  if (bundle === undefined) throw new Error("esbuild produced no .mjs file")
  const inputs = Object.values(result.metafile.outputs).flatMap((output) => Object.keys(output.inputs))
  const found = simulatorCodeIn(bundle.text, inputs)
  if (found.length > 0) {
    throw new Error(`the operator bundle must not hold simulator code; it holds: ${found.slice(0, 10).join(", ")}`)
  }
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true })
    writeFileSync(file.path, file.contents)
  }
  return bundle.contents.byteLength
}

if (import.meta.main) {
  const args = process.argv.slice(2)
  const outfile = args.find((arg) => !arg.startsWith("--")) ?? defaultOutfile
  const bytes = await bundleOperator(outfile, productionEntry, { readable: args.includes("--readable") })
  process.stdout.write(`${outfile}: ${(bytes / 1024 / 1024).toFixed(1)} MiB\n`)
}
