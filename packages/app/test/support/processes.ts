/**
 * Test support for entries run as child processes (main.ts, the local main
 * job): spawn with captured output, wait for a line or the exit, and make
 * sure nothing outlives the test.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { Duration, Effect, Schedule } from "effect"

export interface Spawned {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** The exit code (null when killed by a signal), once the process has exited. */
  readonly exited: Effect.Effect<number | null>
}

/** Runs `node <script> <args>`; SIGKILLed when the scope closes if still running. */
export const spawnNode = (script: string, args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) =>
  Effect.acquireRelease(
    Effect.sync((): Spawned => {
      const child = spawn(process.execPath, [script, ...args], {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let out = ""
      let err = ""
      child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk
      })
      child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
        err += chunk
      })
      const done = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
      return { child, stdout: () => out, stderr: () => err, exited: Effect.promise(() => done) }
    }),
    ({ child }) =>
      Effect.sync(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
      })
  )

/** Waits until `stdout` contains `text`; fails with the output so far after `timeout` or an early exit. */
export const waitForOutput = (spawned: Spawned, text: string, timeout: Duration.Input = "60 seconds") =>
  Effect.suspend(() =>
    spawned.stdout().includes(text)
      ? Effect.void
      : spawned.child.exitCode !== null
        ? Effect.die(
            new Error(
              `exited (${spawned.child.exitCode}) before printing ${JSON.stringify(text)}\n${spawned.stdout()}\n${spawned.stderr()}`
            )
          )
        : Effect.fail("not yet" as const)
  ).pipe(
    Effect.retry(Schedule.spaced("100 millis")),
    Effect.timeoutOrElse({
      duration: timeout,
      orElse: () =>
        Effect.die(
          new Error(
            `no ${JSON.stringify(text)} within ${Duration.format(Duration.fromInputUnsafe(timeout))}\n${spawned.stdout()}\n${spawned.stderr()}`
          )
        )
    })
  )

/** A TCP port that was free a moment ago. */
export const freePort = Effect.callback<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** Whether a process with this pid exists. */
export const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
