/** Reads an object's connection Secret (from the operator's cache) and turns it into a LiteLLM connection (decision 5). */
import type { Connection, ConnectionRef } from "@litellm-operator/core"
import { connectionFromSecret, connectionTarget, spanIfTraced } from "@litellm-operator/core"
import { SecretCache } from "@litellm-operator/k8s"
import { Effect, Option } from "effect"
import { ConnectionUnavailable } from "./ReconcileError.ts"

/** `{name}` and `{namespace}` in the operator's instance URL template. */
export const instanceUrlFrom = (template: string) => (name: string, namespace: string) =>
  template.replaceAll("{name}", name).replaceAll("{namespace}", namespace)

export const resolveConnection = Effect.fnUntraced(function* (
  ref: ConnectionRef,
  namespace: string,
  instanceUrlTemplate: string
) {
  const secrets = yield* SecretCache
  const target = connectionTarget(ref, namespace, instanceUrlFrom(instanceUrlTemplate))
  const where = `${target.secretNamespace}/${target.secretName}`
  const found = yield* secrets.referenced({ namespace: target.secretNamespace, name: target.secretName }).pipe(
    Effect.catchTag("KubeError", (error) =>
      Effect.fail(new ConnectionUnavailable({ message: `connection Secret ${where} cannot be read: ${error.message}` }))
    ),
    Effect.catchTag("SecretTooLarge", (error) => Effect.fail(new ConnectionUnavailable({ message: error.message })))
  )
  if (Option.isNone(found))
    return yield* new ConnectionUnavailable({ message: `connection Secret ${where} does not exist` })
  const secret = found.value
  const result = connectionFromSecret(target, {
    data: secret.data ?? {},
    annotations: secret.metadata.annotations ?? {}
  })
  if (result._tag !== "Resolved") return yield* new ConnectionUnavailable({ message: result.message })
  return result.connection satisfies Connection
}, spanIfTraced("resolveConnection"))
