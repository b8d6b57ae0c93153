import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, References } from "effect"
import { spanIfTraced } from "../src/index.ts"

describe("spanIfTraced", () => {
  it.effect("runs the effect in a span of that name when traces are kept, and in none when not", () =>
    Effect.gen(function* () {
      const spanName = Effect.map(
        Effect.option(Effect.currentSpan),
        Option.map((span) => span.name)
      )
      const kept = yield* spanName.pipe(
        spanIfTraced("work", { attributes: { key: "ns/a" } }),
        Effect.provideService(References.TracerEnabled, true)
      )
      assert.deepStrictEqual(kept, Option.some("work"))
      const off = yield* spanName.pipe(spanIfTraced("work"), Effect.provideService(References.TracerEnabled, false))
      assert.deepStrictEqual(off, Option.none())
    })
  )
})
