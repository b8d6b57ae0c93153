/**
 * The operator's production entry (the container runs the bundle of this
 * file, dist/operator.mjs):
 *
 *   node packages/app/src/main.ts [--flag value ...]     (see --help)
 *
 * Settings come from flags and environment variables (a flag wins); a bad
 * setting prints its message and exits 2. Logs are JSON lines on stdout at the
 * configured level. SIGTERM/SIGINT shut down gracefully (in-flight reconciles
 * finish, the Lease is released) and exit 0; lost leadership exits 1. Spans are
 * exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set (Tracing.ts).
 */
import { randomBytes } from "node:crypto"
import { hostname } from "node:os"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Exit, Layer, Logger, References, Runtime } from "effect"
import packageJson from "../package.json" with { type: "json" }
import { identityOf, loadOperatorConfig, settings } from "./config/OperatorConfig.ts"
import { runOperatorProcess } from "./OperatorProcess.ts"
import { TracingConfigError, tracingLayer, tracingSettingsFrom } from "./observability/Tracing.ts"

const version = packageJson.version

const usage = (): string => {
  const rows = settings.map((s) => [`--${s.flag}`, s.env, s.help] as const)
  const flagWidth = Math.max(...rows.map(([flag]) => flag.length))
  const envWidth = Math.max(...rows.map(([, env]) => env.length))
  return [
    `litellm-operator ${version}: makes a LiteLLM proxy match the Team, User, VirtualKey and`,
    "TeamMemberAssociation objects (auth.litellm.ai/v1alpha1) of a Kubernetes cluster.",
    "",
    "Usage: litellm-operator [--flag value | --flag=value ...]",
    "Every flag can be given as its environment variable instead; a flag wins.",
    "",
    ...rows.map(([flag, env, help]) => `  ${flag.padEnd(flagWidth)}  ${env.padEnd(envWidth)}  ${help}`),
    `  ${"--help".padEnd(flagWidth)}  ${"".padEnd(envWidth)}  this text`,
    `  ${"--version".padEnd(flagWidth)}  ${"".padEnd(envWidth)}  the version`,
    ""
  ].join("\n")
}

/** Exit 0 when stopped by a signal (graceful shutdown is the normal end); otherwise the usual codes. */
const teardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)

const args = process.argv.slice(2)
if (args.includes("--help") || args.includes("-h")) {
  process.stdout.write(usage())
} else if (args.includes("--version")) {
  process.stdout.write(`litellm-operator ${version}\n`)
} else {
  const loaded = Effect.runSyncExit(loadOperatorConfig(args, process.env))
  if (Exit.isFailure(loaded)) {
    const error = Cause.squash(loaded.cause)
    process.stderr.write(`litellm-operator: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(2)
  }
  const config = loaded.value
  const tracing = tracingSettingsFrom(process.env, { serviceName: "litellm-operator", serviceVersion: version })
  if (tracing instanceof TracingConfigError) {
    process.stderr.write(`litellm-operator: ${tracing.message}\n`)
    process.exit(2)
  }
  const identity = identityOf(config, `${hostname()}-${randomBytes(3).toString("hex")}`)
  const logging = Layer.mergeAll(
    Logger.layer([Logger.consoleJson]),
    Layer.succeed(References.MinimumLogLevel, config.logLevel)
  )
  runOperatorProcess(config, { identity }).pipe(
    Effect.onExit((exit) =>
      Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause)
        ? Effect.logInfo("stopped")
        : Effect.logError("the operator stopped", exit.cause)
    ),
    // Outermost: the tracer flushes the last spans after the operator has stopped.
    Effect.provide(Layer.mergeAll(logging, tracingLayer(tracing))),
    NodeRuntime.runMain({ teardown, disableErrorReporting: true })
  )
}
