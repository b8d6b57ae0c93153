/**
 * The pieces of the local main job: the examples pointed at the LiteLLM in
 * use, their Ready state, and the LiteLLM objects they produced.
 */
import { join } from "node:path"
import type { Condition } from "@litellm-operator/core"
import { readyOf } from "@litellm-operator/core"
import type { Manifest, ObjectKey } from "@litellm-operator/k8s"
import { KubeClient, TeamMemberAssociations, Teams, Users, VirtualKeys } from "@litellm-operator/k8s"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import { Effect, Option, Redacted, Schema } from "effect"
import type { KeyRow, ObjectRow, TeamRow, UserRow } from "./report.ts"

/** examples/ of this repository. */
export const examplesDirectory = join(import.meta.dirname, "..", "..", "..", "..", "examples")

const ConnectionStringData = Schema.Struct({
  stringData: Schema.Struct({ url: Schema.String, masterkey: Schema.String })
})

/** Secrets with a `url` and a `masterkey` (the examples' connection Secret) point at the proxy in use. */
export const pointConnectionSecrets = (
  manifests: ReadonlyArray<Manifest>,
  url: string,
  masterKey: Redacted.Redacted<string>
): { readonly manifests: ReadonlyArray<Manifest>; readonly rewritten: ReadonlyArray<string> } => {
  const rewritten: Array<string> = []
  const out = manifests.map((manifest) => {
    if (manifest.header.kind !== "Secret") return manifest
    const current = Schema.decodeUnknownOption(ConnectionStringData)(manifest.object)
    if (Option.isNone(current)) return manifest
    rewritten.push(`${manifest.header.metadata.namespace ?? "default"}/${manifest.header.metadata.name}`)
    return {
      ...manifest,
      object: {
        ...manifest.object,
        stringData: { ...current.value.stringData, url, masterkey: Redacted.value(masterKey) }
      }
    }
  })
  return { manifests: out, rewritten }
}

/** What the operator recorded in an object's status: its Ready condition and the LiteLLM ids it produced. */
export interface ObservedObject {
  readonly row: ObjectRow
  readonly teamId?: string | undefined
  readonly userId?: string | undefined
  readonly token?: string | undefined
  readonly keySecret?: string | undefined
}

const readyParts = (conditions: ReadonlyArray<Condition> | undefined) => {
  const ready = readyOf(conditions)
  return { ready: ready?.status ?? "-", reason: ready?.reason ?? "", message: ready?.message ?? "" }
}

const secretRef = (namespace: string, name: string | undefined) =>
  name === undefined ? undefined : `${namespace}/${name}`

const short = (token: string | undefined) => (token === undefined ? "" : ` token ${token.slice(0, 12)}…`)

/** The operator's kinds among the manifests. */
export const operatorObjects = (manifests: ReadonlyArray<Manifest>) =>
  manifests.filter((m) => m.header.apiVersion.startsWith("auth.litellm.ai/"))

