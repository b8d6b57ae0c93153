/**
 * API.md, the hand-kept reference of the package's public API, names every export of each entry
 * point and nothing else. Exported names come from the sources (following `export ... from`),
 * so types count too; the value exports found that way must be exactly what the module exports
 * at run time, which keeps the source reading honest.
 */
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { assert, describe, it } from "@effect/vitest"

const coreDir = join(import.meta.dirname, "..")

const entries = [
  { name: "@litellm-operator/core", file: "src/index.ts" },
  { name: "@litellm-operator/core/arbitraries", file: "src/arbitraries/index.ts" },
  { name: "@litellm-operator/core/testing", file: "src/testing/index.ts" }
] as const

interface Exported {
  readonly name: string
  /** A run-time value (also true of a schema that shares its name with a type). */
  readonly value: boolean
}

const declaration = /^export (?:declare )?(const|let|function|class|enum|interface|type) ([A-Za-z_$][\w$]*)/
const reExport = /^export (type )?(?:\* as ([A-Za-z_$][\w$]*)|\*|\{([^}]*)\}) from "([^"]+)"/

/** What a module exports, read from its `export` statements. */
const exportsOf = (file: string): ReadonlyArray<Exported> => {
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("export "))
  return lines.flatMap((line): ReadonlyArray<Exported> => {
    const decl = declaration.exec(line)
    if (decl !== null) return [{ name: decl[2] ?? "", value: decl[1] !== "interface" && decl[1] !== "type" }]
    const re = reExport.exec(line)
    assert.isNotNull(re, `an export this test does not read: ${file}: ${line}`)
    const [, typeOnly, namespace, named, from] = re ?? []
    const target = join(dirname(file), from ?? "")
    if (namespace !== undefined) return [{ name: namespace, value: true }]
    const all = exportsOf(target)
    if (named === undefined) return all
    return named
      .split(",")
      .map((n) => n.trim())
      .filter((n) => n.length > 0)
      .map((n) => {
        const found = all.find((e) => e.name === n)
        assert.isDefined(found, `${n} is not exported by ${target}`)
        return { name: n, value: typeOnly === undefined && (found?.value ?? false) }
      })
  })
}

const unique = (names: ReadonlyArray<string>): ReadonlyArray<string> => [...new Set(names)].sort()

/** The names in the first column of the tables under `## \`entry\`` in API.md. */
const documented = (reference: string, entry: string): ReadonlyArray<string> => {
  const start = reference.indexOf(`## \`${entry}\`\n`)
  assert.isAtLeast(start, 0, `API.md has a section for ${entry}`)
  const rest = reference.slice(start + 1)
  const end = rest.search(/^## /m)
  const section = end === -1 ? rest : rest.slice(0, end)
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] ?? "")
}

describe("API.md", () => {
  const reference = readFileSync(join(coreDir, "API.md"), "utf8")

  for (const entry of entries) {
    it(`names every export of ${entry.name}, once, and nothing else`, async () => {
      const exported = exportsOf(join(coreDir, entry.file))
      const module: object = await import(join(coreDir, entry.file))
      assert.deepStrictEqual(
        unique(exported.filter((e) => e.value).map((e) => e.name)),
        unique(Object.keys(module)),
        "the value exports read from the sources are the module's"
      )
      const names = documented(reference, entry.name)
      assert.strictEqual(new Set(names).size, names.length, "no name twice")
      assert.deepStrictEqual(unique(names), unique(exported.map((e) => e.name)))
    })
  }
})
