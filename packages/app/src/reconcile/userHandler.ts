/** User: the LiteLLM user, its teams from `spec.teams`, and with `autoCreateKey` its own key in a Secret. */
import type { UserStatus } from "@litellm-operator/core"
import { checkUserRole, lastAppliedOf, userIdFor, userStatus, withOwnerMarker } from "@litellm-operator/core"
import type { KubeClient, SecretCache, UserResource } from "@litellm-operator/k8s"
import { Users } from "@litellm-operator/k8s"
import { Effect } from "effect"
import type { KindHandler } from "./KindHandler.ts"
import { syncedFrom } from "./KindHandler.ts"
import { ensureKeyMaterial, keyOwnerOf } from "./keyMaterial.ts"
import { NamespaceObjects } from "./NamespaceObjects.ts"
import { readOrReplaceKey } from "./revokedKey.ts"
import type { ObservedUserAndKey } from "./syncUser.ts"
import { syncUser } from "./syncUser.ts"
import type { GuardVerdict } from "./tenancy.ts"
import { guardOf, ownership, requireReferences, requireRole } from "./tenancy.ts"

export const userHandler: KindHandler<UserResource, UserStatus, KubeClient | SecretCache | NamespaceObjects> = {
  type: Users,
  connectionRef: (user) => user.spec.connectionRef,
  sync: (user, context) =>
    Effect.gen(function* () {
      const { client, connection, lifecycle, now } = context
      const { namespace } = user.metadata
      const userId = userIdFor(user.spec, user.metadata.uid)
      const roleOf = (role: string | null | undefined, subject: string) =>
        requireRole(
          checkUserRole({
            role: role ?? undefined,
            subject,
            policy: connection.policy,
            connectionSecret: connection.secret
          })
        )
      if (!lifecycle.deleting) {
        // Checked before anything is written: a role the connection does not allow, teams of another namespace.
        yield* roleOf(user.spec.userRole, "spec.userRole")
        const objects = yield* NamespaceObjects
        yield* requireReferences(
          yield* Effect.forEach(user.spec.teams ?? [], (teamId) =>
            Effect.map(objects.declaredTeams(namespace, teamId), (declared) => ({
              field: "spec.teams",
              declaredBy: "Team" as const,
              id: teamId,
              namespace,
              declared,
              policy: connection.policy,
              connectionSecret: connection.secret
            }))
          )
        )
      }
      const wantsKey = user.spec.autoCreateKey === true && !lifecycle.deleting
      const keyOptions = { owner: keyOwnerOf(user), specKey: undefined, url: connection.url }
      const checked = wantsKey
        ? yield* readOrReplaceKey({
            client,
            material: yield* ensureKeyMaterial(keyOptions),
            recordedToken: user.status?.token,
            replace: ensureKeyMaterial({ ...keyOptions, replace: true })
          })
        : undefined
      const material = checked?.material
      const marked = withOwnerMarker(user.spec.metadata, context.self)
      const spec = {
        ...user.spec,
        metadata: marked.metadata
      }
      const check = Effect.fnUntraced(function* (observed: ObservedUserAndKey) {
        const verdict: GuardVerdict = yield* ownership(context, {
          what: `user ${JSON.stringify(userId)}`,
          exists: observed.user !== undefined,
          metadata: observed.user?.metadata,
          recorded: user.status?.userID === userId
        })
        if (verdict._tag === "Skip" || lifecycle.deleting) return verdict
        // An adopted admin stays an admin unless the spec says otherwise: its key would be an admin credential.
        if (user.spec.userRole === undefined) {
          yield* roleOf(observed.user?.user_role, `user ${JSON.stringify(userId)} in LiteLLM`)
        }
        if (observed.key !== undefined) {
          // The key's value is known only to this object's Secret; a marker naming someone else is still refused.
          yield* ownership(context, {
            what: "the user's key",
            exists: true,
            metadata: observed.key.metadata,
            recorded: true
          })
        }
        return verdict
      })
      const synced = yield* syncUser(
        client,
        {
          userId,
          spec,
          key: material === undefined ? undefined : { key: material.key, token: material.token },
          ...lifecycle
        },
        {
          lastApplied: lastAppliedOf(user.status),
          previousToken: user.status?.token,
          ...(checked === undefined ? {} : { observeKey: Effect.succeed(checked.key) }),
          guard: guardOf<ObservedUserAndKey>({
            check,
            // The id goes into the status before the user is made, so a deletion knows whether anything was.
            beforeWrite:
              user.status?.userID === userId ? Effect.void : context.recordStatus({ ...user.status, userID: userId })
          })
        }
      )
      return syncedFrom(
        synced,
        userStatus({
          previous: user.status,
          user: synced.user,
          key: synced.key,
          applied: synced.plan.applied,
          keySecretRef: material?.secretName,
          outcome: { _tag: "Reconciled", warnings: [...marked.warnings, ...synced.plan.warnings] },
          generation: user.metadata.generation,
          now
        }),
        checked?.replaced === true
      )
    }),
  mayHaveCreated: (user) => Effect.succeed(user.status?.userID !== undefined),
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
