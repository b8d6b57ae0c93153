/**
 * Runs the LiteLLM simulator as a process:
 *   node packages/litellm/src/bin/simulator.ts [--port 4000] [--master-key sk-...] [--seed 1] [--profile legacy]
 * The master key falls back to $LITELLM_MASTER_KEY. Prints one JSON line
 * `{"url": "http://127.0.0.1:<port>"}` once listening; stops on SIGINT/SIGTERM.
 * The command line is Effect's CLI module, as every command of the repository
 * (packages/app/src/cli/run.ts): `--help`, `--version`, the help and the error
 * on a bad flag.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Config, Console, Effect, Layer, Option } from "effect"
import { CliConfig, Command, Flag, GlobalFlag } from "effect/cli"
import packageJson from "../../package.json" with { type: "json" }
import { legacyProfile, Simulator } from "../simulator/Simulator.ts"

const nonNegative = (n: number) => n >= 0 && Number.isInteger(n)
const simulator = Command.make(
  "simulator",
  {
    port: Flag.Int("port").pipe(
      Flag.withDescription("port to listen on, on 127.0.0.1 (default 0: a free one)"),
      Flag.filter(nonNegative, (n) => `--port must be a non-negative integer (got ${n})`),
      Flag.withDefault(0)
    ),
    masterKey: Flag.Redacted("master-key").pipe(
      Flag.withDescription("the master key it accepts [env LITELLM_MASTER_KEY]"),
      Flag.withFallbackConfig(Config.Redacted("LITELLM_MASTER_KEY"))
    ),
    seed: Flag.Int("seed").pipe(
      Flag.withDescription("seeds ids, generated keys and fault dice"),
      Flag.filter(nonNegative, (n) => `--seed must be a non-negative integer (got ${n})`),
      Flag.optional
    ),
    profile: Flag.Literals("profile", ["latest", "legacy"]).pipe(
      Flag.withDescription("which LiteLLM it behaves like (default latest)"),
      Flag.withDefault("latest")
    )
  },
  (input) =>
    Effect.gen(function* () {
      const sim = yield* Simulator.make({
        masterKey: input.masterKey,
        port: input.port,
        ...(Option.isSome(input.seed) ? { seed: input.seed.value } : {}),
        ...(input.profile === "legacy" ? { profile: legacyProfile } : {})
      })
      yield* Console.log(JSON.stringify({ url: sim.url }))
      return yield* Effect.never
    }).pipe(Effect.scoped)
).pipe(Command.withDescription("The LiteLLM simulator: LiteLLM's admin API and data plane, in memory."))

Command.run(simulator, { version: packageJson.version }).pipe(
  Effect.provide(
    Layer.mergeAll(NodeServices.layer, CliConfig.layer({ builtIns: [GlobalFlag.Help, GlobalFlag.Version] }))
  ),
  NodeRuntime.runMain
)
