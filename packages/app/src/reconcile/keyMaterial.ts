/**
 * The key value of a VirtualKey or of a User's own key, chosen before LiteLLM
 * hears of it and written to the key Secret first (decision 1): if the
 * operator dies right after, the next reconcile reads the same value back and
 * finds the key by its token instead of minting another.
 */
import { createHash, randomBytes } from "node:crypto"
import type { Secret } from "@litellm-operator/k8s"
import { KubeClient, SecretCache } from "@litellm-operator/k8s"
import { Effect, Option, Redacted } from "effect"
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
  const secrets = yield* SecretCache
  const name = keySecretName(options.owner.name)
  const where = { namespace: options.owner.namespace, name }
  const chooseKey = (current: Option.Option<Secret>): Redacted.Redacted<string> =>
    options.specKey !== undefined
      ? Redacted.make(options.specKey)
      : options.replace === true
        ? generateKey()
        : (Option.getOrUndefined(current)?.data?.key ?? generateKey())
  const write = (current: Option.Option<Secret>, cached: boolean) => {
    const key = chooseKey(current)
    return client
      .applyOwnedSecret(
        {
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
        },
        cached ? { current } : {}
      )
      .pipe(Effect.map((secret) => ({ key, secret })))
  }
  // From the cache first (it holds what this process wrote even before its watch does). A cache that was
  // behind makes the write fail (409/404) before anything is stored; then the key is chosen again from a
  // fresh read, so a value already stored is never replaced by a second one.
  const { key, secret } = yield* write(yield* secrets.owned(where), true).pipe(
    Effect.catchTag("KubeError", (error) =>
      error.status !== undefined && (error.reason._tag === "Conflict" || error.reason._tag === "NotFound")
        ? Effect.flatMap(
            client.readSecret(where).pipe(
              Effect.map(Option.some),
              Effect.catchReason("KubeError", "NotFound", () => Effect.succeed(Option.none<Secret>()))
            ),
            (fresh) => write(fresh, false)
          )
        : Effect.fail(error)
    ),
    Effect.mapError((error) =>
      error.reason._tag === "Conflict"
        ? new SecretConflict({
            message: `Secret ${options.owner.namespace}/${name} exists and does not belong to this ${options.owner.kind}; delete or rename it`
          })
        : error
    )
  )
  yield* secrets.wrote(secret)
  return { key, token: tokenOf(key), secretName: name }
})
