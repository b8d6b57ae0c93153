/**
 * A plain HTTP server on 127.0.0.1 standing in for the API server's front door
 * (answers the API server never gives: silence, a stalled body, garbage), for
 * as long as the scope lasts, and a kubeconfig pointing at it.
 */
import { createServer, type RequestListener } from "node:http"
import type { KubeConfig } from "@kubernetes/client-node"
import { Effect } from "effect"

export const frontDoor = (handler: RequestListener) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly url: string; readonly close: () => void }>((resume) => {
      const http = createServer(handler)
      http.listen(0, "127.0.0.1", () => {
        const address = http.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(
          Effect.succeed({
            url: `http://127.0.0.1:${port}`,
            close: () => {
              // Connections a test left open (a stalled body, a watch) go too.
              http.closeAllConnections()
              http.close()
            }
          })
        )
      })
    }),
    (door) => Effect.sync(() => door.close())
  )

/** `kc` pointed at `url`, with no credentials of its own. */
export const kubeconfigFor = <K extends KubeConfig>(url: string, kc: K): K => {
  kc.loadFromOptions({
    clusters: [{ name: "c", server: url, skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x"
  })
  return kc
}
