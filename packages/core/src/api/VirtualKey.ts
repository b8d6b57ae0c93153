/** VirtualKey: a LiteLLM virtual key declared as a Kubernetes object; its value lands in a Secret. */
import { Schema } from "effect"
import { Budget } from "./Budget.ts"
import { Conditions, ObservedGeneration } from "./Condition.ts"
import { ConnectionRef, requiresConnectionRef } from "./ConnectionRef.ts"
import { BudgetDuration, Duration } from "./Duration.ts"
import {
  described,
  FreeformMap,
  Identifier,
  isAtMostChars,
  isModelMap,
  KubeName,
  Limit,
  NameList,
  NameMap,
  StringList,
  StringMap
} from "./Primitives.ts"

const opt = Schema.optionalKey

/** A custom key value: LiteLLM requires the `sk-` prefix. */
export const KeyValue = Schema.String.check(
  isAtMostChars(203),
  Schema.isPattern(/^sk-[A-Za-z0-9_-]{8,200}$/u, {
    message: "must start with \"sk-\" followed by 8 to 200 letters, digits, '_' or '-'"
  })
)

export const KeySecretRef = Schema.Struct({
  name: KubeName.pipe(described("Name is the name of a Secret in the VirtualKey's namespace")),
  key: opt(KubeName.pipe(described('Key is the key in the Secret that holds the key value (default "key")')))
}).annotate({
  description:
    "KeySecretRef takes a chosen key value from a Secret of the VirtualKey's namespace, so the value never appears in the object"
})
export type KeySecretRef = typeof KeySecretRef.Type

const keyOrSecret = "at most one of key and keySecretRef may be set"

const VirtualKeyFields = Schema.Struct({
  connectionRef: ConnectionRef.pipe(described("ConnectionRef defines how to connect to the LiteLLM instance")),
  aliases: opt(NameMap.pipe(described("Aliases maps additional aliases for the key"))),
  allowedCacheControls: opt(NameList.pipe(described("AllowedCacheControls defines allowed cache control settings"))),
  allowedRoutes: opt(NameList.pipe(described("AllowedRoutes defines allowed API routes"))),
  blocked: opt(Schema.Boolean.pipe(described("Blocked indicates if the key is blocked"))),
  budgetDuration: opt(BudgetDuration.pipe(described("BudgetDuration specifies the duration for budget tracking"))),
  budgetID: opt(Identifier.pipe(described("BudgetID is the identifier for the budget"))),
  config: opt(FreeformMap.pipe(described("Config contains additional configuration settings"))),
  duration: opt(Duration.pipe(described("Duration specifies how long the key is valid"))),
  enforcedParams: opt(NameList.pipe(described("EnforcedParams lists parameters that must be included in requests"))),
  guardrails: opt(NameList.pipe(described("Guardrails defines guardrail settings"))),
  key: opt(
    KeyValue.pipe(
      described(
        "Key is the actual key value. It is then readable by whoever may read this object, and kept in kubectl's last-applied-configuration annotation: prefer leaving it unset (the operator generates the key and only ever stores it in the key Secret), or keySecretRef to take a chosen value from a Secret."
      )
    )
  ),
  keySecretRef: opt(
    KeySecretRef.pipe(
      described(
        "KeySecretRef takes a chosen key value from a Secret in the VirtualKey's namespace instead of spec.key; the value must start with sk-"
      )
    )
  ),
  keyAlias: Identifier.pipe(described("KeyAlias is the user defined key alias")),
  maxBudget: opt(Budget.pipe(described("MaxBudget sets the maximum budget limit"))),
  maxParallelRequests: opt(Limit.pipe(described("MaxParallelRequests limits concurrent requests"))),
  metadata: opt(FreeformMap.pipe(described("Metadata is free-form metadata stored on the key in LiteLLM"))),
  modelMaxBudget: opt(
    Schema.Record(Schema.String, Budget)
      .check(isModelMap)
      .pipe(described("ModelMaxBudget sets budget limits per model"))
  ),
  modelRPMLimit: opt(
    Schema.Record(Schema.String, Limit).check(isModelMap).pipe(described("ModelRPMLimit sets RPM limits per model"))
  ),
  modelTPMLimit: opt(
    Schema.Record(Schema.String, Limit).check(isModelMap).pipe(described("ModelTPMLimit sets TPM limits per model"))
  ),
  models: opt(NameList.pipe(described("Models specifies which models can be used"))),
  permissions: opt(FreeformMap.pipe(described("Permissions defines key permissions"))),
  rpmLimit: opt(Limit.pipe(described("RPMLimit sets global RPM limit"))),
  sendInviteEmail: opt(Schema.Boolean.pipe(described("SendInviteEmail indicates whether to send an invite email"))),
  softBudget: opt(Budget.pipe(described("SoftBudget sets a soft budget limit"))),
  spend: opt(Budget.pipe(described("Spend tracks the current spend amount"))),
  tags: opt(
    NameList.pipe(described("Tags for tracking spend and/or doing tag-based routing. Requires Enterprise license"))
  ),
  teamID: opt(Identifier.pipe(described("TeamID identifies the team associated with the key"))),
  tpmLimit: opt(Limit.pipe(described("TPMLimit sets global TPM limit"))),
  userID: opt(Identifier.pipe(described("UserID identifies the user associated with the key")))
})

