import { getHeapStatistics, setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
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

  it("trims the arrays of what it caches to their length", () => {
    setFlagsFromString("--expose-gc")
    const gc: unknown = runInNewContext("gc")
    const collect = () => {
      if (typeof gc === "function") gc()
      return getHeapStatistics().used_heap_size
    }
    // Arrays built by appending, as a decoder builds them: room for 17 elements, whatever they hold.
    const objects = Array.from({ length: 20_000 }, (_, i) => {
      const finalizers: Array<string> = []
      finalizers.push(`f${i % 3}`)
      return { metadata: { finalizers }, spec: { models: [] as Array<string> } }
    })
    const before = collect()
    const strings = makeSharedStrings()
    for (const object of objects) strings.share(object)
    const saved = (before - collect()) / objects.length
    assert.isAtLeast(saved, 100, `${saved.toFixed(0)} bytes saved per object`)
    assert.deepStrictEqual(objects[4], { metadata: { finalizers: ["f1"] }, spec: { models: [] } })
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
