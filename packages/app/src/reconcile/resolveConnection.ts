/** Reads an object's connection Secret and turns it into a LiteLLM connection (decision 5). */
import type { Connection, ConnectionRef } from "@litellm-operator/core"
import { connectionFromSecret, connectionTarget } from "@litellm-operator/core"
import { KubeClient } from "@litellm-operator/k8s"
import { Effect } from "effect"
import { ConnectionUnavailable } from "./ReconcileError.ts"

/** `{name}` and `{namespace}` in the operator's instance URL template. */
export const instanceUrlFrom = (template: string) => (name: string, namespace: string) =>
  template.replaceAll("{name}", name).replaceAll("{namespace}", namespace)

export const resolveConnection = Effect.fn("resolveConnection")(function* (
  ref: ConnectionRef,
  namespace: string,
  instanceUrlTemplate: string
) {
  const client = yield* KubeClient
  const target = connectionTarget(ref, namespace, instanceUrlFrom(instanceUrlTemplate))
  const where = `${target.secretNamespace}/${target.secretName}`
  const secret = yield* client.readSecret({ namespace: target.secretNamespace, name: target.secretName }).pipe(
    Effect.catchTag("KubeError", (error) =>
      Effect.fail(
        new ConnectionUnavailable({
          message:
            error.reason._tag === "NotFound"
              ? `connection Secret ${where} does not exist`
              : `connection Secret ${where} cannot be read: ${error.message}`
        })
      )
    )
  )
  const result = connectionFromSecret(target, {
    data: secret.data ?? {},
    annotations: secret.metadata.annotations ?? {}
  })
  if (result._tag !== "Resolved") return yield* new ConnectionUnavailable({ message: result.message })
  return result.connection satisfies Connection
})
