import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Option } from "effect"
import { loadOperatorConfig } from "../src/config/OperatorConfig.ts"

const failureMessage = <A>(exit: Exit.Exit<A, { readonly message: string }>): string =>
  Exit.isFailure(exit) ? String(exit.cause) : ""

describe("operator configuration", () => {
  it.effect("has sensible defaults", () =>
    Effect.gen(function* () {
      const config = yield* loadOperatorConfig([], {})
      assert.strictEqual(config.workers, 4)
      assert.isTrue(Duration.equals(config.resyncPeriod, Duration.minutes(5)))
      assert.isTrue(config.leaderElect)
      assert.isTrue(Option.isNone(config.namespace))
      assert.isTrue(Duration.equals(config.listMaxAge, Duration.seconds(150)), "half the resync period")
    })
  )

  it.effect("list-based observation follows the resync period unless set; 0s turns it off", () =>
    Effect.gen(function* () {
      const derived = yield* loadOperatorConfig(["--resync-period", "1m"], {})
      assert.isTrue(Duration.equals(derived.listMaxAge, Duration.seconds(30)))
      const set = yield* loadOperatorConfig(["--list-max-age", "2m"], {})
      assert.isTrue(Duration.equals(set.listMaxAge, Duration.minutes(2)))
      const off = yield* loadOperatorConfig([], { LIST_MAX_AGE: "0s" })
      assert.isTrue(Duration.isZero(off.listMaxAge))
      const bad = yield* Effect.exit(loadOperatorConfig(["--list-max-age", "soon"], {}))
      assert.include(failureMessage(bad), "--list-max-age must be a duration")
    })
  )

  it.effect("reads a bare --leader-elect as true, and --leader-elect=false / --leader-elect false as false", () =>
    Effect.gen(function* () {
      assert.isTrue((yield* loadOperatorConfig(["--leader-elect"], { LEADER_ELECT: "false" })).leaderElect)
      assert.isFalse((yield* loadOperatorConfig(["--leader-elect=false"], {})).leaderElect)
      assert.isFalse((yield* loadOperatorConfig(["--leader-elect", "false"], {})).leaderElect)
      assert.strictEqual((yield* loadOperatorConfig(["--log-level", "Debug"], {})).logLevel, "Debug")
      assert.strictEqual((yield* loadOperatorConfig([], { LOG_LEVEL: "Warn" })).logLevel, "Warn")
    })
  )

  it.effect("takes flags over environment variables", () =>
    Effect.gen(function* () {
      const config = yield* loadOperatorConfig(["--workers", "8", "--resync-period=30s", "--namespace", "team-a"], {
        WORKERS: "2",
        LEADER_ELECT: "false"
      })
      assert.strictEqual(config.workers, 8)
      assert.isTrue(Duration.equals(config.resyncPeriod, Duration.seconds(30)))
      assert.deepStrictEqual(config.namespace, Option.some("team-a"))
      assert.isFalse(config.leaderElect)
    })
  )

  it.effect("names the setting that is wrong", () =>
    Effect.gen(function* () {
      const unknown = yield* Effect.exit(loadOperatorConfig(["--wrokers", "3"], {}))
      assert.include(failureMessage(unknown), "Unrecognized flag: --wrokers")
      const notANumber = yield* Effect.exit(loadOperatorConfig([], { WORKERS: "many" }))
      assert.include(failureMessage(notANumber), "WORKERS")
      const zero = yield* Effect.exit(loadOperatorConfig(["--workers", "0"], {}))
      assert.include(failureMessage(zero), "--workers must be at least 1")
      const period = yield* Effect.exit(loadOperatorConfig(["--resync-period", "5 minutes"], {}))
      assert.include(failureMessage(period), "--resync-period must be a duration such as 30s, 5m or 1h")
      const missing = yield* Effect.exit(loadOperatorConfig(["--namespace"], {}))
      assert.include(failureMessage(missing), "Missing value for flag --namespace")
    })
  )
})
