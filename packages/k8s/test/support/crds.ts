/**
 * Test support: installs the committed CRD manifests (deploy/chart/crds) as
 * `kubectl apply -f` would, and waits until the API server serves them (see
 * src/local/ApplyManifests.ts).
 */
import { crdDirectory, installCrds as install } from "../../src/local/index.ts"

export const crdDir = crdDirectory

/** Applies every CRD in `dir` (the server rejects a bad one with its reasons) and waits for Established. */
export const installCrds = (kubeconfig: string, dir: string = crdDir) => install(kubeconfig, dir)
