import { assert, describe, it } from "@effect/vitest"
import { deletionPolicyFor } from "../src/index.ts"

describe("deletion policy", () => {
  it("deletes what the operator created and orphans what it adopted", () => {
    assert.strictEqual(deletionPolicyFor({ annotation: undefined, adopted: false }), "Delete")
    assert.strictEqual(deletionPolicyFor({ annotation: undefined, adopted: true }), "Orphan")
  })

  it("lets the annotation decide, and ignores a value it does not know", () => {
    assert.strictEqual(deletionPolicyFor({ annotation: "Orphan", adopted: false }), "Orphan")
    assert.strictEqual(deletionPolicyFor({ annotation: "Delete", adopted: true }), "Delete")
    assert.strictEqual(deletionPolicyFor({ annotation: "delete-please", adopted: true }), "Orphan")
  })
})
