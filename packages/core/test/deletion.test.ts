import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { deletionPolicyFor } from "../src/index.ts"

describe("deletion policy", () => {
  it("deletes what the operator created and orphans what it adopted", () => {
    assert.deepStrictEqual(deletionPolicyFor({ annotation: undefined, adopted: false }), {
      _tag: "Valid",
      policy: "Delete"
    })
    assert.deepStrictEqual(deletionPolicyFor({ annotation: undefined, adopted: true }), {
      _tag: "Valid",
      policy: "Orphan"
    })
  })

  it("lets the annotation decide", () => {
    assert.deepStrictEqual(deletionPolicyFor({ annotation: "Orphan", adopted: false }), {
      _tag: "Valid",
      policy: "Orphan"
    })
    assert.deepStrictEqual(deletionPolicyFor({ annotation: "Delete", adopted: true }), {
      _tag: "Valid",
      policy: "Delete"
    })
  })

  it("takes no other value for a default, and says which value it refused", () => {
    for (const annotation of ["orphan", "delete", "Retain", "", " Orphan"]) {
      for (const adopted of [false, true]) {
        const result = deletionPolicyFor({ annotation, adopted })
        assert.strictEqual(result._tag, "Invalid", annotation)
        if (result._tag === "Invalid") {
          assert.include(result.message, "auth.litellm.ai/deletion-policy")
          assert.include(result.message, JSON.stringify(annotation))
        }
      }
    }
  })

  it("is Valid exactly for the two policies and no annotation, and quotes at most 64 characters", () => {
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 200 }), { nil: undefined }), fc.boolean(), (annotation, adopted) => {
        const result = deletionPolicyFor({ annotation, adopted })
        const valid = annotation === undefined || annotation === "Delete" || annotation === "Orphan"
        assert.strictEqual(result._tag === "Valid", valid)
        if (result._tag === "Invalid") assert.isAtMost(result.message.length, 250)
      })
    )
  })
})
