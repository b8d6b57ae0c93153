/** User: the LiteLLM user, its teams from `spec.teams`, and with `autoCreateKey` its own key in a Secret. */
import type { LastApplied, UserStatus } from "@litellm-operator/core"
import { userIdFor, userStatus } from "@litellm-operator/core"
import type { KubeClient, SecretCache, UserResource } from "@litellm-operator/k8s"
import { Users } from "@litellm-operator/k8s"
import { Effect } from "effect"
import type { KindHandler } from "./KindHandler.ts"
import { ensureKeyMaterial } from "./keyMaterial.ts"
import { readOrReplaceKey } from "./revokedKey.ts"
import { syncUser } from "./syncUser.ts"

const lastAppliedOf = (status: UserStatus | undefined): LastApplied => ({
  fields: status?.appliedFields ?? [],
  duration: status?.duration
})

export const userHandler: KindHandler<UserResource, UserStatus, KubeClient | SecretCache> = {
  type: Users,
  connectionRef: (user) => user.spec.connectionRef,
  sync: (user, { client, connection, lifecycle, now }) =>
    Effect.gen(function* () {
      const userId = userIdFor(user.spec, user.metadata.uid)
      const wantsKey = user.spec.autoCreateKey === true && !lifecycle.deleting
      const keyOptions = {
        owner: {
          apiVersion: user.apiVersion,
          kind: user.kind,
          name: user.metadata.name,
          namespace: user.metadata.namespace,
          uid: user.metadata.uid
        },
        specKey: undefined,
        url: connection.url
      }
      const checked = wantsKey
        ? yield* readOrReplaceKey({
            client,
            material: yield* ensureKeyMaterial(keyOptions),
            recordedToken: user.status?.token,
            replace: ensureKeyMaterial({ ...keyOptions, replace: true })
          })
        : undefined
      const material = checked?.material
      const synced = yield* syncUser(
        client,
        {
          userId,
          spec: user.spec,
          key: material === undefined ? undefined : { key: material.key, token: material.token },
          ...lifecycle
        },
        {
          lastApplied: lastAppliedOf(user.status),
          previousToken: user.status?.token,
          ...(checked === undefined ? {} : { currentKey: checked.current })
        }
      )
      const { plan, user: observed, key } = synced
      const created = plan.actions.some((a) => a._tag === "UserCreate")
      return {
        status: userStatus({
          previous: user.status,
          user: observed,
          key,
          applied: plan.applied,
          keySecretRef: material?.secretName,
          outcome: { _tag: "Reconciled", warnings: plan.warnings },
          generation: user.metadata.generation,
          now
        }),
        writes: plan.actions.length,
        created,
        replacedRevokedKey: checked?.replaced === true,
        adoptedExisting: !created && user.spec.userID !== undefined && user.status?.appliedFields === undefined
      }
    }),
  failedStatus: (user, outcome, now) =>
    userStatus({
      previous: user.status,
      user: undefined,
      key: undefined,
      applied: lastAppliedOf(user.status),
      keySecretRef: user.status?.keySecretRef,
      outcome,
      generation: user.metadata.generation,
      now
    }),
  conditionsOnly: (conditions) => ({ conditions })
}
