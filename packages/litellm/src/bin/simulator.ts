/**
 * Runs the LiteLLM simulator as a process:
 *   node packages/litellm/src/bin/simulator.ts [--port 4000] [--master-key sk-...] [--seed 1] [--profile legacy]
 * The master key defaults to $LITELLM_MASTER_KEY. Prints one JSON line
 * `{"url": "http://127.0.0.1:<port>"}` once listening; stops on SIGINT/SIGTERM.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Config, Console, Effect, Option, Redacted, Schema } from "effect"
import { legacyProfile, Simulator } from "../simulator/Simulator.ts"

class UsageError extends Schema.TaggedError<UsageError>()("UsageError", { message: Schema.String }) {}

const flag = (name: string): Option.Option<string> => {
  const args = process.argv.slice(2)
  const at = args.indexOf(`--${name}`)
  if (at >= 0) return Option.fromUndefinedOr(args[at + 1])
  const inline = args.find((a) => a.startsWith(`--${name}=`))
  return inline === undefined ? Option.none() : Option.some(inline.slice(name.length + 3))
}

const intFlag = Effect.fnUntraced(function* (name: string) {
  const raw = flag(name)
  if (Option.isNone(raw)) return undefined
  const n = Number(raw.value)
  if (!Number.isInteger(n) || n < 0)
    return yield* new UsageError({ message: `--${name} must be a non-negative integer` })
  return n
})

const main = Effect.gen(function* () {
  const fromFlag = flag("master-key")
  const masterKey = Option.isSome(fromFlag)
    ? Redacted.make(fromFlag.value)
    : yield* Config.Redacted("LITELLM_MASTER_KEY").pipe(
        Effect.mapError(() => new UsageError({ message: "pass --master-key or set LITELLM_MASTER_KEY" }))
      )
  const port = yield* intFlag("port")
  const seed = yield* intFlag("seed")
  const profileName = Option.getOrElse(flag("profile"), () => "latest")
  if (profileName !== "latest" && profileName !== "legacy")
    return yield* new UsageError({ message: "--profile must be latest or legacy" })
  const sim = yield* Simulator.make({
    masterKey,
    ...(port === undefined ? {} : { port }),
    ...(seed === undefined ? {} : { seed }),
    ...(profileName === "legacy" ? { profile: legacyProfile } : {})
  })
  yield* Console.log(JSON.stringify({ url: sim.url }))
  return yield* Effect.never
})

NodeRuntime.runMain(Effect.scoped(main))
