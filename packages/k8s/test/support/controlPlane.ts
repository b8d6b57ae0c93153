/**
 * Test support: the local control plane (src/local/LocalControlPlane.ts) as
 * promises, for Vitest's global setup.
 */
import { Effect } from "effect"
import { buildLauncher as build, spawnControlPlane } from "../../src/local/index.ts"

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
export const buildLauncher = (): Promise<string> => Effect.runPromise(build())

export const startControlPlane = async (
  options: { readonly binary?: string; readonly args?: ReadonlyArray<string>; readonly timeoutMillis?: number } = {}
): Promise<ControlPlane> => {
  const handle = await Effect.runPromise(
    spawnControlPlane({
      ...(options.binary === undefined ? {} : { binary: options.binary }),
      ...(options.args === undefined ? {} : { args: options.args }),
      startupTimeout: options.timeoutMillis ?? 120_000
    })
  )
  return {
    ...handle,
    stop: (graceMillis = 35_000) => Effect.runPromise(handle.stop(graceMillis))
  }
}
