/**
 * The operator converges while LiteLLM misbehaves: 20% of calls answer 5xx,
 * 5% never answer (the client's timeout ends them), and for 400 ms of every
 * 2 s every call is refused with 429 and retry-after. Everything ends Ready,
 * the simulator holds no duplicate, and the LiteLLM calls per object stay
 * bounded (no hot loop: once converged, the operator goes quiet).
 *
 * Default: 20 objects of the four kinds. `LITELLM_OPERATOR_STRESS=long`: 150.
 */
import { assert, describe, layer } from "@effect/vitest"
import type { FaultRule } from "@litellm-operator/litellm/simulator"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Duration, Effect, Fiber } from "effect"
import { createConnectionSecret, freshNamespace, harnessLayer } from "./support/operatorHarness.ts"
import {
  awaitAllReady,
  integrityProblems,
  keySecretTokens,
  longMode,
  populate,
  startInProcess,
  sumCalls,
  total
} from "./support/stress.ts"

const COUNTS = longMode
  ? { teams: 20, users: 40, keys: 60, associations: 30 }
  : { teams: 4, users: 6, keys: 6, associations: 4 }

/** 5% hang; of the rest, about 20% fail with a 500 or a 503. */
const baseRules: ReadonlyArray<FaultRule> = [
  { kind: "hang", rate: 0.05 },
  { kind: "error", rate: 0.1, status: 500 },
  { kind: "error", rate: 0.11, status: 503 }
]
/** During a burst every call is refused with 429 and `retry-after: 1`. */
const burst: FaultRule = { kind: "rateLimit", rate: 1, retryAfterSeconds: 1 }

/** Bursts of 429 for 400 ms every 2 s, on top of the base faults. */
const rateLimitBursts = (sim: Simulator["Service"]) =>
  Effect.forever(
    Effect.gen(function* () {
      yield* sim.setFaults([burst, ...baseRules])
      yield* Effect.sleep("400 millis")
      yield* sim.setFaults(baseRules)
      yield* Effect.sleep("1600 millis")
    })
  )

/** Calls per object allowed until convergence; a hot loop would make hundreds. */
const MAX_CALLS_PER_OBJECT = 30

describe("LiteLLM faults", () => {
  layer(harnessLayer(41), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect(
      `${total(COUNTS)} objects converge under 20% 5xx, 5% hangs and 429 bursts, without duplicates or a hot loop`,
      () =>
        Effect.gen(function* () {
          const sim = yield* Simulator
          const namespace = yield* freshNamespace("faults-litellm")
          yield* createConnectionSecret(namespace)
          yield* sim.setFaults(baseRules)
          const bursts = yield* Effect.forkScoped(rateLimitBursts(sim))
          yield* sim.resetCalls
          const started = Date.now()
          // A long resync, so that every call counted below is convergence work, not periodic reads.
          const operator = yield* startInProcess(
            namespace,
            { workers: 4, resyncPeriod: Duration.minutes(10) },
            { litellmTimeout: "1 second" }
          )
          yield* populate(namespace, COUNTS, "lf")
          const population = yield* awaitAllReady(namespace, total(COUNTS), longMode ? "300 seconds" : "120 seconds")
          const seconds = (Date.now() - started) / 1000
          yield* Fiber.interrupt(bursts)
          yield* sim.clearFaults
          const calls = sumCalls(yield* sim.calls)
          const perObject = calls.total / total(COUNTS)

          const problems = integrityProblems(yield* sim.snapshot, population, yield* keySecretTokens(namespace))
          assert.deepStrictEqual(problems, [])
          assert.isAtMost(perObject, MAX_CALLS_PER_OBJECT, `LiteLLM calls per object: ${perObject.toFixed(1)}`)

          // No hot loop: once the last status patches have been seen, nothing calls LiteLLM until the resync.
          yield* Effect.sleep(Duration.seconds(2))
          yield* sim.resetCalls
          yield* Effect.sleep(Duration.seconds(4))
          const quiet = sumCalls(yield* sim.calls)
          assert.strictEqual(quiet.writes, 0, "LiteLLM writes after convergence")
          assert.isAtMost(quiet.total, total(COUNTS), "LiteLLM reads after convergence")
          assert.isUndefined(operator.pollUnsafe(), "the operator stopped")
          process.stderr.write(
            `LiteLLM faults: ${total(COUNTS)} objects Ready in ${seconds.toFixed(1)} s; ${calls.total} LiteLLM calls ` +
              `(${perObject.toFixed(1)} per object, ${calls.writes} writes), ${quiet.total} calls in the 4 s after\n`
          )
        }),
      longMode ? 600_000 : 180_000
    )
  })
})
