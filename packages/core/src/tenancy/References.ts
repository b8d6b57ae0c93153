/**
 * References from one object to LiteLLM objects it does not own: a key's
 * team and user, a user's teams, a team's organization, a user's role. A
 * reference reaches past the object's namespace when no object of that
 * namespace owns what it names; the connection's policy decides whether that
 * is allowed (decision 9).
 */
import type { UserRole } from "../api/User.ts"
import type { ConnectionPolicy } from "./ConnectionPolicy.ts"
import { allowedUserRolesAnnotation, allowForeignReferencesAnnotation } from "./ConnectionPolicy.ts"

/** A Team or User of the object's namespace, as a reference sees it. */
export interface DeclaredObject {
  readonly name: string
  /** The LiteLLM id it will have: its spec's id, or the one derived from its uid. */
  readonly id: string
  /** The id its status records; set once the operator made or adopted the LiteLLM object for it. */
  readonly recordedId: string | undefined
}

export type ReferenceVerdict =
  | { readonly _tag: "Allowed"; readonly foreign: boolean }
  /** An object of the namespace declares it but does not own it yet (it is being created, or it was refused). */
  | { readonly _tag: "Waiting"; readonly message: string }
  | { readonly _tag: "Denied"; readonly message: string }

export interface ReferenceInput {
  /** The referring field, e.g. `spec.teamID`. */
  readonly field: string
  /** The kind that declares such objects: `Team` or `User`; undefined for organizations (no kind declares them). */
  readonly declaredBy: "Team" | "User" | undefined
  readonly id: string
  readonly namespace: string
  readonly declared: ReadonlyArray<DeclaredObject>
  readonly policy: ConnectionPolicy
  /** The connection Secret, to name in messages. */
  readonly connectionSecret: string
}

export const checkReference = (input: ReferenceInput): ReferenceVerdict => {
  if (input.declared.some((d) => d.recordedId === input.id)) return { _tag: "Allowed", foreign: false }
  const pending = input.declared.find((d) => d.id === input.id)
  if (pending !== undefined) {
    return {
      _tag: "Waiting",
      message: `${input.field} ${JSON.stringify(input.id)} is declared by ${input.declaredBy} ${input.namespace}/${pending.name}, which is not ready yet`
    }
  }
  if (input.policy.allowForeignReferences) return { _tag: "Allowed", foreign: true }
  const noun = input.declaredBy === undefined ? "organization" : input.declaredBy === "Team" ? "team" : "user"
  const declaredHere =
    input.declaredBy === undefined
      ? `no object in namespace ${input.namespace} can declare an ${noun}`
      : `no ${input.declaredBy} in namespace ${input.namespace} declares that ${noun}`
  return {
    _tag: "Denied",
    message: `${input.field} ${JSON.stringify(input.id)}: ${declaredHere}; naming ${noun}s from outside the namespace needs the annotation ${allowForeignReferencesAnnotation}: "true" on the connection Secret ${input.connectionSecret}`
  }
}

/** The first reference that is not allowed, or Allowed when all are. */
export const checkReferences = (inputs: ReadonlyArray<ReferenceInput>): ReferenceVerdict => {
  let foreign = false
  for (const input of inputs) {
    const verdict = checkReference(input)
    if (verdict._tag !== "Allowed") return verdict
    foreign = foreign || verdict.foreign
  }
  return { _tag: "Allowed", foreign }
}

export type RoleVerdict = { readonly _tag: "Allowed" } | { readonly _tag: "Denied"; readonly message: string }

/**
 * Whether a user may hold `role` on this connection. `role` is what the user
 * will have: the spec's, else what LiteLLM holds (an adopted admin stays one).
 */
export const checkUserRole = (options: {
  readonly role: UserRole | string | undefined
  /** What is asked, for the message: e.g. `spec.userRole` or `user "u-1" (spec.userID)`. */
  readonly subject: string
  readonly policy: ConnectionPolicy
  readonly connectionSecret: string
}): RoleVerdict => {
  const { role, policy } = options
  if (role === undefined || policy.allowedUserRoles.some((allowed) => allowed === role)) return { _tag: "Allowed" }
  return {
    _tag: "Denied",
    message: `${options.subject} has role ${JSON.stringify(role)}, which the connection does not allow (allowed: ${policy.allowedUserRoles.join(", ") || "none"}); the annotation ${allowedUserRolesAnnotation} on the connection Secret ${options.connectionSecret} sets the roles`
  }
}
