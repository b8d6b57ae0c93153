/**
 * `parseJson` is the first step of decoding every API answer and watch line:
 * any JSON text gives back the value it was made from, anything else none
 * (never a throw).
 */
import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import fc from "fast-check"
import { parseJson } from "../src/index.ts"

describe("parseJson", () => {
  it("gives back the value of any JSON text", () =>
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed = parseJson(JSON.stringify(value))
        assert.isTrue(Option.isSome(parsed))
        // JSON has no -0: the text of -0 is "0".
        assert.deepStrictEqual(parsed, Option.some(JSON.parse(JSON.stringify(value))))
      })
    ))

  it("gives none for text that is not JSON", () => {
    for (const text of ["", "<html>bad gateway</html>", "{", '{"a":1}x', "undefined", "NaN", "'a'"]) {
      assert.isTrue(Option.isNone(parseJson(text)), text)
    }
  })
})
