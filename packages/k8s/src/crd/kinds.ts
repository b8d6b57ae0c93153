/** The four custom resources of `auth.litellm.ai/v1alpha1`: names, schemas, columns and admission rules. */
import {
  TeamMemberAssociationSpec,
  TeamMemberAssociationStatus,
  TeamSpec,
  TeamStatus,
  UserSpec,
  UserStatus,
  VirtualKeySpec,
  VirtualKeyStatus
} from "@litellm-operator/core"
import type { Schema } from "effect"

export const group = "auth.litellm.ai"
export const version = "v1alpha1"
export const apiVersion = `${group}/${version}`

export interface PrinterColumn {
  readonly name: string
  readonly type: "string" | "date" | "integer"
  readonly jsonPath: string
  readonly priority?: number
  readonly description?: string
}

export interface KindDefinition {
  readonly kind: string
  readonly plural: string
  readonly singular: string
  readonly shortNames: ReadonlyArray<string>
  readonly description: string
  readonly spec: Schema.Top
  readonly status: Schema.Top
  /** CEL rules on the spec that compare with the previous version (ids fixed once chosen). */
  readonly specTransitionRules: ReadonlyArray<{ readonly rule: string; readonly message: string }>
  readonly columns: ReadonlyArray<PrinterColumn>
}

const ready: PrinterColumn = {
  name: "Ready",
  type: "string",
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: "Whether LiteLLM matches the spec"
}
const reason: PrinterColumn = {
  name: "Reason",
  type: "string",
  jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
  priority: 1,
  description: "Why the object is or is not ready"
}
const age: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }

const fixedOnceCreated = (field: string, kind: string) => ({
  rule: `has(self.${field}) == has(oldSelf.${field}) && (!has(self.${field}) || self.${field} == oldSelf.${field})`,
  message: `${field} cannot be added, changed or removed once the ${kind} exists: it is the object's identity in LiteLLM`
})

const immutable = (field: string, what: string) => ({
  rule: `self.${field} == oldSelf.${field}`,
  message: `${field} is immutable: ${what}`
})

/**
 * An object's LiteLLM objects live in the LiteLLM of its connection: changing
 * it would leave them (and live keys) behind in the old one. Moving is a
 * deletion under the object's policy and a new object.
 */
const connectionFixed = (kind: string) =>
  immutable(
    "connectionRef",
    `the ${kind}'s LiteLLM objects live in the LiteLLM it names; to move it, delete the ${kind} (its LiteLLM objects are removed under its deletion policy) and create it again with the new connectionRef`
  )

export const teamKind: KindDefinition = {
  kind: "Team",
  plural: "teams",
  singular: "team",
  shortNames: ["lteam"],
  description: "Team is a LiteLLM team: a budget, rate limits and a model list shared by its members' keys.",
  spec: TeamSpec,
  status: TeamStatus,
  specTransitionRules: [fixedOnceCreated("teamID", "Team"), connectionFixed("Team")],
  columns: [
    ready,
    { name: "Alias", type: "string", jsonPath: ".spec.teamAlias" },
    { name: "Budget", type: "string", jsonPath: ".spec.maxBudget" },
    { name: "Spend", type: "string", jsonPath: ".status.spend" },
    { name: "Team ID", type: "string", jsonPath: ".status.teamID", priority: 1 },
    reason,
    age
  ]
}

export const userKind: KindDefinition = {
  kind: "User",
  plural: "users",
  singular: "user",
  shortNames: ["luser"],
  description: "User is a LiteLLM internal user, optionally with its own key delivered in a Secret.",
  spec: UserSpec,
  status: UserStatus,
  specTransitionRules: [fixedOnceCreated("userID", "User"), connectionFixed("User")],
  columns: [
    ready,
    { name: "Email", type: "string", jsonPath: ".spec.userEmail" },
    { name: "Budget", type: "string", jsonPath: ".spec.maxBudget" },
    { name: "Spend", type: "string", jsonPath: ".status.spend" },
    { name: "User ID", type: "string", jsonPath: ".status.userID", priority: 1 },
    reason,
    age
  ]
}

export const virtualKeyKind: KindDefinition = {
  kind: "VirtualKey",
  plural: "virtualkeys",
  singular: "virtualkey",
  shortNames: ["vk", "vkey"],
  description: "VirtualKey is a LiteLLM virtual key; its value is delivered in a Secret named in status.keySecretRef.",
  spec: VirtualKeySpec,
  status: VirtualKeyStatus,
  specTransitionRules: [connectionFixed("VirtualKey")],
  columns: [
    ready,
    { name: "Alias", type: "string", jsonPath: ".spec.keyAlias" },
    { name: "Budget", type: "string", jsonPath: ".spec.maxBudget" },
    { name: "Spend", type: "string", jsonPath: ".status.spend" },
    { name: "Secret", type: "string", jsonPath: ".status.keySecretRef", priority: 1 },
    reason,
    age
  ]
}

export const teamMemberAssociationKind: KindDefinition = {
  kind: "TeamMemberAssociation",
  plural: "teammemberassociations",
  singular: "teammemberassociation",
  shortNames: ["tma"],
  description:
    "TeamMemberAssociation makes a LiteLLM user a member of a LiteLLM team, with a role and an optional budget.",
  spec: TeamMemberAssociationSpec,
  status: TeamMemberAssociationStatus,
  specTransitionRules: [
    immutable("teamAlias", "create a new association to move the member to another team"),
    immutable("userEmail", "create a new association for another user"),
    connectionFixed("TeamMemberAssociation")
  ],
  columns: [
    ready,
    { name: "Team", type: "string", jsonPath: ".spec.teamAlias" },
    { name: "User", type: "string", jsonPath: ".spec.userEmail" },
    { name: "Role", type: "string", jsonPath: ".spec.role" },
    { name: "Budget", type: "string", jsonPath: ".spec.maxBudgetInTeam", priority: 1 },
    reason,
    age
  ]
}

export const kinds: ReadonlyArray<KindDefinition> = [teamKind, userKind, virtualKeyKind, teamMemberAssociationKind]
