import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { makeSharedStrings } from "../src/informer/SharedStrings.ts"

const json: fc.Arbitrary<unknown> = fc.jsonValue()

describe("SharedStrings", () => {
  it("leaves every object equal to what it was", () => {
    const strings = makeSharedStrings({ capacity: 8 })
    fc.assert(
      fc.property(json, (value) => {
        const copy = structuredClone(value)
        assert.deepStrictEqual(strings.share(value), copy)
      })
    )
  })

  it("keeps at most its capacity of strings, and only short ones", () => {
    const strings = makeSharedStrings({ capacity: 16, maxLength: 10 })
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 20 })), (values) => {
        strings.share({ values })
        assert.isAtMost(strings.size(), 16)
      })
    )
    const fresh = makeSharedStrings({ capacity: 16, maxLength: 10 })
    fresh.share({ a: "short", b: "x".repeat(11) })
    assert.strictEqual(fresh.size(), 1)
  })

  it("never takes the strings of a Secret's data or a key into its table", () => {
    const strings = makeSharedStrings()
    strings.share({
      metadata: { name: "n" },
      data: { key: "c2stc2VjcmV0" },
      stringData: { key: "sk-secret" },
      spec: { key: "sk-chosen" }
    })
    assert.strictEqual(strings.size(), 1)
  })
})
