/**
 * The operator's production entry (the container runs the bundle of this
 * file, dist/operator.mjs):
 *
 *   node packages/app/src/main.ts [--flag value ...]          the operator (see --help)
 *   node packages/app/src/main.ts plan -f <file|dir> ...      what it would do in LiteLLM (plan --help)
 *   node packages/app/src/main.ts export [--out <file>]       a LiteLLM proxy as manifests (export --help)
 *
 * Settings come from flags and environment variables (a flag wins); a bad
 * setting prints the help and its message and exits 2. Logs are JSON lines on
 * stdout at the configured level. SIGTERM/SIGINT shut down gracefully
 * (in-flight reconciles finish, the Lease is released) and exit 0; lost
 * leadership exits 1. Spans are exported over OTLP/HTTP when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set (Tracing.ts).
 */
// First, before any schema is used: Effect compiles each schema's decoder to a plain function on its first
// use instead of interpreting the schema per value (4-5 times less CPU for a custom object). Only the
// process's entry opts in; the packages, embedded elsewhere, leave the choice to their host.
import "effect/schema/SchemaJITCompiler/enable"
import { randomBytes } from "node:crypto"
import { hostname } from "node:os"
import { Cause, Console, Effect, Exit, Layer, Logger, References } from "effect"
import { Command } from "effect/cli"
import packageJson from "../package.json" with { type: "json" }
import { exportCommand, planCommand } from "./cli/commands.ts"
import { ExitWith, runMain } from "./cli/run.ts"
import { identityOf, operatorConfigFrom, operatorFlags } from "./config/OperatorConfig.ts"
import { runOperatorProcess } from "./OperatorProcess.ts"
import { TracingConfigError, tracingLayer, tracingSettingsFrom } from "./observability/Tracing.ts"

const version = packageJson.version

/** A setting that cannot be used: its message on stderr, exit 2 (as before the CLI module). */
const badSetting = (message: string) =>
  Effect.andThen(Console.error(`litellm-operator: ${message}`), Effect.fail(new ExitWith({ code: 2 })))

const operator = Command.make("litellm-operator", operatorFlags, (raw) =>
  Effect.gen(function* () {
    const config = yield* operatorConfigFrom(raw).pipe(
      Effect.catchTag("ConfigurationError", (e) => badSetting(e.message))
    )
    const tracing = tracingSettingsFrom(process.env, { serviceName: "litellm-operator", serviceVersion: version })
    if (tracing instanceof TracingConfigError) return yield* badSetting(tracing.message)
    const identity = identityOf(config, `${hostname()}-${randomBytes(3).toString("hex")}`)
    const logging = Layer.mergeAll(
      Logger.layer([Logger.consoleJson]),
      Layer.succeed(References.MinimumLogLevel, config.logLevel)
    )
    return yield* runOperatorProcess(config, { identity }).pipe(
      Effect.onExit((exit) =>
        Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause)
          ? Effect.logInfo("stopped")
          : Effect.logError("the operator stopped", exit.cause)
      ),
      // Outermost: the tracer flushes the last spans after the operator has stopped.
      Effect.provide(Layer.mergeAll(logging, tracingLayer(tracing)))
    )
  })
).pipe(
  Command.withDescription(
    "Makes a LiteLLM proxy match the Team, User, VirtualKey and TeamMemberAssociation objects (auth.litellm.ai/v1alpha1) of a Kubernetes cluster. Every flag can be given as its environment variable instead; a flag wins."
  ),
  Command.withSubcommands([planCommand, exportCommand])
)

runMain(operator, {
  version,
  // plan's exit status 2 means "changes"; its command-line errors are 1, as its other errors.
  usageExitCode: (argv) => (argv[0] === "plan" || argv[0] === "export" ? 1 : 2)
})
