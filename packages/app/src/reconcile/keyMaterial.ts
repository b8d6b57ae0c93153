/**
 * The key value of a VirtualKey or of a User's own key, chosen before LiteLLM
 * hears of it and written to the key Secret first (decision 1): if the
 * operator dies right after, the next reconcile reads the same value back and
 * finds the key by its token instead of minting another.
 */
import { createHash, randomBytes } from "node:crypto"
import { KubeClient } from "@litellm-operator/k8s"
import { Effect, Redacted } from "effect"
import { SecretConflict } from "./ReconcileError.ts"

export interface KeyMaterial {
  readonly key: Redacted.Redacted<string>
  /** sha256 of the key, lowercase hex: the key's identity in LiteLLM. */
  readonly token: string
}

export const tokenOf = (key: Redacted.Redacted<string>): string =>
  createHash("sha256").update(Redacted.value(key)).digest("hex")

/** `sk-` and 32 URL-safe characters (192 random bits), longer than LiteLLM's own. */
export const generateKey = (): Redacted.Redacted<string> => Redacted.make(`sk-${randomBytes(24).toString("base64url")}`)

export const keySecretName = (objectName: string): string => `${objectName}-litellm-key`

export const managedByLabel = "app.kubernetes.io/managed-by"
export const managedByValue = "litellm-operator"
export const managedByLabels = { [managedByLabel]: managedByValue } as const

export const ensureKeyMaterial = Effect.fn("ensureKeyMaterial")(function* (options: {
  readonly owner: {
    readonly apiVersion: string
    readonly kind: string
    readonly name: string
    readonly namespace: string
    readonly uid: string
  }
  /** `spec.key` when the user chose the key value. */
  readonly specKey: string | undefined
  /** The proxy URL, delivered with the key so a workload needs only this Secret. */
  readonly url: string
  /** Mint a new value even if the Secret holds one (the old key was revoked in LiteLLM). */
  readonly replace?: boolean
}) {
  const client = yield* KubeClient
  const name = keySecretName(options.owner.name)
  const existing = yield* client.readSecret({ namespace: options.owner.namespace, name }).pipe(
    Effect.map((secret) => secret.data?.key),
    Effect.catchTag("KubeError", (error) =>
      error.reason._tag === "NotFound" ? Effect.succeed(undefined) : Effect.fail(error)
    )
  )
  const key =
    options.specKey !== undefined
      ? Redacted.make(options.specKey)
      : options.replace === true
        ? generateKey()
        : (existing ?? generateKey())
  yield* client
    .applyOwnedSecret({
      namespace: options.owner.namespace,
      name,
      owner: {
        apiVersion: options.owner.apiVersion,
        kind: options.owner.kind,
        name: options.owner.name,
        uid: options.owner.uid
      },
      labels: { ...managedByLabels, "auth.litellm.ai/owner-kind": options.owner.kind },
      type: "Opaque",
      data: { key, url: Redacted.make(options.url) }
    })
    .pipe(
      Effect.mapError((error) =>
        error.reason._tag === "Conflict"
          ? new SecretConflict({
              message: `Secret ${options.owner.namespace}/${name} exists and does not belong to this ${options.owner.kind}; delete or rename it`
            })
          : error
      )
    )
  return { key, token: tokenOf(key), secretName: name }
})

/**
 * The key material of an object being deleted, without writing anything: the
 * Secret's key if it is still there; else the chosen value; else a value
 * nothing holds, so that the key LiteLLM has is found by the token the
 * object's status recorded. (In a namespace being deleted the Secret may be
 * gone already, and no Secret can be created there again.)
 */
export const keyMaterialForDeletion = Effect.fn("keyMaterialForDeletion")(function* (options: {
  readonly owner: { readonly name: string; readonly namespace: string }
  readonly specKey: string | undefined
}) {
  const client = yield* KubeClient
  const name = keySecretName(options.owner.name)
  const existing = yield* client.readSecret({ namespace: options.owner.namespace, name }).pipe(
    Effect.map((secret) => secret.data?.key),
    Effect.catchTag("KubeError", (error) =>
      error.reason._tag === "NotFound" ? Effect.succeed(undefined) : Effect.fail(error)
    )
  )
  const key = existing ?? (options.specKey === undefined ? generateKey() : Redacted.make(options.specKey))
  return { key, token: tokenOf(key), secretName: name }
})
