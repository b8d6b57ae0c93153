/** User: a LiteLLM internal user, optionally with its own key, declared as a Kubernetes object. */
import { Schema } from "effect"
import { Budget } from "./Budget.ts"
import { Conditions, ObservedGeneration } from "./Condition.ts"
import { ConnectionRef, requiresConnectionRef } from "./ConnectionRef.ts"
import { BudgetDuration, Duration } from "./Duration.ts"
import {
  described,
  Email,
  FreeformMap,
  Identifier,
  isAtMostChars,
  isModelMap,
  Limit,
  NameList,
  NameMap,
  StringList,
  StringMap
} from "./Primitives.ts"

const opt = Schema.optionalKey

export const userRoles = ["proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"] as const
const userRoleMessage =
  'must be one of "proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer": LiteLLM\'s "customer" is an end user, not a user of the proxy; for a user who calls models with its own keys use "internal_user" ("internal_user_viewer" to only view)'

/** A role; at admission a CEL rule (not an enum, whose message cannot say what to use instead) checks it. */
export const UserRole = Schema.Literals(userRoles).check(
  Schema.makeFilter(() => undefined, {
    toJsonSchema: () => ({
      maxLength: 32,
      "x-kubernetes-validations": [
        { rule: `self in [${userRoles.map((r) => `'${r}'`).join(", ")}]`, message: userRoleMessage }
      ]
    })
  })
)
export type UserRole = typeof UserRole.Type

/** Per-model limits given as strings in the User API; they must hold whole numbers. */
const WholeNumberStringMap = Schema.Record(
  Schema.String,
  Schema.String.check(
    isAtMostChars(12),
    Schema.isPattern(/^[0-9]{1,12}$/u, { message: 'must be a whole number of at most 12 digits such as "100"' })
  )
).check(isModelMap)
const BudgetMap = Schema.Record(Schema.String, Budget).check(isModelMap)

