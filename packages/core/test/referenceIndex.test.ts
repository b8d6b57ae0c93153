import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { makeReferenceIndex } from "../src/index.ts"

describe("ReferenceIndex", () => {
  it("agrees with a scan of what every object names, and releases exactly the refs nothing names any more", () => {
    const ids = fc.constantFrom("a", "b", "c", "d", "e")
    const refs = fc.option(fc.constantFrom("s1", "s2", "s3"), { nil: undefined })
    fc.assert(
      fc.property(fc.array(fc.tuple(ids, refs), { maxLength: 60 }), (ops) => {
        const index = makeReferenceIndex<string>()
        const model = new Map<string, string>()
        for (const [id, ref] of ops) {
          const before = new Set(model.values())
          if (ref === undefined) model.delete(id)
          else model.set(id, ref)
          const after = new Set(model.values())
          const released = index.set(id, ref, id)
          const expected = [...before].filter((r) => !after.has(r))
          assert.deepStrictEqual(released === undefined ? [] : [released], expected)
          for (const r of ["s1", "s2", "s3"]) {
            const scan = [...model].filter(([, v]) => v === r).map(([k]) => k)
            assert.deepStrictEqual([...index.dependents(r)].sort(), scan.sort())
          }
          assert.strictEqual(index.size(), after.size)
        }
      }),
      { numRuns: 300 }
    )
  })

  it("agrees with a scan when objects name several refs at once", () => {
    const ids = fc.constantFrom("a", "b", "c", "d")
    const refs = fc.uniqueArray(fc.constantFrom("s1", "s2", "s3"), { maxLength: 3 })
    fc.assert(
      fc.property(fc.array(fc.tuple(ids, refs), { maxLength: 60 }), (ops) => {
        const index = makeReferenceIndex<string>()
        const model = new Map<string, ReadonlyArray<string>>()
        for (const [id, named] of ops) {
          const before = new Set([...model.values()].flat())
          model.set(id, named)
          const after = new Set([...model.values()].flat())
          const released = index.setAll(id, named, id)
          assert.deepStrictEqual([...released].sort(), [...before].filter((r) => !after.has(r)).sort())
          for (const r of ["s1", "s2", "s3"]) {
            const scan = [...model].filter(([, v]) => v.includes(r)).map(([k]) => k)
            assert.deepStrictEqual([...index.dependents(r)].sort(), scan.sort())
          }
          assert.strictEqual(index.size(), after.size)
        }
      }),
      { numRuns: 300 }
    )
  })
})
