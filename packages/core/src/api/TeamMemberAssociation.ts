/** TeamMemberAssociation: one user's membership of one team, with a role and an optional budget. */
import { Schema } from "effect"
import { Budget } from "./Budget.ts"
import { Conditions, ObservedGeneration } from "./Condition.ts"
import { ConnectionRef, requiresConnectionRef } from "./ConnectionRef.ts"
import { described, Email, Identifier, KubeName } from "./Primitives.ts"

const opt = Schema.optionalKey

export const memberRoles = ["admin", "user"] as const
const memberRoleMessage =
  'must be "user" (a member of the team) or "admin" (a team admin); for a plain member, as the Go operator\'s documentation spelled "member", use "user"'

/** A team role; at admission a CEL rule (not an enum, whose message cannot say what to use instead) checks it. */
export const MemberRole = Schema.Literals(memberRoles).check(
  Schema.makeFilter(() => undefined, {
    toJsonSchema: () => ({
      maxLength: 32,
      "x-kubernetes-validations": [
        { rule: `self in [${memberRoles.map((r) => `'${r}'`).join(", ")}]`, message: memberRoleMessage }
      ]
    })
  })
)
export type MemberRole = typeof MemberRole.Type

/**
 * The Go operator's `teamRef`/`userRef` (names of Team and User objects).
 * Declared so that a client without strict validation cannot drop them in
 * silence, and refused with what says the same here.
 */
const goRef = (field: "teamRef" | "userRef", instead: "teamAlias" | "userEmail") => {
  const message = `${field} is not supported: a membership names its ${field === "teamRef" ? "team by spec.teamAlias" : "user by spec.userEmail"} (the ${instead} of the ${field === "teamRef" ? "Team" : "User"} object ${field} named); remove ${field}`
  return Schema.Struct({ name: opt(KubeName), namespace: opt(KubeName) }).check(
    Schema.makeFilter(
      (ref: { readonly name?: string; readonly namespace?: string }) =>
        ref.name === undefined && ref.namespace === undefined ? undefined : message,
      {
        toJsonSchema: () => ({
          "x-kubernetes-validations": [{ rule: "!has(self.name) && !has(self.namespace)", message }]
        })
      }
    )
  )
}

export const TeamMemberAssociationSpec = Schema.Struct({
  connectionRef: ConnectionRef.pipe(described("ConnectionRef defines how to connect to the LiteLLM instance")),
  maxBudgetInTeam: opt(Budget.pipe(described("MaxBudgetInTeam is the maximum budget for the user in the team"))),
  teamAlias: Identifier.pipe(described("TeamAlias is the alias of the team")),
  userEmail: Email.pipe(described("UserEmail is the email of the user")),
  role: MemberRole.pipe(described('Role is the role of the user - one of "admin" or "user"')),
  teamRef: opt(
    goRef("teamRef", "teamAlias").pipe(
      described("TeamRef is refused when set (the Go operator's field): name the team by teamAlias")
    )
  ),
  userRef: opt(
    goRef("userRef", "userEmail").pipe(
      described("UserRef is refused when set (the Go operator's field): name the user by userEmail")
    )
  )
})
  .check(requiresConnectionRef)
  .annotate({ description: "TeamMemberAssociationSpec defines the desired state of TeamMemberAssociation" })
export type TeamMemberAssociationSpec = typeof TeamMemberAssociationSpec.Type

export const TeamMemberAssociationStatus = Schema.Struct({
  teamAlias: opt(Schema.String.pipe(described("TeamAlias is the alias of the team"))),
  teamID: opt(Schema.String.pipe(described("TeamID is the ID of the team"))),
  userEmail: opt(Schema.String.pipe(described("UserEmail is the email of the user"))),
  userID: opt(Schema.String.pipe(described("UserID is the ID of the user"))),
  role: opt(Schema.String.pipe(described("Role is the role last applied in LiteLLM"))),
  maxBudgetInTeam: opt(Schema.String.pipe(described("MaxBudgetInTeam is the member budget last applied in LiteLLM"))),
  observedGeneration: opt(ObservedGeneration),
  conditions: opt(
    Conditions.pipe(
      described("Conditions describe the state of the association; Ready tells whether LiteLLM matches the spec")
    )
  )
}).annotate({ description: "TeamMemberAssociationStatus defines the observed state of TeamMemberAssociation" })
export type TeamMemberAssociationStatus = typeof TeamMemberAssociationStatus.Type