export const UserSpec = Schema.Struct({
  connectionRef: ConnectionRef.pipe(described("ConnectionRef defines how to connect to the LiteLLM instance")),
  aliases: opt(NameMap.pipe(described("Aliases is the model aliases for the user"))),
  allowedCacheControls: opt(
    NameList.pipe(described("AllowedCacheControls is the list of allowed cache control values"))
  ),
  autoCreateKey: opt(
    Schema.Boolean.pipe(described("AutoCreateKey is whether to automatically create a key for the user"))
  ),
  blocked: opt(
    Schema.Boolean.pipe(
      described(
        "Blocked is always empty: LiteLLM users have no blocked flag (spec.blocked blocks the user's own key; see keyBlocked)"
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
  duration: opt(Duration.pipe(described("Duration is the duration for the key auto-created on /user/new"))),
  guardrails: opt(NameList.pipe(described("Guardrails is the list of active guardrails for the user"))),
  keyAlias: opt(Identifier.pipe(described("KeyAlias is the optional alias of the key if autoCreateKey is true"))),
  maxBudget: opt(Budget.pipe(described("MaxBudget is the maximum budget for the user"))),
  maxParallelRequests: opt(
    Limit.pipe(described("MaxParallelRequests is the maximum number of parallel requests for the user"))
  ),
  metadata: opt(FreeformMap.pipe(described("Metadata is free-form metadata stored on the user in LiteLLM"))),
  modelMaxBudget: opt(BudgetMap.pipe(described("ModelMaxBudget is the model specific maximum budget"))),
  modelRPMLimit: opt(
    WholeNumberStringMap.pipe(described("ModelRPMLimit is the model specific maximum requests per minute"))
  ),
  modelTPMLimit: opt(
    WholeNumberStringMap.pipe(described("ModelTPMLimit is the model specific maximum tokens per minute"))
  ),
  models: opt(NameList.pipe(described("Models is the list of models that the user is allowed to use"))),
  permissions: opt(FreeformMap.pipe(described("Permissions is the user-specific permissions"))),
  rpmLimit: opt(Limit.pipe(described("RPMLimit is the maximum requests per minute for the user"))),
  sendInviteEmail: opt(
    Schema.Boolean.pipe(
      described(
        "SendInviteEmail is whether to send an invite email to the user - NOTE: the user endpoint will return an error if email alerting is not configured and this is enabled, but the user will still be created."
      )
    )
  ),
  softBudget: opt(Budget.pipe(described("SoftBudget - alert when user exceeds this budget, doesn't block requests"))),
  spend: opt(Budget.pipe(described("Spend is the amount spent by user"))),
  ssoUserID: opt(Identifier.pipe(described("SSOUserID is the id of the user in the SSO provider"))),
  teams: opt(NameList.pipe(described("Teams is the list of teams that the user is a member of"))),
  tpmLimit: opt(Limit.pipe(described("TPMLimit is the maximum tokens per minute for the user"))),
  userAlias: opt(Identifier.pipe(described("UserAlias is the alias of the user"))),
  userEmail: Email.pipe(described("UserEmail is the email of the user")),
  userID: opt(Identifier.pipe(described("UserID is the ID of the user. If not set, a unique ID will be generated."))),
  userRole: opt(
    UserRole.pipe(
      described(
        'UserRole is the role of the user - one of "proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"'
      )
    )
  )
})
  .check(requiresConnectionRef)
  .annotate({ description: "UserSpec defines the desired state of User" })
export type UserSpec = typeof UserSpec.Type

const s = (description: string) => opt(Schema.String.pipe(described(description)))
const i = (description: string) => opt(Schema.Int.pipe(described(description)))
const list = (description: string) => opt(StringList.pipe(described(description)))
const map = (description: string) => opt(StringMap.pipe(described(description)))

export const UserStatus = Schema.Struct({
  allowedCacheControls: list("AllowedCacheControls is the list of allowed cache control values"),
  allowedRoutes: list("AllowedRoutes is always empty: LiteLLM keeps allowed routes on keys, not users"),
  aliases: map("Aliases is the model aliases for the user"),
  blocked: opt(
    Schema.Boolean.pipe(
      described(
        "Blocked is always empty: LiteLLM users have no blocked flag (spec.blocked blocks the user's own key; see keyBlocked)"
      )
    )
  ),
  budgetDuration: s("BudgetDuration - Budget is reset at the end of specified duration"),
  budgetID: s("BudgetID is always empty: LiteLLM links budget rows to keys, not users"),
  config: map("Config is always empty: LiteLLM keeps config on keys, not users"),
  createdAt: s("CreatedAt is the date and time when the user was created"),
  createdBy: s("CreatedBy is always empty: LiteLLM does not record who created a user"),
  duration: s("Duration is the duration for the key"),
  enforcedParams: list("EnforcedParams is always empty: LiteLLM keeps enforced parameters on keys, not users"),
  expires: s("Expires is the date and time when the user will expire"),
  guardrails: list("Guardrails is the list of guardrails stored in the user's metadata"),
  keyAlias: s("KeyAlias is the alias of the key"),
  keyBlocked: opt(
    Schema.Boolean.pipe(described("KeyBlocked is whether the user's own key (autoCreateKey) is blocked in LiteLLM"))
  ),
  keyName: s("KeyName is the name of the key"),
  keySecretRef: s("KeySecretRef is the reference to the secret containing the user key"),
  litellmBudgetTable: s("LiteLLMBudgetTable is always empty: LiteLLM joins budget rows to keys, not users"),
  maxBudget: s("MaxBudget is the maximum budget for the user"),
  maxParallelRequests: i("MaxParallelRequests is the maximum number of parallel requests"),
  modelMaxBudget: map("ModelMaxBudget is the model specific maximum budget"),
  modelRPMLimit: map("ModelRPMLimit is the model specific maximum requests per minute"),
  modelTPMLimit: map("ModelTPMLimit is the model specific maximum tokens per minute"),
  models: list("Models is the list of models that the user is allowed to use"),
  permissions: map("Permissions is the user-specific permissions"),
  rpmLimit: i("RPMLimit is the maximum requests per minute"),
  spend: s("Spend is the amount spent by user"),
  tags: list("Tags is the list of tags stored in the user's metadata (metadata.tags)"),
  teams: list("Teams is the list of teams that the user is a member of"),
  token: s("Token is the sha256 hash of the user's key (never the key itself)"),
  tpmLimit: i("TPMLimit is the maximum tokens per minute"),
  updatedAt: s("UpdatedAt is the date and time when the user was last updated"),
  updatedBy: s("UpdatedBy is always empty: LiteLLM does not record who last updated a user"),
  userAlias: s("UserAlias is the alias of the user"),
  userEmail: s("UserEmail is the email of the user"),
  userID: s("UserID is the unique user id"),
  userRole: s("UserRole is the role of the user"),
  truncated: list(
    "Truncated names the status fields that hold only the start of LiteLLM's value: each mirrored field holds at most 8 KiB (LiteLLM may hold values of any size for objects made elsewhere)"
  ),
  appliedFields: list(
    "AppliedFields lists the spec fields the operator last wrote to LiteLLM; a field removed from the spec is cleared in LiteLLM only if it is listed here"
  ),
  observedGeneration: opt(ObservedGeneration),
  conditions: opt(
    Conditions.pipe(
      described("Conditions describe the state of the User; Ready tells whether LiteLLM matches the spec")
    )
  )
}).annotate({ description: "UserStatus defines the observed state of User" })
export type UserStatus = typeof UserStatus.Type
