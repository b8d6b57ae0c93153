/** Team: a LiteLLM team declared as a Kubernetes object. */
import { Schema } from "effect"
import { Budget } from "./Budget.ts"
import { Conditions, ObservedGeneration } from "./Condition.ts"
import { ConnectionRef, requiresConnectionRef } from "./ConnectionRef.ts"
import { BudgetDuration } from "./Duration.ts"
import {
  described,
  Email,
  FreeformMap,
  Identifier,
  isAtMostItems,
  Limit,
  NameList,
  NameMap,
  StringList,
  StringMap
} from "./Primitives.ts"

const opt = Schema.optionalKey

const membersWithRoleMessage =
  "membersWithRole is not supported: declare each member as a TeamMemberAssociation object (spec.teamAlias, spec.userEmail, spec.role, spec.connectionRef), one per member; see docs/migrating-from-the-go-operator.md"

/**
 * The Go operator's later `spec.membersWithRole`. Declared so that a client
 * that does not ask for strict validation cannot have it pruned in silence;
 * refused (at admission and by the operator) with what to use instead.
 */
const MembersWithRole = Schema.Array(
  Schema.Struct({
    userID: opt(Identifier),
    userEmail: opt(Email),
    role: opt(Schema.String.check(Schema.isMaxLength(16)))
  })
).check(
  isAtMostItems(256),
  Schema.makeFilter((members: ReadonlyArray<unknown>) => (members.length === 0 ? undefined : membersWithRoleMessage), {
    toJsonSchema: () => ({
      "x-kubernetes-validations": [{ rule: "size(self) == 0", message: membersWithRoleMessage }]
    })
  })
)

export const TeamSpec = Schema.Struct({
  connectionRef: ConnectionRef.pipe(described("ConnectionRef defines how to connect to the LiteLLM instance")),
  blocked: opt(
    Schema.Boolean.pipe(
      described(
        "Blocked is a flag indicating if the team is blocked or not - will stop all calls from keys with this team_id"
      )
    )
  ),
  budgetDuration: opt(
    BudgetDuration.pipe(
      described(
        'BudgetDuration - Budget is reset at the end of specified duration. If not set, budget is never reset. You can set duration as seconds ("30s"), minutes ("30m"), hours ("30h"), days ("30d"), months ("1mo").'
      )
    )
  ),
  guardrails: opt(NameList.pipe(described("Guardrails are guardrails for the team"))),
  maxBudget: opt(Budget.pipe(described("MaxBudget is the maximum budget for the team"))),
  metadata: opt(FreeformMap.pipe(described("Metadata is free-form metadata stored on the team in LiteLLM"))),
  modelAliases: opt(NameMap.pipe(described("ModelAliases are model aliases for the team"))),
  membersWithRole: opt(
    MembersWithRole.pipe(
      described(
        "MembersWithRole is refused when not empty (the Go operator's field): declare each member as a TeamMemberAssociation"
      )
    )
  ),
  models: opt(
    NameList.pipe(
      described(
        "Models is the list of models that are associated with the team. All keys for this team_id will have at most, these models. If empty, assumes all models are allowed."
      )
    )
  ),
  organizationID: opt(
    Identifier.pipe(
      described(
        "OrganizationID is the ID of the organization that the team belongs to. If not set, the team will be created with no organization."
      )
    )
  ),
  rpmLimit: opt(
    Limit.pipe(
      described(
        "RPMLimit is the maximum requests per minute limit for the team - all keys associated with this team_id will have at max this RPM limit"
      )
    )
  ),
  tags: opt(
    NameList.pipe(described("Tags for tracking spend and/or doing tag-based routing. Requires Enterprise license"))
  ),
  teamAlias: Identifier.pipe(described("TeamAlias is the alias of the team")),
  teamID: opt(Identifier.pipe(described("TeamID is the ID of the team. If not set, a unique ID will be generated."))),
  teamMemberPermissions: opt(
    NameList.pipe(
      described(
        'TeamMemberPermissions is the list of routes that non-admin team members can access. Example: ["/key/generate", "/key/update", "/key/delete"]'
      )
    )
  ),
  tpmLimit: opt(
    Limit.pipe(
      described(
        "TPMLimit is the maximum tokens per minute limit for the team - all keys with this team_id will have at max this TPM limit"
      )
    )
  )
})
  .check(requiresConnectionRef)
  .annotate({ description: "TeamSpec defines the desired state of Team" })
