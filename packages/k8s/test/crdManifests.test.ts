import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { crdFileName, renderCrd } from "../src/crd/renderCrd.ts"
import { customResourceDefinitions } from "../src/index.ts"

type Node = { readonly [key: string]: unknown }
const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v)

/** Every schema node under `node`, with its path. */
const nodes = (node: Node, path: string): ReadonlyArray<readonly [string, Node]> => [
  [path, node],
  ...(isNode(node.properties)
    ? Object.entries(node.properties).flatMap(([k, v]) => (isNode(v) ? nodes(v, `${path}.${k}`) : []))
    : []),
  ...(isNode(node.items) ? nodes(node.items, `${path}[]`) : []),
  ...(isNode(node.additionalProperties) ? nodes(node.additionalProperties, `${path}{}`) : [])
]

const specOf = (crd: ReturnType<typeof customResourceDefinitions>[number]): Node => {
  const spec = crd.spec.versions[0]?.schema.openAPIV3Schema.properties.spec
  return isNode(spec) ? spec : {}
}

const crdDir = join(import.meta.dirname, "..", "..", "..", "deploy", "chart", "crds")

describe("CRD manifests", () => {
  it("the committed YAML is what the core schemas generate (run `pnpm crds` after changing them)", () => {
    for (const crd of customResourceDefinitions()) {
      const committed = readFileSync(join(crdDir, crdFileName(crd)), "utf8")
      assert.strictEqual(committed, renderCrd(crd), `${crdFileName(crd)} is out of date: run pnpm crds`)
    }
  })

  it("keep every enum and CEL rule the generator produced", () => {
    const count = (text: string, word: string) => text.split(word).length - 1
    for (const crd of customResourceDefinitions()) {
      const committed = readFileSync(join(crdDir, crdFileName(crd)), "utf8")
      const generated = JSON.stringify(crd)
      for (const [yaml, json] of [
        ["x-kubernetes-validations:", '"x-kubernetes-validations":'],
        ["enum:", '"enum":'],
        ["rule: ", '"rule":']
      ] as const) {
        assert.isAbove(count(generated, json), 0, `${crd.metadata.name} generates no ${json}`)
        assert.strictEqual(count(committed, yaml), count(generated, json), `${crdFileName(crd)}: ${yaml}`)
      }
    }
  })

  it("carry no JSON Schema constructs that Kubernetes refuses in a structural schema", () => {
    const forbidden = ['"$ref"', '"allOf"', '"anyOf"', '"oneOf"', '"$defs"', '"additionalProperties":true']
    for (const crd of customResourceDefinitions()) {
      const json = JSON.stringify(crd)
      for (const word of forbidden) assert.notInclude(json, word, `${crd.metadata.name} contains ${word}`)
    }
  })

  it("bound every spec string, list, map and number (issue 11: nothing unbounded reaches LiteLLM)", () => {
    const unbounded: Array<string> = []
    let visited = 0
    for (const crd of customResourceDefinitions()) {
      for (const [path, node] of nodes(specOf(crd), crd.spec.names.kind)) {
        visited++
        const bounded =
          (node.type === "string" && (typeof node.maxLength === "number" || Array.isArray(node.enum))) ||
          (node.type === "array" && typeof node.maxItems === "number") ||
          (node.type === "object" && (isNode(node.properties) || typeof node.maxProperties === "number")) ||
          (node.type === "integer" && typeof node.maximum === "number" && typeof node.minimum === "number") ||
          node.type === "boolean"
        if (!bounded) unbounded.push(`${path}: ${JSON.stringify(node).slice(0, 120)}`)
      }
    }
    assert.deepStrictEqual(unbounded, [])
    assert.isAbove(visited, 120)
  })

  it("show each described spec field's bounds in its description (kubectl explain)", () => {
    const missing: Array<string> = []
    for (const crd of customResourceDefinitions()) {
      for (const [path, node] of nodes(specOf(crd), crd.spec.names.kind)) {
        if (typeof node.description !== "string") continue
        const limit = node.maxItems ?? node.maxProperties ?? (node.type === "string" ? node.maxLength : node.maximum)
        if (limit === undefined) continue
        if (!node.description.includes(`Bounds: `) || !node.description.includes(String(limit))) {
          missing.push(`${path}: ${node.description}`)
        }
      }
    }
    assert.deepStrictEqual(missing, [])
    const team = customResourceDefinitions().find((c) => c.spec.names.kind === "Team")
    const alias =
      team === undefined ? undefined : Reflect.get(Reflect.get(specOf(team), "properties") ?? {}, "teamAlias")
    assert.strictEqual(
      isNode(alias) ? alias.description : undefined,
      "TeamAlias is the alias of the team. Bounds: at most 256 characters; no control, format or bidirectional characters."
    )
  })
})