export const VirtualKeySpec = VirtualKeyFields.check(
  requiresConnectionRef,
  Schema.makeFilter(
    (spec: { readonly key?: unknown; readonly keySecretRef?: unknown }) =>
      spec.key !== undefined && spec.keySecretRef !== undefined ? keyOrSecret : undefined,
    {
      description: "VirtualKeySpec defines the desired state of VirtualKey",
      // The same rule at admission.
      toJsonSchema: () => ({
        "x-kubernetes-validations": [{ rule: "!(has(self.key) && has(self.keySecretRef))", message: keyOrSecret }]
      })
    }
  )
)
export type VirtualKeySpec = typeof VirtualKeySpec.Type

const s = (description: string) => opt(Schema.String.pipe(described(description)))
const i = (description: string) => opt(Schema.Int.pipe(described(description)))
const list = (description: string) => opt(StringList.pipe(described(description)))
const map = (description: string) => opt(StringMap.pipe(described(description)))

export const VirtualKeyStatus = Schema.Struct({
  aliases: map("Aliases maps additional aliases for the key"),
  allowedCacheControls: list("AllowedCacheControls defines allowed cache control settings"),
  allowedRoutes: list("AllowedRoutes defines allowed API routes"),
  blocked: opt(Schema.Boolean.pipe(described("Blocked indicates if the key is blocked"))),
  budgetDuration: s("BudgetDuration is the duration of the budget"),
  budgetID: s("BudgetID is the identifier for the budget"),
  budgetResetAt: s("BudgetResetAt is the date and time when the budget will reset"),
  config: map("Config contains additional configuration settings"),
  createdAt: s("CreatedAt is the date and time when the key was created"),
  createdBy: s("CreatedBy tracks who created the key"),
  duration: s("Duration specifies how long the key is valid (the value last applied to LiteLLM)"),
  enforcedParams: list("EnforcedParams lists parameters that must be included in requests"),
  expires: s("Expires is the date and time when the key will expire"),
  guardrails: list("Guardrails defines guardrail settings"),
  keyAlias: s("KeyAlias is the user defined key alias"),
  keyID: s("KeyID is the generated ID of the key"),
  keyName: s("KeyName is the redacted secret key"),
  keySecretRef: s("KeySecretRef is the reference to the secret containing the key"),
  liteLLMBudgetTable: s(
    "LiteLLMBudgetTable is the budget row the key links to (budgetID, or the row a softBudget makes), as LiteLLM's /key/info joins it: JSON with keys sorted and nulls left out"
  ),
  maxBudget: s("MaxBudget is the maximum budget for the key"),
  maxParallelRequests: i("MaxParallelRequests limits concurrent requests"),
  models: list("Models specifies which models can be used"),
  permissions: map("Permissions defines key permissions"),
  rpmLimit: i("RPMLimit sets global RPM limit"),
  spend: s("Spend tracks the current spend amount"),
  tags: list("Tags for tracking spend and/or doing tag-based routing. Requires Enterprise license"),
  teamID: s("TeamID identifies the team associated with the key"),
  token: s("Token is the sha256 hash of the key, its identity in LiteLLM (never the key itself)"),
  tokenID: s("TokenID is the unique identifier for the token"),
  tpmLimit: i("TPMLimit sets global TPM limit"),
  updatedAt: s("UpdatedAt is the date and time when the key was last updated"),
  updatedBy: s("UpdatedBy tracks who last updated the key"),
  userID: s("UserID identifies the user associated with the key"),
  truncated: list(
    "Truncated names the status fields that hold only the start of LiteLLM's value: each mirrored field holds at most 8 KiB (LiteLLM may hold values of any size for objects made elsewhere)"
  ),
  appliedFields: list(
    "AppliedFields lists the spec fields the operator last wrote to LiteLLM; a field removed from the spec is cleared in LiteLLM only if it is listed here"
  ),
  observedGeneration: opt(ObservedGeneration),
  conditions: opt(
    Conditions.pipe(
      described("Conditions describe the state of the VirtualKey; Ready tells whether LiteLLM matches the spec")
    )
  )
}).annotate({ description: "VirtualKeyStatus defines the observed state of VirtualKey" })
export type VirtualKeyStatus = typeof VirtualKeyStatus.Type
