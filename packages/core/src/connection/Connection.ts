/**
 * Where an object's LiteLLM connection comes from (decision 5): its own
 * `connectionRef`, resolved per object. `secretRef` names a Secret in the
 * object's namespace; `instanceRef` follows the Go operator's LiteLLMInstance
 * convention (Secret `<name>-secrets` with key `masterkey`, Service
 * `<name>-service` on port 4000). An instance in another namespace is used
 * only if its Secret lists the object's namespace in an annotation.
 */
import { Redacted } from "effect"
import type { ConnectionRef } from "../api/ConnectionRef.ts"
import { defaultSecretKeys } from "../api/ConnectionRef.ts"
import type { ConnectionPolicy } from "../tenancy/ConnectionPolicy.ts"
import { connectionPolicyFrom } from "../tenancy/ConnectionPolicy.ts"

/** On an instance's Secret: the namespaces (comma-separated, or `*`) whose objects may use the instance. */
export const allowNamespacesAnnotation = "auth.litellm.ai/allow-namespaces"

/** The Secret to read, and how to read it. */
export interface ConnectionTarget {
  readonly secretNamespace: string
  readonly secretName: string
  readonly masterKeyKey: string
  /** The Secret key holding the URL (secretRef), or the URL itself (instanceRef). */
  readonly url: { readonly _tag: "FromSecret"; readonly key: string } | { readonly _tag: "Fixed"; readonly url: string }
  /** Set when the Secret lives in another namespace, which must allow the object's namespace. */
  readonly requesterNamespace: string | undefined
}

export interface Connection {
  readonly url: string
  readonly masterKey: Redacted.Redacted<string>
  /** `namespace/name` of the Secret it came from, to name in messages. */
  readonly secret: string
  /** What objects using it may do, from the Secret's annotations (decision 9). */
  readonly policy: ConnectionPolicy
}

/** The default URL of a LiteLLMInstance's Service; the operator may override it (e.g. to run outside the cluster). */
export const instanceServiceUrl = (name: string, namespace: string): string =>
  `http://${name}-service.${namespace}.svc:4000`

export const connectionTarget = (
  ref: ConnectionRef,
  objectNamespace: string,
  instanceUrl: (name: string, namespace: string) => string = instanceServiceUrl
): ConnectionTarget => {
  if (ref.instanceRef !== undefined) {
    const namespace = ref.instanceRef.namespace ?? objectNamespace
    return {
      secretNamespace: namespace,
      secretName: `${ref.instanceRef.name}-secrets`,
      masterKeyKey: "masterkey",
      url: { _tag: "Fixed", url: instanceUrl(ref.instanceRef.name, namespace) },
      requesterNamespace: namespace === objectNamespace ? undefined : objectNamespace
    }
  }
  // The schema guarantees exactly one of the two refs.
  const secretRef = ref.secretRef ?? { name: "" }
  return {
    secretNamespace: objectNamespace,
    secretName: secretRef.name,
    masterKeyKey: secretRef.keys?.masterKey ?? defaultSecretKeys.masterKey,
    url: { _tag: "FromSecret", key: secretRef.keys?.url ?? defaultSecretKeys.url },
    requesterNamespace: undefined
  }
}

/** A Secret as the connection needs it: its values already `Redacted`. */
export interface ConnectionSecret {
  readonly data: { readonly [key: string]: Redacted.Redacted<string> }
  readonly annotations: { readonly [key: string]: string }
}

export type ConnectionResult =
  | { readonly _tag: "Resolved"; readonly connection: Connection }
  | { readonly _tag: "Refused"; readonly message: string }
  | { readonly _tag: "Incomplete"; readonly message: string }

const allows = (annotation: string | undefined, namespace: string): boolean =>
  (annotation ?? "")
    .split(",")
    .map((s) => s.trim())
    .some((s) => s === "*" || s === namespace)

/** The connection from its Secret, or why it cannot be used (never quoting a value). */
export const connectionFromSecret = (target: ConnectionTarget, secret: ConnectionSecret): ConnectionResult => {
  const where = `Secret ${target.secretNamespace}/${target.secretName}`
  if (
    target.requesterNamespace !== undefined &&
    !allows(secret.annotations[allowNamespacesAnnotation], target.requesterNamespace)
  ) {
    return {
      _tag: "Refused",
      message: `${where} does not allow namespace ${target.requesterNamespace}: add it to the ${allowNamespacesAnnotation} annotation of that Secret`
    }
  }
  const policy = connectionPolicyFrom(secret.annotations)
  if (policy._tag === "Invalid") return { _tag: "Incomplete", message: `${where}: ${policy.message}` }
  const masterKey = secret.data[target.masterKeyKey]
  if (masterKey === undefined)
    return { _tag: "Incomplete", message: `${where} has no key "${target.masterKeyKey}" for the master key` }
  const named = { secret: `${target.secretNamespace}/${target.secretName}`, policy: policy.policy }
  if (target.url._tag === "Fixed") return { _tag: "Resolved", connection: { url: target.url.url, masterKey, ...named } }
  const url = secret.data[target.url.key]
  if (url === undefined)
    return { _tag: "Incomplete", message: `${where} has no key "${target.url.key}" for the LiteLLM URL` }
  const text = Redacted.value(url).trim()
  if (!/^https?:\/\/[^\s/]+/.test(text)) {
    return { _tag: "Incomplete", message: `${where} key "${target.url.key}" is not an http(s) URL` }
  }
  return { _tag: "Resolved", connection: { url: text.replace(/\/+$/, ""), masterKey, ...named } }
}
