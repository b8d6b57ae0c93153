/**
 * Test support for `*.cluster.test.ts`: the client for the control plane the
 * global setup started, fresh namespaces (namespaces never finish deleting
 * without kube-controller-manager, so every test takes its own), and valid
 * examples of the four kinds.
 */
import { Effect, Layer, Random } from "effect"
import { inject } from "vitest"
import type { NewObject, TeamResource } from "../../src/index.ts"
import { KubeClient, KubeTransport } from "../../src/index.ts"

export const kubeconfig = (): string => inject("kubeconfig")

/** KubeClient and KubeTransport for the test control plane. */
export const ClusterLive: Layer.Layer<KubeClient | KubeTransport, unknown> = Layer.suspend(() =>
  KubeClient.layerFromFile(kubeconfig())
)

/** Creates a namespace with a random suffix and returns its name. */
export const freshNamespace = Effect.fn("freshNamespace")(function* (prefix: string) {
  const transport = yield* KubeTransport
  const suffix = (yield* Random.nextIntBetween(0, 0xffffff)).toString(16).padStart(6, "0")
  const name = `${prefix}-${suffix}`
  yield* transport.request({
    method: "POST",
    path: "/api/v1/namespaces",
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name } }
  })
  return name
})

export const connection = { secretRef: { name: "litellm" } }

export const exampleTeam = (namespace: string, name: string): NewObject<typeof TeamResource.Encoded> => ({
  metadata: { namespace, name },
  spec: { connectionRef: connection, teamAlias: name, maxBudget: "100", budgetDuration: "30d", models: ["gpt-4o"] }
})
