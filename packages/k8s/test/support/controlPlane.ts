/**
 * Test support: builds (cached) and starts the local control plane from
 * tools/control-plane — a real kube-apiserver with embedded etcd — and stops
 * it. The launcher is spawned with --exit-on-stdin-close, so if this process
 * dies without running teardown, the closed pipe takes the launcher down too.
 */
import { execFile, spawn } from "node:child_process"
import { join } from "node:path"
import { createInterface } from "node:readline"

const repoRoot = join(import.meta.dirname, "..", "..", "..", "..")

export interface ControlPlane {
  readonly kubeconfig: string
  readonly server: string
  readonly pid: number
  readonly dataDir: string
  /** From spawn to the ready line. */
  readonly startupMillis: number
  /** SIGTERM, then wait for the process to exit (SIGKILL after `graceMillis`). */
  readonly stop: (graceMillis?: number) => Promise<void>
}

/** Runs tools/control-plane/build.sh (a cache hit takes well under a second); returns the binary path. */
export const buildLauncher = (): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile(
      "bash",
      [join(repoRoot, "tools", "control-plane", "build.sh")],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(new Error(`tools/control-plane/build.sh failed: ${error.message}\n${stderr}`))
          return
        }
        const lines = stdout.split("\n").filter((l) => l.trim().length > 0)
        const last = lines[lines.length - 1]
        if (last === undefined) reject(new Error(`tools/control-plane/build.sh printed no path\n${stderr}`))
        else resolve(last.trim())
      }
    )
  })

interface ReadyLine {
  readonly kubeconfig: string
  readonly server: string
  readonly pid: number
  readonly dataDir: string
}

const parseReady = (line: string): ReadyLine | undefined => {
  const parsed: unknown = JSON.parse(line)
  if (typeof parsed !== "object" || parsed === null) return undefined
  const { kubeconfig, server, pid, dataDir } = {
    kubeconfig: undefined,
    server: undefined,
    pid: undefined,
    dataDir: undefined,
    ...parsed
  }
  return typeof kubeconfig === "string" &&
    typeof server === "string" &&
    typeof pid === "number" &&
    typeof dataDir === "string"
    ? { kubeconfig, server, pid, dataDir }
    : undefined
}

export const startControlPlane = async (
  options: { readonly binary?: string; readonly args?: ReadonlyArray<string>; readonly timeoutMillis?: number } = {}
): Promise<ControlPlane> => {
  const binary = options.binary ?? (await buildLauncher())
  const started = performance.now()
  const child = spawn(binary, ["--exit-on-stdin-close", ...(options.args ?? [])], {
    stdio: ["pipe", "pipe", "pipe"]
  })
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  let stderr = ""
  child.stderr.setEncoding("utf8")
  child.stderr.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000)
  })

  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`control plane not ready within ${options.timeoutMillis ?? 120_000} ms\n${stderr}`))
    }, options.timeoutMillis ?? 120_000)
    const lines = createInterface({ input: child.stdout })
    lines.once("line", (line) => {
      clearTimeout(timer)
      const parsed = parseReady(line)
      if (parsed === undefined) reject(new Error(`unexpected line from the launcher: ${line}`))
      else resolve(parsed)
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`the launcher exited (code ${code}) before it was ready\n${stderr}`))
    })
  })
  const startupMillis = performance.now() - started

  const stop = async (graceMillis = 35_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill("SIGTERM")
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMillis)
    await exited
    clearTimeout(timer)
  }
  return { ...ready, startupMillis, stop }
}
