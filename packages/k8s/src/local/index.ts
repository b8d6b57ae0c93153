/** The local control plane and manifests as `kubectl apply` takes them (node only: spawns the launcher, reads files). */

export * from "./ApplyManifests.ts"
export * from "./LocalControlPlane.ts"
