import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"

const srcDir = join(import.meta.dirname, "..", "src")

const sourceFiles = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []
  )

const importsOf = (file: string): ReadonlyArray<string> =>
  [...readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].flatMap((m) =>
    m[1] === undefined ? [] : [m[1]]
  )

const forbidden = [
  /^node:/,
  /^@kubernetes\//,
  /^effect\/http/,
  /^undici/,
  /^ws$/,
  /^fs$/,
  /^path$/,
  /^http$/,
  /^https$/,
  /^@effect\/platform/
]

describe("packages/core is pure", () => {
  it("imports no Node, HTTP, filesystem or Kubernetes module", () => {
    const files = sourceFiles(srcDir)
    assert.isAbove(files.length, 20)
    for (const file of files) {
      for (const specifier of importsOf(file)) {
        assert.isFalse(
          forbidden.some((re) => re.test(specifier)),
          `${file} imports ${specifier}`
        )
        assert.isTrue(
          specifier.startsWith(".") ||
            specifier === "effect" ||
            specifier.startsWith("effect/") ||
            specifier === "fast-check",
          `${file} imports ${specifier}`
        )
      }
    }
  })
})
