/** VirtualKey: the key value lives in its Secret first, then in LiteLLM under its sha256 token. */
import type { ObservedKey, ReferenceInput, VirtualKeyStatus } from "@litellm-operator/core"
import { adoptTokenAnnotation, checkUserRole, keyStatus, lastAppliedOf, withOwnerMarker } from "@litellm-operator/core"
import type { KubeClient, SecretCache, VirtualKeyResource } from "@litellm-operator/k8s"
import { VirtualKeys } from "@litellm-operator/k8s"
import type { LiteLLMError } from "@litellm-operator/litellm"
import { Effect, Option, Redacted } from "effect"
import type { KindHandler, SyncContext } from "./KindHandler.ts"
import { syncedFrom } from "./KindHandler.ts"
import {
  chosenKeyFromSecret,
  ensureKeyMaterial,
  keyMaterialForDeletion,
  keyOwnerOf,
  keySecretName,
  ownsKeySecret
} from "./keyMaterial.ts"
import { NamespaceObjects } from "./NamespaceObjects.ts"
import { AdoptedKeyUnusable } from "./ReconcileError.ts"
import { readOrReplaceKey } from "./revokedKey.ts"
import { syncKey } from "./syncKey.ts"
import { guardOf, ownership, requireReferences, requireRole } from "./tenancy.ts"

type KeyIntent = Omit<VirtualKeyResource["spec"], "connectionRef" | "key" | "keySecretRef">

/**
 * Both ways to hold a key end here: the key under `token`, synced with the
 * spec's settings and the owner marker, guarded by ownership, and its status.
 */
const syncKeyUnder = Effect.fnUntraced(function* (
  vk: VirtualKeyResource,
  context: SyncContext<VirtualKeyStatus>,
  intent: KeyIntent,
  held: {
    readonly key: Redacted.Redacted<string>
    readonly token: string
    /** The key as already read, when it was; by its token otherwise. */
    readonly observe: Effect.Effect<ObservedKey | undefined, LiteLLMError> | undefined
    /** Whether the key is recorded as this object's (for a key it did not generate). */
    readonly recorded: boolean
    readonly keySecretRef: string | undefined
    readonly replacedRevokedKey: boolean
  }
) {
  const { client, lifecycle, now } = context
  const marked = withOwnerMarker(intent.metadata, context.self)
  const synced = yield* syncKey(
    client,
    { key: held.key, token: held.token, intent: { ...intent, metadata: marked.metadata }, ...lifecycle },
    {
      lastApplied: lastAppliedOf(vk.status),
      previousToken: vk.status?.token,
      ...(held.observe === undefined ? {} : { observe: held.observe }),
      guard: guardOf<ObservedKey | undefined>({
        check: (observed) =>
          ownership(context, {
            what: "the key",
            exists: observed !== undefined,
            metadata: observed?.metadata,
            recorded: held.recorded
          }),
        beforeWrite: Effect.void
      })
    }
  )
  return syncedFrom(
    synced,
    keyStatus({
      previous: vk.status,
      key: synced.key,
      applied: synced.plan.applied,
      keySecretRef: held.keySecretRef,
      outcome: { _tag: "Reconciled", warnings: [...marked.warnings, ...synced.plan.warnings] },
      generation: vk.metadata.generation,
      now
    }),
    held.replacedRevokedKey
  )
})

const TOKEN = /^[0-9a-f]{64}$/

/**
 * A key adopted by its token: its settings are managed like any key's, but no
 * value is known, so there is no key Secret, and a key LiteLLM no longer has
 * is an error (InvalidSpec) rather than a key minted again.
 */
const syncAdoptedByToken = Effect.fnUntraced(function* (
  vk: VirtualKeyResource,
  context: SyncContext<VirtualKeyStatus>,
  intent: KeyIntent,
  token: string
) {
  const { client, lifecycle } = context
  if (!TOKEN.test(token)) {
    return yield* new AdoptedKeyUnusable({
      message: `annotation ${adoptTokenAnnotation} must be a key's sha256 token (64 lowercase hex digits)`
    })
  }
  const current = lifecycle.deleting ? undefined : Option.getOrUndefined(yield* client.keyInfo(token))
  if (!lifecycle.deleting && current === undefined) {
    return yield* new AdoptedKeyUnusable({
      message: `LiteLLM has no key with the token ${token.slice(0, 12)}… that annotation ${adoptTokenAnnotation} adopts; its value is not known, so the operator cannot make it again (remove the annotation to have a new key generated)`
    })
  }
  // No value: the key exists (checked above), so the plan never generates one.
  return yield* syncKeyUnder(vk, context, intent, {
    key: Redacted.make(""),
    token,
    observe: lifecycle.deleting ? undefined : Effect.succeed(current),
    recorded: vk.status?.token === token,
    keySecretRef: undefined,
    replacedRevokedKey: false
  })
})

