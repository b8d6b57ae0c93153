/**
 * The key value of a VirtualKey or of a User's own key, chosen before LiteLLM
 * hears of it and written to the key Secret first (decision 1): if the
 * operator dies right after, the next reconcile reads the same value back and
 * finds the key by its token instead of minting another.
 */
import { createHash, randomBytes } from "node:crypto"
import { spanIfTraced } from "@litellm-operator/core"
import type { CustomObject, ObjectKey, Secret } from "@litellm-operator/k8s"
import { controllerOf, isOwnedBy, KubeClient, SecretCache } from "@litellm-operator/k8s"
import { Effect, Option, Redacted } from "effect"
import { KeySecretUnusable, SecretConflict } from "./ReconcileError.ts"

export interface KeyMaterial {
  readonly key: Redacted.Redacted<string>
  /** sha256 of the key, lowercase hex: the key's identity in LiteLLM. */
  readonly token: string
}

export const tokenOfKey = (key: Redacted.Redacted<string>): string =>
  createHash("sha256").update(Redacted.value(key)).digest("hex")

/** `sk-` and 32 URL-safe characters (192 random bits), longer than LiteLLM's own. */
export const generateKey = (): Redacted.Redacted<string> => Redacted.make(`sk-${randomBytes(24).toString("base64url")}`)

export const keySecretName = (objectName: string): string => `${objectName}-litellm-key`

export const managedByLabel = "app.kubernetes.io/managed-by"
export const managedByValue = "litellm-operator"
export const managedByLabels = { [managedByLabel]: managedByValue } as const
/** The label naming the kind whose key a key Secret holds. */
export const ownerKindLabel = "auth.litellm.ai/owner-kind"
/** What the operator writes on a key Secret, all that its cache holds of one (SecretCache `ownedFields`). */
export const keySecretFields = { data: ["key", "url"], labels: [managedByLabel, ownerKindLabel] } as const

/** The VirtualKey or User whose key it is: the key Secret's controller owner, in its namespace. */
export interface KeyOwner {
  readonly apiVersion: string
  readonly kind: string
  readonly name: string
  readonly namespace: string
  readonly uid: string
}

export const keyOwnerOf = (object: CustomObject<unknown>): KeyOwner => ({
  apiVersion: object.apiVersion,
  kind: object.kind,
  name: object.metadata.name,
  namespace: object.metadata.namespace,
  uid: object.metadata.uid
})

export const ensureKeyMaterial = Effect.fnUntraced(function* (options: {
  readonly owner: KeyOwner
  /** The value the user chose (`spec.key`, or the Secret `spec.keySecretRef` names). */
  readonly specKey: Redacted.Redacted<string> | undefined
  /** The proxy URL, delivered with the key so a workload needs only this Secret. */
  readonly url: string
  /** Mint a new value even if the Secret holds one (the old key was revoked in LiteLLM). */
  readonly replace?: boolean
}) {
  const client = yield* KubeClient
  const secrets = yield* SecretCache
  const { namespace, kind, ...owner } = options.owner
  const name = keySecretName(owner.name)
  const where = { namespace, name }
  /** The value to store, and whether it was generated just now (then no key in LiteLLM can have it yet). */
  const chooseKey = (
    current: Option.Option<Secret>
  ): { readonly key: Redacted.Redacted<string>; readonly fresh: boolean } => {
    if (options.specKey !== undefined) return { key: options.specKey, fresh: false }
    const stored = options.replace === true ? undefined : Option.getOrUndefined(current)?.data?.key
    return stored === undefined ? { key: generateKey(), fresh: true } : { key: stored, fresh: false }
  }
  const write = (current: Option.Option<Secret>, cached: boolean) => {
    const { key, fresh } = chooseKey(current)
    return client
      .applyOwnedSecret(
        {
          namespace,
          name,
          owner: { ...owner, kind },
          labels: { ...managedByLabels, [ownerKindLabel]: kind },
          type: "Opaque",
          data: { key, url: Redacted.make(options.url) }
        },
        cached ? { current } : {}
      )
      .pipe(Effect.map((secret) => ({ key, fresh, secret })))
  }
  // From the cache first (it holds what this process wrote even before its watch does). A cache that was
  // behind makes the write fail (409/404) before anything is stored; then the key is chosen again from a
  // fresh read, so a value already stored is never replaced by a second one.
  const { key, fresh, secret } = yield* write(yield* secrets.owned(where), true).pipe(
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
    Effect.catchTag("KubeError", (error) =>
      Effect.gen(function* () {
        if (error.reason._tag !== "Conflict") return yield* error
        return yield* new SecretConflict({ message: yield* conflictMessage(where, kind) })
      })
    )
  )
  yield* secrets.wrote(secret)
  return { key, token: tokenOfKey(key), secretName: name, fresh }
}, spanIfTraced("ensureKeyMaterial"))