export type TeamSpec = typeof TeamSpec.Type

export const TeamMemberWithRole = Schema.Struct({
  userID: opt(Schema.String.pipe(described("UserID is the ID of the user"))),
  userEmail: opt(Schema.String.pipe(described("UserEmail is the email of the user"))),
  role: opt(Schema.String.pipe(described('Role is the role of the user - one of "admin" or "user"')))
})
export type TeamMemberWithRole = typeof TeamMemberWithRole.Type

export const TeamStatus = Schema.Struct({
  blocked: opt(Schema.Boolean.pipe(described("Blocked is a flag indicating if the team is blocked or not"))),
  budgetDuration: opt(
    Schema.String.pipe(
      described("BudgetDuration - Budget is reset at the end of specified duration. If not set, budget is never reset.")
    )
  ),
  budgetResetAt: opt(Schema.String.pipe(described("BudgetResetAt is the date and time when the budget will be reset"))),
  createdAt: opt(Schema.String.pipe(described("CreatedAt is the date and time when the team was created"))),
  liteLLMModelTable: opt(
    Schema.String.pipe(
      described(
        "LiteLLMModelTable is the team's model table row (its model aliases) as JSON, when LiteLLM's /team/info returns it; 2025-2026 builds answer null, so it is then empty (see modelID and modelAliases)"
      )
    )
  ),
  maxBudget: opt(Schema.String.pipe(described("MaxBudget is the maximum budget for the team"))),
  maxParallelRequests: opt(
    Schema.Int.pipe(described("MaxParallelRequests is the maximum number of parallel requests allowed"))
  ),
  membersWithRole: opt(
    Schema.Array(TeamMemberWithRole).pipe(described("MembersWithRole is the list of members with role"))
  ),
  modelID: opt(Schema.String.pipe(described("ModelID is the ID of the model"))),
  models: opt(
    StringList.pipe(
      described(
        "Models is the list of models that are associated with the team. All keys for this team_id will have at most, these models."
      )
    )
  ),
  organizationID: opt(
    Schema.String.pipe(described("OrganizationID is the ID of the organization that the team belongs to"))
  ),
  rpmLimit: opt(
    Schema.Int.pipe(
      described(
        "RPMLimit is the maximum requests per minute limit for the team - all keys associated with this team_id will have at max this RPM limit"
      )
    )
  ),
  spend: opt(Schema.String.pipe(described("Spend is the current spend of the team"))),
  tags: opt(
    StringList.pipe(described("Tags for tracking spend and/or doing tag-based routing. Requires Enterprise license"))
  ),
  teamAlias: opt(Schema.String.pipe(described("TeamAlias is the alias of the team"))),
  teamID: opt(Schema.String.pipe(described("TeamID is the ID of the team"))),
  teamMemberPermissions: opt(
    StringList.pipe(described("TeamMemberPermissions is the list of routes that non-admin team members can access"))
  ),
  tpmLimit: opt(
    Schema.Int.pipe(
      described(
        "TPMLimit is the maximum tokens per minute limit for the team - all keys with this team_id will have at max this TPM limit"
      )
    )
  ),
  updatedAt: opt(Schema.String.pipe(described("UpdatedAt is the date and time when the team was last updated"))),
  modelAliases: opt(
    StringMap.pipe(
      described(
        "ModelAliases is the model alias map last applied to LiteLLM (LiteLLM does not return it on read, so the operator remembers it)"
      )
    )
  ),
  truncated: opt(
    StringList.pipe(
      described(
        "Truncated names the status fields that hold only the start of LiteLLM's value: each mirrored field holds at most 8 KiB (LiteLLM may hold values of any size for objects made elsewhere)"
      )
    )
  ),
  appliedFields: opt(
    StringList.pipe(
      described(
        "AppliedFields lists the spec fields the operator last wrote to LiteLLM; a field removed from the spec is cleared in LiteLLM only if it is listed here"
      )
    )
  ),
  observedGeneration: opt(ObservedGeneration),
  conditions: opt(
    Conditions.pipe(
      described("Conditions describe the state of the Team; Ready tells whether LiteLLM matches the spec")
    )
  )
}).annotate({ description: "TeamStatus defines the observed state of Team" })
export type TeamStatus = typeof TeamStatus.Type
