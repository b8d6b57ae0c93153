/** VirtualKey: the key value lives in its Secret first, then in LiteLLM under its sha256 token. */
import type { LastApplied, VirtualKeyStatus } from "@litellm-operator/core"
import { keyStatus } from "@litellm-operator/core"
import type { KubeClient, VirtualKeyResource } from "@litellm-operator/k8s"
import { VirtualKeys } from "@litellm-operator/k8s"
import { Effect } from "effect"
import type { KindHandler } from "./KindHandler.ts"
import { ensureKeyMaterial, keyMaterialForDeletion, keySecretName } from "./keyMaterial.ts"
import { readOrReplaceKey } from "./revokedKey.ts"
import { syncKey } from "./syncKey.ts"

const lastAppliedOf = (status: VirtualKeyStatus | undefined): LastApplied => ({
  fields: status?.appliedFields ?? [],
  duration: status?.duration
})

export const virtualKeyHandler: KindHandler<VirtualKeyResource, VirtualKeyStatus, KubeClient> = {
  type: VirtualKeys,
  connectionRef: (vk) => vk.spec.connectionRef,
  sync: (vk, { client, connection, lifecycle, now }) =>
    Effect.gen(function* () {
      const { connectionRef: _c, key: specKey, ...intent } = vk.spec
      const keyOptions = {
        owner: {
          apiVersion: vk.apiVersion,
          kind: vk.kind,
          name: vk.metadata.name,
          namespace: vk.metadata.namespace,
          uid: vk.metadata.uid
        },
        specKey,
        url: connection.url
      }
      // While deleting, the Secret is only read, never written (a namespace being deleted refuses new Secrets).
      const stored = lifecycle.deleting
        ? yield* keyMaterialForDeletion(keyOptions)
        : yield* ensureKeyMaterial(keyOptions)
      // A user-chosen key value cannot be replaced by the operator; it is minted again as it is.
      const { material, current, replaced } = lifecycle.deleting
        ? { material: stored, current: undefined, replaced: false }
        : yield* readOrReplaceKey({
            client,
            material: stored,
            recordedToken: specKey === undefined ? vk.status?.token : undefined,
            replace: ensureKeyMaterial({ ...keyOptions, replace: true })
          })
      const { plan, key } = yield* syncKey(
        client,
        { key: material.key, token: material.token, intent, ...lifecycle },
        {
          lastApplied: lastAppliedOf(vk.status),
          previousToken: vk.status?.token,
          ...(current === undefined ? {} : { current })
        }
      )
      const created = plan.actions.some((a) => a._tag === "KeyGenerate")
      return {
        status: keyStatus({
          previous: vk.status,
          key,
          applied: plan.applied,
          keySecretRef: material.secretName,
          outcome: { _tag: "Reconciled", warnings: plan.warnings },
          generation: vk.metadata.generation,
          now
        }),
        writes: plan.actions.length,
        created,
        replacedRevokedKey: replaced,
        adoptedExisting: !created && specKey !== undefined && vk.status?.appliedFields === undefined
      }
    }),
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
