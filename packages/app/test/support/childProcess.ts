/**
 * Runs the production entry (src/main.ts) as a child process that a test can
 * SIGKILL, knows when it is ready (its /readyz), and reads its memory from
 * /proc. The child dies with the scope.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createWriteStream } from "node:fs"
import { readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { Duration, Effect, Schedule, Schema } from "effect"
import { freePort } from "./processes.ts"

export const mainEntry = fileURLToPath(new URL("../../src/main.ts", import.meta.url))

export class ChildError extends Schema.TaggedError<ChildError>()("ChildError", { message: Schema.String }) {}

export interface OperatorProcess {
  readonly pid: number
  /** The ops server (/healthz, /readyz, /metrics). */
  readonly opsUrl: string
  /** Succeeds once /readyz answers 200 (every informer synced); fails if the child exits first or after `timeout`. */
  readonly ready: (timeout?: Duration.Input) => Effect.Effect<void, ChildError>
  /** SIGKILL, and wait until it is gone. */
  readonly kill: Effect.Effect<void>
  /** SIGTERM, and wait until it is gone. */
  readonly stop: Effect.Effect<void>
  /** Whether it has exited, and how. */
  readonly exit: Effect.Effect<{ readonly code: number | null; readonly signal: string | null } | undefined>
  /** The last output (JSON log lines), for failure messages. */
  readonly outputTail: Effect.Effect<string>
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null

/** Resident set size and its peak, in bytes, from /proc/<pid>/status. */
export const memoryOf = (pid: number) =>
  Effect.tryPromise({
    try: () => readFile(`/proc/${pid}/status`, "utf8"),
    catch: (cause) => new ChildError({ message: `cannot read /proc/${pid}/status: ${String(cause)}` })
  }).pipe(
    Effect.map((text) => {
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? Number.NaN)
      return { rss: kb("VmRSS") * 1024, peak: kb("VmHWM") * 1024 }
    })
  )

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux for every architecture in use). */
const USER_HZ = 100

/** CPU-seconds the process has used (user + system), from /proc/<pid>/stat. */
export const cpuSecondsOf = (pid: number) =>
  Effect.tryPromise({
    try: () => readFile(`/proc/${pid}/stat`, "utf8"),
    catch: (cause) => new ChildError({ message: `cannot read /proc/${pid}/stat: ${String(cause)}` })
  }).pipe(
    Effect.map((text) => {
      // Fields after the command name (which may hold spaces, inside parentheses): utime and stime are 14 and 15.
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
      return (Number(fields[11]) + Number(fields[12])) / USER_HZ
    })
  )

const readyz = (url: string) =>
  Effect.promise(() =>
    fetch(url).then(
      (r) => r.status,
      () => 0
    )
  )

/**
 * Starts `node src/main.ts <args> --http-port=<free port>` (or another entry
 * with the same flags, such as the bundle dist/operator.mjs; leader election
 * is the caller's to turn off with `--leader-elect=false`); SIGKILLed when
 * the scope closes.
 */
export const spawnOperator = (
  args: ReadonlyArray<string>,
  options: {
    readonly entry?: string
    readonly nodeArgs?: ReadonlyArray<string>
    readonly env?: Readonly<Record<string, string>>
    /** A file to append its whole output to. */
    readonly logFile?: string | undefined
  } = {}
) =>
  Effect.gen(function* () {
    const port = yield* freePort
    const entry = options.entry ?? mainEntry
    return yield* spawnChild(
      process.execPath,
      [...(options.nodeArgs ?? []), entry, ...args, `--http-port=${port}`],
      port,
      options.env,
      options.logFile
    )
  })

/**
 * Starts another program as the operator (the benchmark's `--operator-command`):
 * `args` get a free port on which it must answer `GET /readyz`; SIGKILLed when
 * the scope closes.
 */
export const spawnCommand = (
  command: string,
  args: (port: number) => ReadonlyArray<string>,
  env: Readonly<Record<string, string>> = {},
  /** A file to append its whole output to. */
  logFile?: string
) =>
  Effect.gen(function* () {
    const port = yield* freePort
    return yield* spawnChild(command, args(port), port, env, logFile)
  })

const spawnChild = (
  command: string,
  argv: ReadonlyArray<string>,
  port: number,
  env: Readonly<Record<string, string>> | undefined,
  logFile?: string
) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = spawn(command, argv, {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, ...env }
      })
      let tail = ""
      const log = logFile === undefined ? undefined : createWriteStream(logFile, { flags: "a" })
      const keep = (chunk: string) => {
        tail = (tail + chunk).slice(-8000)
        log?.write(chunk)
      }
      child.stdout?.setEncoding("utf8").on("data", keep)
      child.stderr?.setEncoding("utf8").on("data", keep)
      const gone = new Promise<void>((resolve) =>
        child.once("exit", () => {
          log?.end()
          resolve()
        })
      )
      const handle: OperatorProcess = {
        pid: child.pid ?? -1,
        opsUrl: `http://127.0.0.1:${port}`,
        ready: (timeout = "60 seconds") =>
          Effect.suspend(() =>
            exited(child)
              ? Effect.fail(
                  new ChildError({
                    message: `the operator exited (${child.exitCode ?? child.signalCode}) before it was ready\n${tail}`
                  })
                )
              : Effect.map(readyz(`http://127.0.0.1:${port}/readyz`), (status) => status === 200)
          ).pipe(
            Effect.repeat({ schedule: Schedule.spaced("25 millis"), until: (ok) => ok }),
            Effect.asVoid,
            Effect.timeoutOrElse({
              duration: timeout,
              orElse: () =>
                Effect.fail(
                  new ChildError({
                    message: `the operator was not ready within ${Duration.format(Duration.fromInputUnsafe(timeout))}\n${tail}`
                  })
                )
            })
          ),
        kill: Effect.promise(() => {
          if (!exited(child)) child.kill("SIGKILL")
          return gone
        }),
        stop: Effect.promise(() => {
          if (!exited(child)) child.kill("SIGTERM")
          return gone
        }),
        exit: Effect.sync(() => (exited(child) ? { code: child.exitCode, signal: child.signalCode } : undefined)),
        outputTail: Effect.sync(() => tail)
      }
      return handle
    }),
    (child) => child.kill
  )
