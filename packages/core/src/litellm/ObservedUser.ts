/** A LiteLLM internal user as `/user/info` (its `user_info`) and `/user/list` return it. */
import { Schema } from "effect"
import { JsonObject, nullable } from "./Json.ts"

export const ObservedUser = Schema.Struct({
  user_id: Schema.String,
  user_email: nullable(Schema.String),
  user_alias: nullable(Schema.String),
  user_role: nullable(Schema.String),
  models: nullable(Schema.Array(Schema.String)),
  max_budget: nullable(Schema.Number),
  budget_duration: nullable(Schema.String),
  budget_reset_at: nullable(Schema.String),
  tpm_limit: nullable(Schema.Number),
  rpm_limit: nullable(Schema.Number),
  max_parallel_requests: nullable(Schema.Number),
  metadata: nullable(JsonObject),
  model_max_budget: nullable(JsonObject),
  allowed_cache_controls: nullable(Schema.Array(Schema.String)),
  sso_user_id: nullable(Schema.String),
  teams: nullable(Schema.Array(Schema.String)),
  spend: nullable(Schema.Number),
  created_at: nullable(Schema.String),
  updated_at: nullable(Schema.String)
})
export type ObservedUser = typeof ObservedUser.Type
