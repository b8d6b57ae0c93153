/**
 * A LiteLLM virtual key row. `/key/info` leaves out `token`; the client puts
 * back the token it asked for, so every observed key carries its identity.
 */
import { Schema } from "effect"
import { JsonObject, nullable } from "./Json.ts"

/** The sha256 hex digest of a raw key: the key's identity in LiteLLM. */
export const KeyToken = Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/u))
export type KeyToken = typeof KeyToken.Type

export const ObservedKey = Schema.Struct({
  token: KeyToken,
  key_name: nullable(Schema.String),
  key_alias: nullable(Schema.String),
  user_id: nullable(Schema.String),
  team_id: nullable(Schema.String),
  organization_id: nullable(Schema.String),
  models: nullable(Schema.Array(Schema.String)),
  aliases: nullable(JsonObject),
  config: nullable(JsonObject),
  permissions: nullable(JsonObject),
  metadata: nullable(JsonObject),
  model_max_budget: nullable(JsonObject),
  allowed_cache_controls: nullable(Schema.Array(Schema.String)),
  allowed_routes: nullable(Schema.Array(Schema.String)),
  max_budget: nullable(Schema.Number),
  budget_duration: nullable(Schema.String),
  budget_reset_at: nullable(Schema.String),
  budget_id: nullable(Schema.String),
  /** The budget row the key links to (`budget_id`), joined by `/key/info`. */
  litellm_budget_table: nullable(JsonObject),
  expires: nullable(Schema.String),
  tpm_limit: nullable(Schema.Number),
  rpm_limit: nullable(Schema.Number),
  max_parallel_requests: nullable(Schema.Number),
  blocked: nullable(Schema.Boolean),
  spend: nullable(Schema.Number),
  created_at: nullable(Schema.String),
  updated_at: nullable(Schema.String),
  created_by: nullable(Schema.String),
  updated_by: nullable(Schema.String)
})
export type ObservedKey = typeof ObservedKey.Type
