import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { metricSeries } from "../src/index.ts"

describe("metricSeries", () => {
  it.effect("tags each attribute set once, and each update lands in its own series", () =>
    Effect.gen(function* () {
      const calls = Metric.counter("test_calls_total", { incremental: true })
      const series = metricSeries(calls)
      const ok = series({ kind: "Team", result: "success" })
      assert.strictEqual(series({ kind: "Team", result: "success" }), ok)
      assert.notStrictEqual(series({ kind: "Team", result: "error" }), ok)
      yield* Metric.update(ok, 1)
      yield* Metric.update(series({ kind: "Team", result: "success" }), 1)
      yield* Metric.update(series({ kind: "Team", result: "error" }), 1)
      assert.strictEqual((yield* Metric.value(ok)).count, 2)
      assert.strictEqual((yield* Metric.value(series({ kind: "Team", result: "error" }))).count, 1)
      // The same series as tagging afresh would have made.
      assert.strictEqual(
        (yield* Metric.value(Metric.withAttributes(calls, { kind: "Team", result: "success" }))).count,
        2
      )
    })
  )
})
