/**
 * Crash safety: the operator (src/main.ts) runs as a child process and is SIGKILLed at
 * seeded, reproducible points while it creates VirtualKeys and Users with
 * their own keys, then started again. At the end every object is Ready, the
 * key in every key Secret is in LiteLLM under its sha256 token and is the only
 * key under its alias, and LiteLLM holds no key, user or team without its
 * object. The simulator runs here, in the parent, so it survives the kills.
 *
 * Default: 2 kill schedules. `LITELLM_OPERATOR_STRESS=long`: 20.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Duration, Effect, Exit, Fiber, Schedule, Scope } from "effect"
import fc from "fast-check"
import { inject } from "vitest"
import { spawnOperator } from "./support/childProcess.ts"
import { createConnectionSecret, freshNamespace, harnessLayer } from "./support/operatorHarness.ts"
import {
  awaitAllReady,
  integrityProblems,
  keySecretTokens,
  longMode,
  populate,
  sumCalls,
  total
} from "./support/stress.ts"

const SCHEDULES = longMode ? 20 : 2
/** 56 keys in all: 28 VirtualKeys and 28 Users with their own key, plus a few Teams. */
const COUNTS = { teams: 4, users: 28, keys: 28, associations: 0 }

/**
 * One kill: a while after the child started (or after its informers synced),
 * or as soon as LiteLLM has seen some more writes from it (so that kills land
 * among the Secret writes, key mints and status patches of a busy operator).
 */
type Kill =
  | { readonly _tag: "AfterDelay"; readonly afterReady: boolean; readonly delayMs: number }
  | { readonly _tag: "AfterWrites"; readonly writes: number }

const killArb: fc.Arbitrary<Kill> = fc.oneof(
  fc.record({
    _tag: fc.constant("AfterDelay" as const),
    afterReady: fc.boolean(),
    delayMs: fc.integer({ min: 0, max: 1200 })
  }),
  fc.record({ _tag: fc.constant("AfterWrites" as const), writes: fc.integer({ min: 1, max: 40 }) })
)
const scheduleArb = fc.array(killArb, { minLength: 2, maxLength: 5 })

/** The kill schedule of a seed; the same seed gives the same schedule. */
const scheduleOf = (seed: number): ReadonlyArray<Kill> => fc.sample(scheduleArb, { numRuns: 1, seed })[0] ?? []

const operatorArgs = (namespace: string) => [
  "--kubeconfig",
  inject("kubeconfig"),
  "--namespace",
  namespace,
  "--workers",
  "4",
  "--resync-period",
  "30s",
  "--litellm-timeout",
  "5s",
  "--log-level",
  "Warn",
  "--leader-elect=false"
]

describe("crash safety", () => {
  layer(harnessLayer(31), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect(
      `SIGKILLed at ${SCHEDULES} seeded schedules while minting ${COUNTS.keys + COUNTS.users} keys: nothing lost, duplicated or orphaned`,
      () =>
        Effect.gen(function* () {
          const sim = yield* Simulator
          for (let seed = 1; seed <= SCHEDULES; seed++) {
            const schedule = scheduleOf(seed)
            yield* sim.reset
            const namespace = yield* freshNamespace(`crash-${seed}`)
            yield* createConnectionSecret(namespace)
            // The objects arrive while the first operator is starting.
            const creating = yield* Effect.forkScoped(populate(namespace, COUNTS, `c${seed}`))
            const killedAt: Array<number> = []
            for (const kill of schedule) {
              const scope = yield* Scope.make()
              const child = yield* spawnOperator(operatorArgs(namespace)).pipe(Scope.provide(scope))
              if (kill._tag === "AfterDelay") {
                if (kill.afterReady) yield* child.ready()
                yield* Effect.sleep(Duration.millis(kill.delayMs))
              } else {
                const from = sumCalls(yield* sim.calls).writes
                yield* sim.calls.pipe(
                  Effect.repeat({
                    schedule: Schedule.spaced("2 millis"),
                    until: (calls) => sumCalls(calls).writes >= from + kill.writes
                  }),
                  // Everything may be done before that many writes: then kill it anyway.
                  Effect.timeoutOrElse({ duration: "3 seconds", orElse: () => Effect.void })
                )
              }
              killedAt.push(sumCalls(yield* sim.calls).writes)
              yield* child.kill
              const exit = yield* child.exit
              assert.strictEqual(
                exit?.signal,
                "SIGKILL",
                `the child should have been killed, not ${JSON.stringify(exit)}`
              )
              yield* Scope.close(scope, Exit.void)
            }
            const child = yield* spawnOperator(operatorArgs(namespace))
            yield* child.ready()
            yield* Fiber.join(creating)
            const population = yield* awaitAllReady(namespace, total(COUNTS), "90 seconds")
            const tokens = yield* keySecretTokens(namespace)
            const snapshot = yield* sim.snapshot
            const problems = integrityProblems(snapshot, population, tokens)
            assert.deepStrictEqual(problems, [], `seed ${seed}, schedule ${JSON.stringify(schedule)}`)
            assert.strictEqual(snapshot.keys.length, COUNTS.keys + COUNTS.users)
            assert.strictEqual(snapshot.users.filter((u) => u.user_id !== "default_user_id").length, COUNTS.users)
            assert.strictEqual(snapshot.teams.length, COUNTS.teams)
            yield* child.kill
            const writes = sumCalls(yield* sim.calls).writes
            const midFlight = killedAt.filter((w) => w > 0 && w < writes).length
            process.stderr.write(
              `crash safety seed ${seed}: ${schedule.length} kills (${midFlight} mid-flight) at ${killedAt.join(", ")} of ${writes} LiteLLM writes; ` +
                `${snapshot.keys.length} keys, ${snapshot.users.length} users, ${snapshot.teams.length} teams, all Ready, no duplicates or orphans\n`
            )
          }
        }),
      longMode ? 1_800_000 : 120_000
    )
  })
})
