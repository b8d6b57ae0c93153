/**
 * Vitest global setup for the `cluster` project: one real control plane per
 * test run, shared by every test file through `inject("kubeconfig")`, with
 * the CRDs installed; stopped at teardown.
 */
import { Effect } from "effect"
import type { TestProject } from "vitest/node"
import { KubeTransport } from "../../src/index.ts"
import { startControlPlane } from "./controlPlane.ts"
import { installCrds } from "./crds.ts"

declare module "vitest" {
  export interface ProvidedContext {
    /** Path of the admin kubeconfig of the test control plane. */
    kubeconfig: string
  }
}

export default async function setup(project: TestProject) {
  const t0 = performance.now()
  const cp = await startControlPlane()
  try {
    const t1 = performance.now()
    const crds = await Effect.runPromise(
      installCrds(cp.kubeconfig).pipe(Effect.provide(KubeTransport.layerFromFile(cp.kubeconfig)))
    )
    const t2 = performance.now()
    process.stderr.write(
      `control plane: ready in ${(cp.startupMillis / 1000).toFixed(1)}s (build check + start ${((t1 - t0) / 1000).toFixed(1)}s), ` +
        `${crds.length} CRDs established and warmed up in ${((t2 - t1) / 1000).toFixed(1)}s; ${cp.server}\n`
    )
  } catch (error) {
    await cp.stop()
    throw error
  }
  project.provide("kubeconfig", cp.kubeconfig)
  return async () => {
    const t = performance.now()
    await cp.stop()
    process.stderr.write(`control plane: stopped in ${((performance.now() - t) / 1000).toFixed(1)}s\n`)
  }
}
