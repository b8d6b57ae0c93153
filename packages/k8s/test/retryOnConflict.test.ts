/** The one conflict retry the client's helpers share (client-go's RetryOnConflict). */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Ref } from "effect"
import * as fc from "fast-check"
import { cachedThenRead, conflictAttempts, retryOnConflict } from "../src/client/retryOnConflict.ts"
import { Conflict, KubeError, NotFound } from "../src/index.ts"

const serverConflict = new KubeError({
  operation: "PATCH /x",
  status: 409,
  reason: new Conflict({ message: "the object has been modified", alreadyExists: false })
})
/** The client's own refusal (e.g. a Secret owned by another object): no HTTP status. */
const ownRefusal = new KubeError({
  operation: "apply Secret a/b",
  reason: new Conflict({ message: "not owned", alreadyExists: true })
})
const notFound = new KubeError({ operation: "GET /x", status: 404, reason: new NotFound({ message: "gone" }) })

/** Fails with `error` the first `failures` times, then succeeds with the attempt number. */
const failing = (failures: number, error: KubeError) =>
  Effect.gen(function* () {
    const attempts = yield* Ref.make(0)
    const attempt = Effect.flatMap(
      Ref.updateAndGet(attempts, (n) => n + 1),
      (n) => (n <= failures ? Effect.fail(error) : Effect.succeed(n))
    )
    return { attempt, attempts: Ref.get(attempts) }
  })

describe("retryOnConflict", () => {
  it.live("retries server conflicts up to the limit, and stops at it", () =>
    Effect.gen(function* () {
      const within = yield* failing(conflictAttempts - 1, serverConflict)
      assert.strictEqual(yield* retryOnConflict(within.attempt), conflictAttempts)

      const beyond = yield* failing(conflictAttempts, serverConflict)
      const error = yield* Effect.flip(retryOnConflict(beyond.attempt))
      assert.strictEqual(error.status, 409)
      assert.strictEqual(yield* beyond.attempts, conflictAttempts)
    })
  )

  it.live("never retries anything else: the client's own refusal, or another reason", () =>
    Effect.gen(function* () {
      for (const error of [ownRefusal, notFound]) {
        const once = yield* failing(1, error)
        assert.strictEqual((yield* Effect.flip(retryOnConflict(once.attempt))).reason._tag, error.reason._tag)
        assert.strictEqual(yield* once.attempts, 1)
      }
    })
  )

  it.effect("cachedThenRead gives the cached value once, then reads", () =>
    Effect.sync(() =>
      fc.assert(
        fc.property(fc.option(fc.integer(), { nil: undefined }), fc.integer({ min: 1, max: 5 }), (cached, runs) => {
          let reads = 0
          const current = cachedThenRead(
            cached,
            Effect.sync(() => ++reads * -1)
          )
          const seen = Array.from({ length: runs }, () => Effect.runSync(current))
          const expected = Array.from({ length: runs }, (_, i) =>
            cached !== undefined && i === 0 ? cached : -(i + (cached === undefined ? 1 : 0))
          )
          assert.deepStrictEqual(seen, expected)
        })
      )
    )
  )
})