/**
 * Says whose the Secret in the way is. Another object's key Secret is never
 * to be deleted (it holds that object's live key): the way out is to rename
 * this object. A Secret of nobody's may be moved out of the way.
 */
const conflictMessage = Effect.fnUntraced(function* (key: ObjectKey, kind: string) {
  const secrets = yield* SecretCache
  const where = `Secret ${key.namespace}/${key.name}`
  // Key Secrets carry the operator's label, so the owned cache holds them; any other Secret is nobody's key.
  const secret = Option.getOrUndefined(yield* secrets.owned(key))
  const owner = secret === undefined ? undefined : controllerOf(secret)
  if (owner !== undefined) {
    return `${where} holds the key of ${owner.kind} ${key.namespace}/${owner.name}, so this ${kind} cannot keep its key there; rename this ${kind} (its key Secret is named <name>-litellm-key)`
  }
  return `${where} exists and is not a key Secret of any LiteLLM object; rename or remove that Secret, or rename this ${kind}`
})

/** Whether the object's key Secret exists and is the object's own (the Secret a key value is written to first). */
export const ownsKeySecret = Effect.fnUntraced(function* (key: ObjectKey, uid: string) {
  const secret = yield* (yield* SecretCache).owned(key)
  return Option.isSome(secret) && isOwnedBy(secret.value, uid)
})

/** A chosen key value must look like one LiteLLM accepts; the value itself never appears in a message. */
const chosenKeyPattern = /^sk-[A-Za-z0-9_-]{8,200}$/u

/**
 * The key value `spec.keySecretRef` names, read from a Secret of the object's
 * own namespace (so another namespace's Secret can never be named).
 */
export const chosenKeyFromSecret = Effect.fnUntraced(function* (
  namespace: string,
  ref: { readonly name: string; readonly key?: string }
) {
  const key = ref.key ?? "key"
  const where = `Secret ${namespace}/${ref.name} (spec.keySecretRef)`
  const secret = yield* (yield* SecretCache)
    .referenced({ namespace, name: ref.name })
    .pipe(
      Effect.catchTag("SecretTooLarge", (error) =>
        Effect.fail(new KeySecretUnusable({ message: `${error.message} (spec.keySecretRef)` }))
      )
    )
  if (Option.isNone(secret)) return yield* new KeySecretUnusable({ message: `${where} does not exist` })
  const value = secret.value.data?.[key]
  if (value === undefined) return yield* new KeySecretUnusable({ message: `${where} has no key "${key}"` })
  const text = Redacted.value(value).trim()
  if (!chosenKeyPattern.test(text)) {
    return yield* new KeySecretUnusable({
      message: `${where} key "${key}" must start with "sk-" followed by 8 to 200 letters, digits, '_' or '-'`
    })
  }
  return Redacted.make(text)
})

/**
 * The key material of an object being deleted, without writing anything: the
 * Secret's key if it is still there; else the chosen value; else a value
 * nothing holds, so that the key LiteLLM has is found by the token the
 * object's status recorded. (In a namespace being deleted the Secret may be
 * gone already, and no Secret can be created there again.)
 */
export const keyMaterialForDeletion = Effect.fnUntraced(function* (options: {
  readonly owner: KeyOwner
  readonly specKey: Redacted.Redacted<string> | undefined
}) {
  const name = keySecretName(options.owner.name)
  const stored = Option.getOrUndefined(yield* (yield* SecretCache).owned({ namespace: options.owner.namespace, name }))
    ?.data?.key
  const key = stored ?? options.specKey ?? generateKey()
  return { key, token: tokenOfKey(key), secretName: name, fresh: false }
}, spanIfTraced("keyMaterialForDeletion"))