export const virtualKeyHandler: KindHandler<
  VirtualKeyResource,
  VirtualKeyStatus,
  KubeClient | SecretCache | NamespaceObjects
> = {
  type: VirtualKeys,
  connectionRef: (vk) => vk.spec.connectionRef,
  sync: (vk, context) =>
    Effect.gen(function* () {
      const { client, connection, lifecycle } = context
      const { connectionRef: _c, key: inlineKey, keySecretRef, ...intent } = vk.spec
      const { namespace } = vk.metadata
      if (!lifecycle.deleting) {
        // A key spends its team's and its user's budget: both must be this namespace's, unless the connection allows more.
        const objects = yield* NamespaceObjects
        const references: Array<ReferenceInput> = []
        const common = { namespace, policy: connection.policy, connectionSecret: connection.secret }
        if (intent.teamID !== undefined) {
          references.push({
            field: "spec.teamID",
            declaredBy: "Team",
            id: intent.teamID,
            declared: yield* objects.declaredTeams(namespace, intent.teamID),
            ...common
          })
        }
        if (intent.userID !== undefined) {
          references.push({
            field: "spec.userID",
            declaredBy: "User",
            id: intent.userID,
            declared: yield* objects.declaredUsers(namespace, intent.userID),
            ...common
          })
        }
        const foreign = yield* requireReferences(references)
        if (foreign && intent.userID !== undefined) {
          // A key of an admin user is an admin credential: a user from outside the namespace must hold an allowed role.
          const user = yield* client.userInfo(intent.userID)
          if (Option.isSome(user)) {
            yield* requireRole(
              checkUserRole({
                role: user.value.user_role ?? undefined,
                subject: `user ${JSON.stringify(intent.userID)} (spec.userID)`,
                policy: connection.policy,
                connectionSecret: connection.secret
              })
            )
          }
        }
      }
      // Adopted by token (what `export` writes): no value is known, so none is stored and none is ever minted.
      const adoptToken =
        inlineKey === undefined && keySecretRef === undefined
          ? vk.metadata.annotations?.[adoptTokenAnnotation]
          : undefined
      if (adoptToken !== undefined) {
        return yield* syncAdoptedByToken(vk, context, intent, adoptToken)
      }
      // A chosen value: from the spec, or from a Secret of the namespace (never copied into the object).
      const specKey =
        inlineKey !== undefined
          ? Redacted.make(inlineKey)
          : keySecretRef !== undefined && !lifecycle.deleting
            ? yield* chosenKeyFromSecret(namespace, keySecretRef)
            : undefined
      const chosen = inlineKey !== undefined || keySecretRef !== undefined
      const keyOptions = { owner: keyOwnerOf(vk), specKey, url: connection.url }
      // While deleting, the Secret is only read, never written (a namespace being deleted refuses new Secrets).
      const stored = lifecycle.deleting
        ? yield* keyMaterialForDeletion(keyOptions)
        : yield* ensureKeyMaterial(keyOptions)
      // A user-chosen key value cannot be replaced by the operator; it is minted again as it is.
      const checked = lifecycle.deleting
        ? undefined
        : yield* readOrReplaceKey({
            client,
            material: stored,
            recordedToken: chosen ? undefined : vk.status?.token,
            replace: ensureKeyMaterial({ ...keyOptions, replace: true })
          })
      const material = checked?.material ?? stored
      return yield* syncKeyUnder(vk, context, intent, {
        key: material.key,
        token: material.token,
        observe: checked === undefined ? undefined : Effect.succeed(checked.key),
        // A generated value is known only to this object's Secret; a chosen one must have been recorded.
        recorded: !chosen || vk.status?.token === material.token,
        keySecretRef: material.secretName,
        replacedRevokedKey: checked?.replaced === true
      })
    }),
  mayHaveCreated: (vk) =>
    vk.status?.token !== undefined
      ? Effect.succeed(true)
      : ownsKeySecret({ namespace: vk.metadata.namespace, name: keySecretName(vk.metadata.name) }, vk.metadata.uid),
  failedStatus: (vk, outcome, now) =>
    keyStatus({
      previous: vk.status,
      key: undefined,
      applied: lastAppliedOf(vk.status),
      keySecretRef: vk.status?.keySecretRef ?? keySecretName(vk.metadata.name),
      outcome,
      generation: vk.metadata.generation,
      now
    }),
  conditionsOnly: (conditions) => ({ conditions })
}
