/**
 * The local control plane from tools/control-plane — a real kube-apiserver
 * with embedded etcd in one launcher process — built (cached) and started,
 * and stopped with its scope. The launcher is spawned with
 * --exit-on-stdin-close, so if this process dies without stopping it, the
 * closed pipe takes the launcher down too; a clean stop removes its temporary
 * data directory. Used by the cluster tests' global setup and by the local
 * main job (scripts/start.sh).
 */
import { spawn } from "node:child_process"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { Context, Duration, Effect, Layer, Schema } from "effect"

const repoRoot = join(import.meta.dirname, "..", "..", "..", "..")

/** tools/control-plane/build.sh of this repository. */
export const launcherBuildScript = join(repoRoot, "tools", "control-plane", "build.sh")

export class ControlPlaneError extends Schema.TaggedError<ControlPlaneError>()("ControlPlaneError", {
  message: Schema.String
}) {}

/** The launcher's one line on stdout once the API server is ready. */
const ReadyLine = Schema.Struct({
  kubeconfig: Schema.String,
  server: Schema.String,
  pid: Schema.Int,
  dataDir: Schema.String
})
const decodeReadyLine = Schema.decodeUnknownEffect(Schema.fromJsonString(ReadyLine))

export interface ControlPlaneHandle {
  /** Admin kubeconfig (self-contained) of the control plane. */
  readonly kubeconfig: string
  readonly server: string
  readonly pid: number
  /** Where etcd, the certificates, the kubeconfig and the logs live; removed on a clean stop. */
  readonly dataDir: string
  /** From spawn to the ready line. */
  readonly startupMillis: number
  /** SIGTERM, then wait for the process to exit (SIGKILL after `grace`, default 35 s). */
  readonly stop: (grace?: Duration.Input) => Effect.Effect<void>
}

export interface LocalControlPlaneOptions {
  /** A launcher binary; built (or found in the cache) by tools/control-plane/build.sh when left out. */
  readonly binary?: string
  /** Extra launcher flags. */
  readonly args?: ReadonlyArray<string>
  /** Default 2 minutes. */
  readonly startupTimeout?: Duration.Input
  /** Where build.sh reports progress (a cold build takes minutes): captured for errors, or passed to stderr. */
  readonly buildOutput?: "capture" | "inherit"
}

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** Runs tools/control-plane/build.sh (a cache hit takes well under a second); returns the binary path. */
export const buildLauncher = (
  options: { readonly output?: "capture" | "inherit" } = {}
): Effect.Effect<string, ControlPlaneError> =>
  Effect.callback<string, ControlPlaneError>((resume) => {
    const child = spawn("bash", [launcherBuildScript], {
      stdio: ["ignore", "pipe", options.output === "inherit" ? "inherit" : "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
    })
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-16_000)
    })
    child.once("error", (error) =>
      resume(Effect.fail(new ControlPlaneError({ message: `cannot run ${launcherBuildScript}: ${error.message}` })))
    )
    child.once("close", (code) => {
      const last = stdout
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.length > 0)
        .at(-1)
      if (code !== 0 || last === undefined) {
        resume(
          Effect.fail(
            new ControlPlaneError({
              message: `tools/control-plane/build.sh failed (exit ${code})${stderr === "" ? "" : `\n${stderr}`}`
            })
          )
        )
      } else resume(Effect.succeed(last))
    })
    return Effect.sync(() => {
      if (child.exitCode === null) child.kill("SIGTERM")
    })
  })

/**
 * Starts the launcher and waits for its ready line. The caller stops it with
 * `stop` (see `LocalControlPlane.layer` for a scoped one).
 */
export const spawnControlPlane = Effect.fnUntraced(function* (options: LocalControlPlaneOptions = {}) {
  const binary = options.binary ?? (yield* buildLauncher({ output: options.buildOutput ?? "capture" }))
  const startupTimeout = Duration.fromInputUnsafe(options.startupTimeout ?? Duration.minutes(2))
  const started = performance.now()
  const child = yield* Effect.try({
    // In a process group of its own: a Ctrl-C in the terminal reaches this process, which stops what
    // uses the API server first and the launcher last, not the launcher at the same time.
    try: () =>
      spawn(binary, ["--exit-on-stdin-close", ...(options.args ?? [])], {
        stdio: ["pipe", "pipe", "pipe"],
        detached: true
      }),
    catch: (cause) => new ControlPlaneError({ message: `cannot start ${binary}: ${describe(cause)}` })
  })
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  let stderr = ""
  child.stderr.setEncoding("utf8")
  child.stderr.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000)
  })
  const hasExited = () => child.exitCode !== null || child.signalCode !== null

  const stop = (grace: Duration.Input = Duration.seconds(35)) =>
    Effect.promise(async () => {
      if (hasExited()) return
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), Duration.toMillis(Duration.fromInputUnsafe(grace)))
      await exited
      clearTimeout(timer)
    })

  const firstLine = Effect.callback<string, ControlPlaneError>((resume) => {
    const lines = createInterface({ input: child.stdout })
    lines.once("line", (line) => resume(Effect.succeed(line)))
    child.once("exit", (code) =>
      resume(
        Effect.fail(
          new ControlPlaneError({ message: `the launcher exited (code ${code}) before it was ready\n${stderr}` })
        )
      )
    )
    return Effect.sync(() => lines.close())
  })

  const ready = yield* firstLine.pipe(
    Effect.flatMap((line) =>
      decodeReadyLine(line).pipe(
        Effect.mapError(() => new ControlPlaneError({ message: `unexpected line from the launcher: ${line}` }))
      )
    ),
    Effect.timeoutOrElse({
      duration: startupTimeout,
      orElse: () =>
        Effect.fail(
          new ControlPlaneError({
            message: `control plane not ready within ${Duration.format(startupTimeout)}\n${stderr}`
          })
        )
    }),
    // Whatever went wrong (or an interrupt), leave no launcher behind.
    Effect.onExit((exit) => (exit._tag === "Success" ? Effect.void : stop(Duration.seconds(5))))
  )
  return {
    ...ready,
    startupMillis: performance.now() - started,
    stop
  } satisfies ControlPlaneHandle
})

/** A running local control plane; stopped (and its temporary data removed) when the layer's scope closes. */
export class LocalControlPlane extends Context.Service<LocalControlPlane, ControlPlaneHandle>()(
  "litellm-operator/k8s/LocalControlPlane"
) {
  static readonly layer = (options: LocalControlPlaneOptions = {}) =>
    Layer.effect(
      LocalControlPlane,
      Effect.acquireRelease(spawnControlPlane(options), (handle) => handle.stop())
    )
}
