/**
 * The one command-line layer: every command of this repository (the operator,
 * `plan`, `export`, the local run, the benchmark; the simulator in its own
 * package does the same) is an Effect CLI command, with Effect `Config` as the
 * fallback for environment variables, `--help` and `--version`, and the same
 * error style: the command's help, then what was wrong.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Cause, Config, Effect, Exit, Layer, Option, type Runtime, Schema } from "effect"
import { CliConfig, CliError, Command, Flag, GlobalFlag } from "effect/cli"

/**
 * What a command line needs: Node's services, and only `--help` and
 * `--version` as built-in flags (Effect's built-in `--log-level` would shadow
 * the operator's own, which takes `Info` as it always did).
 */
export const cliServices = Layer.mergeAll(
  NodeServices.layer,
  CliConfig.layer({ builtIns: [GlobalFlag.Help, GlobalFlag.Version] })
)

/** The installation id: the operator's, and plan's (its owner markers and --prune filter). */
export const installationIdFlag = Flag.String("installation-id").pipe(
  Flag.withDescription(
    "names this installation in the owner markers written into LiteLLM; give each cluster sharing a LiteLLM its own (default litellm-operator) [env INSTALLATION_ID]"
  ),
  Flag.withFallbackConfig(Config.String("INSTALLATION_ID")),
  Flag.withDefault("litellm-operator")
)

/** A command that ends with a given exit status (plan: 0 no change, 2 changes). */
export class ExitWith extends Schema.TaggedError<ExitWith>()("ExitWith", { code: Schema.Number }) {}

/** A failure a command reports as one line: `<program>: <message>`. */
export class CommandFailed extends Schema.TaggedError<CommandFailed>()("CommandFailed", {
  message: Schema.String
}) {}

/** The messages of a CLI error, one line each (a ShowHelp carries the parse errors). */
export const cliErrorMessage = (error: unknown): string => {
  if (CliError.isCliError(error) && error._tag === "ShowHelp") {
    return error.errors.map((e) => e.message).join("; ") || "invalid command line"
  }
  return error instanceof Error ? error.message : String(error)
}

/**
 * Runs a command as a process's main: the arguments from `process.argv`.
 * Exit status: 0 on success or on a stop by signal, `ExitWith`'s code, the
 * usage code on a command-line error (the help and the error are printed),
 * 1 on any other failure (its message on stderr; never a stack of secrets:
 * commands fail with messages they wrote).
 */
export const runMain = <Name extends string, Input, ContextInput, E>(
  command: Command.Command<Name, Input, ContextInput, E, Command.Environment>,
  options: {
    readonly version: string
    /** Exit status of a command-line error (the operator: 2, as it always was; plan: 1). */
    readonly usageExitCode: (argv: ReadonlyArray<string>) => number
  }
): void => {
  const program = name(command)
  const argv = process.argv.slice(2)
  const teardown: Runtime.Teardown = (exit, onExit) => {
    if (Exit.isSuccess(exit)) return onExit(0)
    if (Cause.hasInterruptsOnly(exit.cause)) return onExit(0)
    const error = Option.getOrUndefined(Cause.findErrorOption(exit.cause))
    if (error instanceof ExitWith) return onExit(error.code)
    if (CliError.isCliError(error)) return onExit(options.usageExitCode(argv))
    const message =
      error === undefined ? Cause.pretty(exit.cause) : error instanceof Error ? error.message : String(error)
    process.stderr.write(`${program}: ${message}\n`)
    return onExit(1)
  }
  Command.runWith(command, { version: options.version })(argv).pipe(
    Effect.provide(cliServices),
    NodeRuntime.runMain({ teardown, disableErrorReporting: true })
  )
}

const name = (command: { readonly name: string }): string => command.name
