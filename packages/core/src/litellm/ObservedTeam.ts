/** A LiteLLM team as `/team/info` (its `team_info`) and the team list endpoints return it. */
import { Schema } from "effect"
import { JsonObject, nullable } from "./Json.ts"

export const ObservedMemberWithRole = Schema.Struct({
  user_id: nullable(Schema.String),
  user_email: nullable(Schema.String),
  role: Schema.String
})
export type ObservedMemberWithRole = typeof ObservedMemberWithRole.Type

/** A `LiteLLM_TeamMembership` row: a member's per-team spend and budget. */
export const ObservedTeamMembership = Schema.Struct({
  user_id: Schema.String,
  team_id: Schema.String,
  budget_id: nullable(Schema.String),
  spend: nullable(Schema.Number),
  litellm_budget_table: nullable(
    Schema.Struct({
      max_budget: nullable(Schema.Number),
      tpm_limit: nullable(Schema.Number),
      rpm_limit: nullable(Schema.Number)
    })
  )
})
export type ObservedTeamMembership = typeof ObservedTeamMembership.Type

export const ObservedTeam = Schema.Struct({
  team_id: Schema.String,
  team_alias: nullable(Schema.String),
  organization_id: nullable(Schema.String),
  models: nullable(Schema.Array(Schema.String)),
  max_budget: nullable(Schema.Number),
  soft_budget: nullable(Schema.Number),
  budget_duration: nullable(Schema.String),
  budget_reset_at: nullable(Schema.String),
  tpm_limit: nullable(Schema.Number),
  rpm_limit: nullable(Schema.Number),
  max_parallel_requests: nullable(Schema.Number),
  blocked: nullable(Schema.Boolean),
  metadata: nullable(JsonObject),
  members_with_roles: nullable(Schema.Array(ObservedMemberWithRole)),
  team_member_permissions: nullable(Schema.Array(Schema.String)),
  spend: nullable(Schema.Number),
  model_id: nullable(Schema.Union([Schema.String, Schema.Number])),
  /** Only some responses carry the alias map (see litellm-api.md §5.3); absent means unknown. */
  model_aliases: nullable(Schema.Record(Schema.String, Schema.String)),
  /** The model table row (`model_id`); `/team/info` answers null in 2025–2026 builds (litellm-api.md §5.3). */
  litellm_model_table: nullable(JsonObject),
  /** Membership rows, when the response includes them (`/team/info`). */
  team_memberships: nullable(Schema.Array(ObservedTeamMembership)),
  created_at: nullable(Schema.String),
  updated_at: nullable(Schema.String)
})
export type ObservedTeam = typeof ObservedTeam.Type
