/**
 * The core as another project gets it: packed with pnpm, installed with npm from the tarball
 * into a fresh project outside this workspace (effect, fast-check, TypeScript and Node's types
 * from the npm registry, at the versions this workspace's lockfile installed), type-checked with
 * plain `tsc`, and run with node. The consumer's code is the package README's examples, taken
 * from the README itself so that they cannot drift.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { homedir, tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"

const coreDir = join(import.meta.dirname, "..")
const repoRoot = join(coreDir, "..", "..")
// npm's cache beside the other caches of this project's tests, so a warm run downloads nothing.
const npmCache = join(homedir(), ".cache", "litellm-operator", "npm")

const SourceMap = Schema.fromJsonString(Schema.Struct({ sources: Schema.Array(Schema.String) }))
const Manifest = Schema.fromJsonString(Schema.Struct({ version: Schema.String }))

/** The version of `name` installed (from the lockfile) where `from` resolves it. */
const installedVersion = (from: string, name: string): string =>
  Schema.decodeUnknownSync(Manifest)(readFileSync(join(from, "node_modules", name, "package.json"), "utf8")).version

/** The fenced TypeScript block after `<!-- example: name -->` in the package README. */
const readmeExample = (readme: string, name: string): string => {
  const match = new RegExp(`<!-- example: ${name} -->\\n\`\`\`ts\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(readme)
  assert.isNotNull(match, `README example ${name}`)
  return `${match?.[1] ?? ""}\n`
}

// A consumer that does not type-check unless the declarations are the real ones (with `any`
// types, each @ts-expect-error would be unused, which is an error).
const typesOnly = `import { planTeam } from "@litellm-operator/core"
import { teamSpecArb } from "@litellm-operator/core/arbitraries"
import { LiteLLMModel } from "@litellm-operator/core/testing"

// @ts-expect-error a plan takes the desired state and the observation
planTeam("team-1")
// @ts-expect-error an arbitrary is not a number
export const notANumber: number = teamSpecArb
// @ts-expect-error LiteLLM has no such call
new LiteLLMModel().apply({ _tag: "NoSuchCall" })
`

const tsconfig = {
  compilerOptions: {
    target: "es2024",
    // effect's own declarations name WebCrypto types (CryptoKey, JsonWebKey) that only this lib declares.
    lib: ["es2024", "dom"],
    module: "nodenext",
    moduleResolution: "nodenext",
    types: ["node"],
    strict: true,
    // The package's declarations are checked too, not only their use.
    skipLibCheck: false,
    rootDir: "src",
    outDir: "out"
  },
  include: ["src"]
}

describe("the packed package in a project of its own", () => {
  it("installs with npm, type-checks with tsc, and runs the README's plan and property test", () => {
    const work = mkdtempSync(join(tmpdir(), "litellm-operator-core-consumer-"))
    // Child processes get no test-runner settings (vitest's NODE_OPTIONS, the workspace's npm config).
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => k !== "NODE_OPTIONS" && !k.toLowerCase().startsWith("npm_config_"))
    )
    const run = (command: string, args: ReadonlyArray<string>, cwd: string): string => {
      const result = spawnSync(command, args, { cwd, env, encoding: "utf8" })
      assert.strictEqual(
        result.status,
        0,
        `${command} ${args.join(" ")} failed (${result.error ?? ""}):\n${result.stdout}\n${result.stderr}`
      )
      return result.stdout
    }
    try {
      // prepack builds dist/ from the sources first.
      run("pnpm", ["pack", "--pack-destination", work], coreDir)
      const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"))
      assert.isDefined(tarball)

      const project = join(work, "consumer")
      mkdirSync(join(project, "src"), { recursive: true })
      writeFileSync(
        join(project, "package.json"),
        JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2)
      )
      writeFileSync(join(project, "tsconfig.json"), JSON.stringify(tsconfig, null, 2))
      const readme = readFileSync(join(coreDir, "README.md"), "utf8")
      writeFileSync(join(project, "src", "plan.ts"), readmeExample(readme, "plan"))
      writeFileSync(join(project, "src", "property.ts"), readmeExample(readme, "property-test"))
      writeFileSync(join(project, "src", "types.ts"), typesOnly)

      run(
        "npm",
        [
          "install",
          "--cache",
          npmCache,
          "--prefer-offline",
          "--no-audit",
          "--no-fund",
          "--ignore-scripts",
          "--registry",
          "https://registry.npmjs.org/",
          join(work, tarball ?? ""),
          `effect@${installedVersion(coreDir, "effect")}`,
          `fast-check@${installedVersion(coreDir, "fast-check")}`,
          `typescript@${installedVersion(repoRoot, "typescript")}`,
          `@types/node@${installedVersion(repoRoot, "@types/node")}`
        ],
        project
      )

      // The installed package resolves to built JavaScript, not to the TypeScript sources.
      const resolved = run(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          'for (const e of ["", "/arbitraries", "/testing"]) console.log(import.meta.resolve("@litellm-operator/core" + e))'
        ],
        project
      )
      const entries = resolved.trim().split("\n")
      assert.strictEqual(entries.length, 3)
      for (const entry of entries) assert.match(entry, /\/node_modules\/@litellm-operator\/core\/dist\/.*index\.js$/)

      // Each built module has a source map whose sources ship in the package.
      const installed = join(project, "node_modules", "@litellm-operator", "core")
      for (const entry of ["index", "arbitraries/index", "testing/index"]) {
        const map = Schema.decodeUnknownSync(SourceMap)(
          readFileSync(join(installed, "dist", `${entry}.js.map`), "utf8")
        )
        assert.isNotEmpty(map.sources)
        for (const source of map.sources)
          assert.isTrue(existsSync(join(installed, "dist", dirname(entry), source)), source)
      }

      run(process.execPath, [join(project, "node_modules", "typescript", "bin", "tsc"), "-p", "."], project)
      // Each throws (and node exits non-zero, which fails this test) when an assertion or the property fails.
      run(process.execPath, [join(project, "out", "plan.js")], project)
      run(process.execPath, [join(project, "out", "property.js")], project)
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  }, 180_000)
})
