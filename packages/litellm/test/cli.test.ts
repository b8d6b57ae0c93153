/**
 * The simulator as a process: it prints one JSON line with its URL, answers
 * with the master key it was given (flag or environment), and stops on SIGTERM.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"

const BIN = fileURLToPath(new URL("../src/bin/simulator.ts", import.meta.url))
const Started = Schema.fromJsonString(Schema.Struct({ url: Schema.String }))

/** Starts the CLI and waits for its first stdout line; the process is killed when the scope closes. */
const startCli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.acquireRelease(
    Effect.callback<{ child: ChildProcess; url: string }, Error>((resume) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: "pipe" })
      let buffered = ""
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("utf8")
        const newline = buffered.indexOf("\n")
        if (newline < 0) return
        const line = Schema.decodeUnknownOption(Started)(buffered.slice(0, newline))
        if (line._tag === "Some") resume(Effect.succeed({ child, url: line.value.url }))
        else resume(Effect.fail(new Error(`unexpected first line: ${buffered}`)))
      })
      child.on("exit", (code) => resume(Effect.fail(new Error(`exited early with ${code}`))))
    }),
    ({ child }) => Effect.sync(() => child.kill("SIGKILL"))
  )

const exitOf = (child: ChildProcess) =>
  Effect.callback<number | null>((resume) => {
    if (child.exitCode !== null) return resume(Effect.succeed(child.exitCode))
    child.once("exit", (code) => resume(Effect.succeed(code)))
  })

describe("simulator CLI", () => {
  it.live(
    "prints its URL, serves with the master key from the environment, stops on SIGTERM",
    () =>
      Effect.gen(function* () {
        const { child, url } = yield* startCli(["--port", "0", "--seed", "3"], { LITELLM_MASTER_KEY: "sk-cli-master" })
        assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
        const ok = yield* Effect.promise(() =>
          fetch(`${url}/team/list`, { headers: { authorization: "Bearer sk-cli-master" } })
        )
        assert.strictEqual(ok.status, 200)
        const denied = yield* Effect.promise(() =>
          fetch(`${url}/team/list`, { headers: { authorization: "Bearer sk-other" } })
        )
        assert.strictEqual(denied.status, 401)
        child.kill("SIGTERM")
        const code = yield* exitOf(child).pipe(Effect.timeout("5 seconds"))
        assert.isTrue(code === 0 || code === 130 || code === 143 || code === null)
      }),
    20_000
  )

  it.live(
    "takes --master-key and refuses to start without any key",
    () =>
      Effect.gen(function* () {
        const { url } = yield* startCli(["--master-key", "sk-flag-master"], { LITELLM_MASTER_KEY: "" })
        const ok = yield* Effect.promise(() =>
          fetch(`${url}/team/list`, { headers: { authorization: "Bearer sk-flag-master" } })
        )
        assert.strictEqual(ok.status, 200)
        const env = { ...process.env }
        delete env.LITELLM_MASTER_KEY
        const child = spawn(process.execPath, [BIN], { env, stdio: "pipe" })
        const code = yield* exitOf(child).pipe(Effect.timeout("10 seconds"))
        assert.notStrictEqual(code, 0)
      }),
    20_000
  )

  it.live(
    "--help lists its flags; a bad flag value prints the error and exits non-zero (the CLI module's style)",
    () =>
      Effect.gen(function* () {
        const run = (args: ReadonlyArray<string>) =>
          Effect.callback<{ code: number | null; out: string; err: string }>((resume) => {
            const child = spawn(process.execPath, [BIN, ...args], {
              env: { ...process.env, LITELLM_MASTER_KEY: "sk-x" }
            })
            let out = ""
            let err = ""
            child.stdout.on("data", (c: Buffer) => {
              out += c.toString("utf8")
            })
            child.stderr.on("data", (c: Buffer) => {
              err += c.toString("utf8")
            })
            child.on("exit", (code) => resume(Effect.succeed({ code, out, err })))
          })
        const help = yield* run(["--help"])
        assert.strictEqual(help.code, 0)
        for (const flag of ["--port", "--master-key", "--seed", "--profile"]) assert.include(help.out, flag)
        const bad = yield* run(["--port", "-3"])
        assert.notStrictEqual(bad.code, 0)
        assert.include(bad.err, "--port must be a non-negative integer")
        const profile = yield* run(["--profile", "ancient"])
        assert.notStrictEqual(profile.code, 0)
        assert.include(profile.err, "--profile")
      }),
    20_000
  )
})
