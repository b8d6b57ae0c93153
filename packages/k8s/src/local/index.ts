/** The local control plane, and manifests applied as `kubectl apply --server-side` does (node only: spawns the launcher, reads files). */

export * from "./ApplyManifests.ts"
export * from "./LocalControlPlane.ts"
