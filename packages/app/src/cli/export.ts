/**
 * `litellm-operator export`: what a LiteLLM proxy holds, as manifests that
 * adopt it. Every object carries `auth.litellm.ai/adopt: "true"` and the id
 * LiteLLM knows it by (team and user ids in the spec, a key's sha256 token in
 * `auth.litellm.ai/adopt-token`), and only the settings LiteLLM holds, so the
 * operator's plan for them writes nothing but its owner marker. Key values are
 * never exported: LiteLLM keeps only their hashes.
 */
import type { JsonObject, ObservedKey, ObservedTeam, ObservedUser } from "@litellm-operator/core"
import {
  adoptAnnotation,
  adoptTokenAnnotation,
  allowAdoptionAnnotation,
  budgetFromNumber,
  membershipOf,
  ownerMetadataKey
} from "@litellm-operator/core"
import { apiVersion } from "@litellm-operator/k8s"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import { Effect, Schema } from "effect"
import type { Declared } from "./manifests.ts"
import { DeclaredTeam, DeclaredTeamMemberAssociation, DeclaredUser, DeclaredVirtualKey } from "./manifests.ts"
import { shortToken } from "./plan.ts"

type Client = LiteLLMClient["Service"]

export interface ExportOptions {
  /** The namespace the objects go to. */
  readonly namespace: string
  /** The connection Secret the objects name (in that namespace). */
  readonly connectionSecret: string
  /** The proxy's URL, written into the connection Secret's manifest (never the master key). */
  readonly url: string
}

export interface Exported {
  /** The connection Secret (URL and adoption consent, no master key), then Teams, Users, VirtualKeys, associations. */
  readonly manifests: ReadonlyArray<object>
  /** What was left out and why. */
  readonly notes: ReadonlyArray<string>
  readonly counts: {
    readonly teams: number
    readonly users: number
    readonly keys: number
    readonly memberships: number
  }
}

/** Roles the operator's default connection policy refuses: not exported, so the manifests apply as they are. */
const adminRoles = new Set(["proxy_admin", "proxy_admin_viewer"])

/** Fields the plans keep in LiteLLM's metadata, exported as spec fields (not as metadata entries). */
const metadataFields: Record<string, ReadonlyArray<string>> = {
  Team: ["tags", "guardrails"],
  User: ["guardrails"],
  VirtualKey: ["tags", "guardrails", "enforced_params"]
}

