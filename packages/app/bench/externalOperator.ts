/**
 * `pnpm bench --only live --operator-command "<path> <args>"`: another
 * operator of the same API (e.g. the Go operator this one replaces) measured
 * by the same live-creation run as ours. The command is split on whitespace
 * (no shell, so /proc's CPU-seconds are the operator's own, not a shell's);
 * `{port}` in an argument becomes a free 127.0.0.1 port on which the command
 * must answer `GET /readyz` with 200 once it runs, and `{metricsPort}`, if
 * present, another free port where it serves Prometheus text at `/metrics`
 * (controller-runtime's `controller_runtime_reconcile_*` are read from it).
 * The bench gives it `KUBECONFIG`: the same ServiceAccount our operator runs
 * as, so the API server's audit log tells its requests apart too.
 */
import { Schema } from "effect"
import { workByLabel } from "./prometheusText.ts"

export class OperatorCommandError extends Schema.TaggedError<OperatorCommandError>()("OperatorCommandError", {
  message: Schema.String
}) {}

export interface OperatorCommand {
  readonly command: string
  readonly args: ReadonlyArray<string>
}

/** Splits `--operator-command`'s text; it must name a command and ask for `{port}` (how the bench knows it is ready). */
export const parseOperatorCommand = (text: string): OperatorCommand | OperatorCommandError => {
  const words = text.split(/\s+/).filter((w) => w !== "")
  const [command, ...args] = words
  if (command === undefined) return new OperatorCommandError({ message: "--operator-command is empty" })
  if (!args.some((a) => a.includes("{port}")))
    return new OperatorCommandError({
      message: `--operator-command must put {port} in an argument: the port where it answers GET /readyz (got ${text})`
    })
  return { command, args }
}

/** The arguments with their placeholders filled in. */
export const withPorts = (
  command: OperatorCommand,
  ports: { readonly port: number; readonly metricsPort: number }
): ReadonlyArray<string> =>
  command.args.map((a) =>
    a.replaceAll("{port}", String(ports.port)).replaceAll("{metricsPort}", String(ports.metricsPort))
  )

/** Whether the command serves `/metrics` on `{metricsPort}`. */
export const servesMetrics = (command: OperatorCommand): boolean =>
  command.args.some((a) => a.includes("{metricsPort}"))

/**
 * controller-runtime's reconcile counters by controller: reconciles (every
 * result), errors and the seconds they took, in the shape of our own
 * operator's work table.
 */
export const controllerRuntimeWork = (text: string) =>
  workByLabel(text, "controller", {
    reconciles: "controller_runtime_reconcile_total",
    errors: "controller_runtime_reconcile_errors_total",
    seconds: "controller_runtime_reconcile_time_seconds_sum"
  })