/** Reads one example object; a missing one (or an unknown kind) has no Ready state yet. */
export const observe = Effect.fnUntraced(function* (manifest: Manifest) {
  const kube = yield* KubeClient
  const { kind } = manifest.header
  const key: ObjectKey = {
    namespace: manifest.header.metadata.namespace ?? "default",
    name: manifest.header.metadata.name
  }
  const base = { kind, namespace: key.namespace, name: key.name }
  const missing: ObservedObject = {
    row: { ...base, ready: "-", reason: "NotFound", message: "not created yet", produced: "" }
  }
  const read = Effect.gen(function* () {
    switch (kind) {
      case "Team": {
        const s = (yield* kube.get(Teams, key)).status
        return {
          row: { ...base, ...readyParts(s?.conditions), produced: s?.teamID === undefined ? "" : `team ${s.teamID}` },
          teamId: s?.teamID
        } satisfies ObservedObject
      }
      case "User": {
        const s = (yield* kube.get(Users, key)).status
        const secret = secretRef(key.namespace, s?.keySecretRef)
        return {
          row: {
            ...base,
            ...readyParts(s?.conditions),
            produced: s?.userID === undefined ? "" : `user ${s.userID}${short(s.token)}`
          },
          userId: s?.userID,
          token: s?.token,
          keySecret: secret
        } satisfies ObservedObject
      }
      case "VirtualKey": {
        const s = (yield* kube.get(VirtualKeys, key)).status
        const secret = secretRef(key.namespace, s?.keySecretRef)
        return {
          row: {
            ...base,
            ...readyParts(s?.conditions),
            produced: `${short(s?.token).trim()}${secret === undefined ? "" : ` in Secret ${secret}`}`
          },
          token: s?.token,
          keySecret: secret
        } satisfies ObservedObject
      }
      case "TeamMemberAssociation": {
        const s = (yield* kube.get(TeamMemberAssociations, key)).status
        return {
          row: {
            ...base,
            ...readyParts(s?.conditions),
            produced:
              s?.userID === undefined || s.teamID === undefined
                ? ""
                : `member ${s.userID} of team ${s.teamID} as ${s.role ?? "-"}`
          }
        } satisfies ObservedObject
      }
      default:
        return missing
    }
  })
  return yield* read.pipe(Effect.catchTag("KubeError", () => Effect.succeed(missing)))
})

/** Deletes one example object (gone already is fine). */
export const deleteObject = Effect.fnUntraced(function* (manifest: Manifest) {
  const kube = yield* KubeClient
  const key: ObjectKey = {
    namespace: manifest.header.metadata.namespace ?? "default",
    name: manifest.header.metadata.name
  }
  switch (manifest.header.kind) {
    case "Team":
      return yield* kube.delete(Teams, key)
    case "User":
      return yield* kube.delete(Users, key)
    case "VirtualKey":
      return yield* kube.delete(VirtualKeys, key)
    case "TeamMemberAssociation":
      return yield* kube.delete(TeamMemberAssociations, key)
  }
})

/** Whether the object is gone (its finalizer let it go). */
export const isGone = (manifest: Manifest) =>
  Effect.map(observe(manifest), (o) => o.row.ready === "-" && o.row.reason === "NotFound")

export interface Inventory {
  readonly teams: ReadonlyArray<TeamRow>
  readonly users: ReadonlyArray<UserRow>
  readonly keys: ReadonlyArray<KeyRow>
}

/** The LiteLLM objects the examples produced, read back from LiteLLM by their exact ids and tokens. */
export const inventory = Effect.fnUntraced(function* (
  client: LiteLLMClient["Service"],
  observed: ReadonlyArray<ObservedObject>
) {
  const teams: Array<TeamRow> = []
  const users: Array<UserRow> = []
  const keys: Array<KeyRow> = []
  for (const o of observed) {
    if (o.teamId !== undefined) {
      const team = yield* client.teamInfo(o.teamId)
      if (Option.isSome(team)) {
        const t = team.value
        teams.push({
          teamId: t.team_id,
          alias: t.team_alias,
          models: t.models,
          maxBudget: t.max_budget,
          members: (t.members_with_roles ?? []).map((m) => `${m.user_email ?? m.user_id ?? "?"}(${m.role})`)
        })
      }
    }
    if (o.userId !== undefined) {
      const user = yield* client.userInfo(o.userId)
      if (Option.isSome(user)) {
        const u = user.value
        users.push({
          userId: u.user_id,
          email: u.user_email,
          role: u.user_role,
          maxBudget: u.max_budget,
          teams: u.teams
        })
      }
    }
    if (o.token !== undefined) {
      const key = yield* client.keyInfo(o.token)
      if (Option.isSome(key)) {
        const k = key.value
        keys.push({
          token: k.token,
          alias: k.key_alias,
          userId: k.user_id,
          teamId: k.team_id,
          models: k.models,
          maxBudget: k.max_budget,
          secret: o.keySecret
        })
      }
    }
  }
  return { teams, users, keys } satisfies Inventory
})
