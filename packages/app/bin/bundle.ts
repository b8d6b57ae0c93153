/**
 * Bundles the operator's production entry (packages/app/src/main.ts) into one
 * ES module that plain Node 24 runs with no node_modules beside it — what the
 * container image ships:
 *
 *   node packages/app/bin/bundle.ts [outfile]      (default dist/operator.mjs; `pnpm run build`)
 */
import { join } from "node:path"
import { build } from "esbuild"

const repoRoot = join(import.meta.dirname, "..", "..", "..")
export const defaultOutfile = join(repoRoot, "dist", "operator.mjs")

/** Writes the bundle; returns its size in bytes. */
export const bundleOperator = async (outfile: string = defaultOutfile): Promise<number> => {
  const result = await build({
    entryPoints: [join(repoRoot, "packages", "app", "src", "main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    // Whitespace and syntax only: names stay, so stack traces in the logs stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
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
  return result.metafile.outputs[Object.keys(result.metafile.outputs).find((f) => f.endsWith(".mjs")) ?? ""]?.bytes ?? 0
}

if (import.meta.main) {
  const outfile = process.argv[2] ?? defaultOutfile
  const bytes = await bundleOperator(outfile)
  process.stdout.write(`${outfile}: ${(bytes / 1024 / 1024).toFixed(1)} MiB\n`)
}
