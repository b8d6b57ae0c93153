import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { crdFileName, renderCrd } from "../src/crd/renderCrd.ts"
import { customResourceDefinitions } from "../src/index.ts"

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
})
