/**
 * What objects that use a connection may do (decision 9), set by whoever owns
 * the connection Secret with annotations on it, and enforced by the operator
 * before it calls LiteLLM. The defaults are the safe ones: no admin roles, no
 * teams or users that the object's own namespace does not declare, no adoption.
 */
import type { UserRole } from "../api/User.ts"
import { userRoles } from "../api/User.ts"

/** Comma-separated user roles that Users may be given (default: `internal_user,internal_user_viewer`). */
export const allowedUserRolesAnnotation = "auth.litellm.ai/allowed-user-roles"
/** `"true"`: objects may name teams, users and organizations that no object in their namespace declares. */
export const allowForeignReferencesAnnotation = "auth.litellm.ai/allow-foreign-references"
/** `"true"`: objects with `auth.litellm.ai/adopt: "true"` may take over LiteLLM objects this operator did not make. */
export const allowAdoptionAnnotation = "auth.litellm.ai/allow-adoption"

export interface ConnectionPolicy {
  readonly allowedUserRoles: ReadonlyArray<UserRole>
  readonly allowForeignReferences: boolean
  readonly allowAdoption: boolean
}

/** Roles that make a key an admin credential of the whole proxy. */
export const adminUserRoles: ReadonlyArray<UserRole> = ["proxy_admin", "proxy_admin_viewer"]

export const defaultConnectionPolicy: ConnectionPolicy = {
  allowedUserRoles: userRoles.filter((role) => !adminUserRoles.includes(role)),
  allowForeignReferences: false,
  allowAdoption: false
}

export type PolicyResult =
  | { readonly _tag: "Valid"; readonly policy: ConnectionPolicy }
  | { readonly _tag: "Invalid"; readonly message: string }

const isUserRole = (value: string): value is UserRole => userRoles.some((role) => role === value)

const flag = (
  annotations: { readonly [key: string]: string },
  name: string
): boolean | { readonly invalid: string } => {
  const value = annotations[name]
  if (value === undefined) return false
  const text = value.trim().toLowerCase()
  if (text === "true") return true
  if (text === "false" || text === "") return false
  return { invalid: `annotation ${name} must be "true" or "false"` }
}

/** The policy from a connection Secret's annotations, or why an annotation cannot be read. */
export const connectionPolicyFrom = (annotations: { readonly [key: string]: string }): PolicyResult => {
  const foreign = flag(annotations, allowForeignReferencesAnnotation)
  if (typeof foreign === "object") return { _tag: "Invalid", message: foreign.invalid }
  const adoption = flag(annotations, allowAdoptionAnnotation)
  if (typeof adoption === "object") return { _tag: "Invalid", message: adoption.invalid }
  const rolesText = annotations[allowedUserRolesAnnotation]
  if (rolesText === undefined) {
    return {
      _tag: "Valid",
      policy: { ...defaultConnectionPolicy, allowForeignReferences: foreign, allowAdoption: adoption }
    }
  }
  const roles: Array<UserRole> = []
  for (const part of rolesText.split(",")) {
    const role = part.trim()
    if (role === "") continue
    if (!isUserRole(role)) {
      return {
        _tag: "Invalid",
        message: `annotation ${allowedUserRolesAnnotation} names an unknown role ${JSON.stringify(role.slice(0, 64))} (roles: ${userRoles.join(", ")})`
      }
    }
    if (!roles.includes(role)) roles.push(role)
  }
  return {
    _tag: "Valid",
    policy: { allowedUserRoles: roles, allowForeignReferences: foreign, allowAdoption: adoption }
  }
}