/** A Kubernetes name from LiteLLM's alias or id: lowercase letters, digits and '-', at most 63 characters. */
const kubeName = (text: string, taken: Set<string>): string => {
  const base =
    text
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 55) || "object"
  let name = base
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`
  taken.add(name)
  return name
}

const stringEntries = (kind: string, metadata: JsonObject | null | undefined) => {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (key === ownerMetadataKey || (metadataFields[kind] ?? []).includes(key)) continue
    // The spec's metadata holds text; other values (LiteLLM's own bookkeeping) stay as they are, unmanaged.
    if (typeof value === "string") out[key] = value
  }
  return Object.keys(out).length === 0 ? undefined : out
}

const stringList = (value: unknown): ReadonlyArray<string> | undefined =>
  Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string") ? value : undefined

const nonEmpty = <A extends object>(value: A | null | undefined): A | undefined =>
  value === null || value === undefined || Object.keys(value).length === 0 ? undefined : value

/** Only what is set: an absent spec field is one the operator leaves alone. */
const compact = (fields: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue
    if (Array.isArray(value) && value.length === 0) continue
    out[key] = value
  }
  return out
}

const budget = (amount: number | null | undefined) =>
  amount === null || amount === undefined ? undefined : budgetFromNumber(amount)

const numberMap = (value: JsonObject | null | undefined) => {
  if (value === null || value === undefined || Object.keys(value).length === 0) return undefined
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "number") return undefined
    out[k] = budgetFromNumber(v)
  }
  return out
}

export const exportProxy = Effect.fnUntraced(function* (client: Client, options: ExportOptions) {
  const notes: Array<string> = []
  const connectionRef = { secretRef: { name: options.connectionSecret } }
  const header = (kind: string, name: string, annotations: Record<string, string>) => ({
    apiVersion,
    kind,
    metadata: { name, namespace: options.namespace, annotations: { [adoptAnnotation]: "true", ...annotations } }
  })
  const teams = yield* client.teamListWithMemberships()
  const users = yield* client.userList()
  const keys = yield* client.keyList()

  const teamNames = new Set<string>()
  const userNames = new Set<string>()
  const keyNames = new Set<string>()
  const memberNames = new Set<string>()
  const out: Array<{
    readonly kind: "Team" | "User" | "VirtualKey" | "TeamMemberAssociation"
    readonly manifest: {
      readonly [key: string]: unknown
      readonly metadata: { readonly [key: string]: unknown; readonly name: string }
    }
    readonly check: (u: unknown) => boolean
  }> = []
  const is = (schema: Schema.Codec<Declared, unknown>) => (u: unknown) =>
    Schema.decodeUnknownResult(schema)(u)._tag === "Success"

  const teamManifest = (team: ObservedTeam) =>
    ({
      ...header("Team", kubeName(team.team_alias ?? team.team_id, teamNames), {}),
      spec: compact({
        connectionRef,
        teamID: team.team_id,
        // A team without an alias gets its id as alias: the plan shows that one change.
        teamAlias: team.team_alias ?? team.team_id,
        organizationID: team.organization_id === "" ? undefined : team.organization_id,
        models: team.models,
        maxBudget: budget(team.max_budget),
        budgetDuration: team.budget_duration,
        rpmLimit: team.rpm_limit,
        tpmLimit: team.tpm_limit,
        blocked: team.blocked === true ? true : undefined,
        teamMemberPermissions: team.team_member_permissions,
        modelAliases: nonEmpty(team.model_aliases),
        tags: stringList(team.metadata?.["tags"]),
        guardrails: stringList(team.metadata?.["guardrails"]),
        metadata: stringEntries("Team", team.metadata)
      })
    }) satisfies Record<string, unknown>

  const exportedUsers = new Map<string, ObservedUser>()
  const userManifest = (user: ObservedUser, email: string) =>
    ({
      ...header("User", kubeName(email.split("@")[0] ?? user.user_id, userNames), {}),
      spec: compact({
        connectionRef,
        userID: user.user_id,
        userEmail: email,
        userAlias: user.user_alias,
        userRole: user.user_role,
        models: user.models,
        maxBudget: budget(user.max_budget),
        budgetDuration: user.budget_duration,
        rpmLimit: user.rpm_limit,
        tpmLimit: user.tpm_limit,
        maxParallelRequests: user.max_parallel_requests,
        allowedCacheControls: user.allowed_cache_controls,
        modelMaxBudget: numberMap(user.model_max_budget),
        guardrails: stringList(user.metadata?.["guardrails"]),
        metadata: stringEntries("User", user.metadata)
      })
    }) satisfies Record<string, unknown>

  const keyManifest = (key: ObservedKey) =>
    ({
      ...header("VirtualKey", kubeName(key.key_alias ?? `key-${key.token.slice(0, 12)}`, keyNames), {
        [adoptTokenAnnotation]: key.token
      }),
      spec: compact({
        connectionRef,
        // A key without an alias gets one (the spec requires it): the plan shows that one change.
        keyAlias: key.key_alias ?? `key-${key.token.slice(0, 12)}`,
        teamID: key.team_id,
        userID: key.user_id,
        models: key.models,
        maxBudget: budget(key.max_budget),
        budgetDuration: key.budget_duration,
        budgetID: key.budget_id,
        rpmLimit: key.rpm_limit,
        tpmLimit: key.tpm_limit,
        maxParallelRequests: key.max_parallel_requests,
        blocked: key.blocked === true ? true : undefined,
        allowedCacheControls: key.allowed_cache_controls,
        allowedRoutes: key.allowed_routes,
        aliases: nonEmpty(key.aliases),
        config: nonEmpty(key.config),
        permissions: nonEmpty(key.permissions),
        modelMaxBudget: numberMap(key.model_max_budget),
        tags: stringList(key.metadata?.["tags"]),
        guardrails: stringList(key.metadata?.["guardrails"]),
        enforcedParams: stringList(key.metadata?.["enforced_params"]),
        metadata: stringEntries("VirtualKey", key.metadata)
      })
    }) satisfies Record<string, unknown>

  for (const team of teams) out.push({ kind: "Team", manifest: teamManifest(team), check: is(DeclaredTeam) })
  for (const user of users) {
    const email = user.user_email
    if (user.user_role !== null && user.user_role !== undefined && adminRoles.has(user.user_role)) {
      notes.push(
        `user ${JSON.stringify(user.user_id)} not exported: role ${user.user_role} (the operator's default policy refuses admin roles)`
      )
      continue
    }
    if (email === null || email === undefined || email === "") {
      notes.push(`user ${JSON.stringify(user.user_id)} not exported: it has no email, which a User needs`)
      continue
    }
    exportedUsers.set(user.user_id, user)
    out.push({ kind: "User", manifest: userManifest(user, email), check: is(DeclaredUser) })
  }
  for (const key of keys) {
    if (key.user_id !== null && key.user_id !== undefined && key.user_id !== "" && !exportedUsers.has(key.user_id)) {
      notes.push(`key ${shortToken(key.token)} not exported: its user ${JSON.stringify(key.user_id)} is not exported`)
      continue
    }
    out.push({ kind: "VirtualKey", manifest: keyManifest(key), check: is(DeclaredVirtualKey) })
  }
  for (const team of teams) {
    for (const member of team.members_with_roles ?? []) {
      const user =
        member.user_id === null || member.user_id === undefined ? undefined : exportedUsers.get(member.user_id)
      const email = user?.user_email
      if (user === undefined || email === null || email === undefined) continue
      const alias = team.team_alias
      if (alias === null || alias === undefined) {
        notes.push(
          `membership of ${JSON.stringify(user.user_id)} in team ${JSON.stringify(team.team_id)} not exported: the team has no alias to name`
        )
        continue
      }
      if (member.role !== "admin" && member.role !== "user") continue
      const membership = membershipOf(team, user.user_id)
      out.push({
        kind: "TeamMemberAssociation",
        manifest: {
          apiVersion,
          kind: "TeamMemberAssociation",
          metadata: {
            name: kubeName(`${alias}-${email.split("@")[0] ?? user.user_id}`, memberNames),
            namespace: options.namespace
          },
          spec: compact({
            connectionRef,
            teamAlias: alias,
            userEmail: email,
            role: member.role,
            maxBudgetInTeam:
              membership?.maxBudgetInTeam === undefined ? undefined : budgetFromNumber(membership.maxBudgetInTeam)
          })
        },
        check: is(DeclaredTeamMemberAssociation)
      })
    }
  }
  // What does not decode as its kind (an alias LiteLLM allows and the API does not) is left out, and said.
  const manifests: Array<object> = [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: options.connectionSecret,
        namespace: options.namespace,
        annotations: { [allowAdoptionAnnotation]: "true" }
      },
      type: "Opaque",
      stringData: { url: options.url }
    }
  ]
  const counts = { teams: 0, users: 0, keys: 0, memberships: 0 }
  for (const { kind, manifest, check } of out) {
    if (!check(manifest)) {
      notes.push(`${kind} ${manifest.metadata.name} not exported: LiteLLM's values do not fit the API's bounds`)
      continue
    }
    manifests.push(manifest)
    if (kind === "Team") counts.teams++
    else if (kind === "User") counts.users++
    else if (kind === "VirtualKey") counts.keys++
    else counts.memberships++
  }
  return { manifests, notes, counts } satisfies Exported
})
