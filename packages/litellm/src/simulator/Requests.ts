/**
 * The request bodies the simulated endpoints accept, as LiteLLM's pydantic
 * models do: typed fields (a wrong type is a 422), unknown fields dropped,
 * and absent kept apart from explicit `null`.
 */
import { Schema } from "effect"

const opt = <S extends Schema.Top>(schema: S) => Schema.optionalKey(Schema.NullOr(schema))
const Str = Schema.String
const Num = Schema.Finite
const Int = Schema.Int
const Bool = Schema.Boolean
const Strs = Schema.Array(Schema.String)
const Obj = Schema.Record(Schema.String, Schema.Unknown)
const LimitType = Schema.Literals(["guaranteed_throughput", "best_effort_throughput", "dynamic"])

export const Role = Schema.Literals(["admin", "user"])
export const UserRole = Schema.Literals(["proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"])

const KeyFields = {
  key_alias: opt(Str),
  duration: opt(Str),
  models: opt(Strs),
  aliases: opt(Obj),
  config: opt(Obj),
  spend: opt(Num),
  max_budget: opt(Num),
  soft_budget: opt(Num),
  budget_duration: opt(Str),
  budget_id: opt(Str),
  user_id: opt(Str),
  team_id: opt(Str),
  organization_id: opt(Str),
  max_parallel_requests: opt(Int),
  tpm_limit: opt(Int),
  rpm_limit: opt(Int),
  metadata: opt(Obj),
  tags: opt(Strs),
  guardrails: opt(Strs),
  policies: opt(Strs),
  prompts: opt(Strs),
  allowed_passthrough_routes: opt(Strs),
  enforced_params: opt(Strs),
  model_max_budget: opt(Obj),
  model_rpm_limit: opt(Obj),
  model_tpm_limit: opt(Obj),
  permissions: opt(Obj),
  allowed_cache_controls: opt(Strs),
  allowed_routes: opt(Strs),
  key_type: opt(Schema.Literals(["llm_api", "management", "read_only", "default"])),
  blocked: opt(Bool),
  send_invite_email: opt(Bool),
  auto_rotate: opt(Bool),
  rotation_interval: opt(Str),
  rpm_limit_type: opt(LimitType),
  tpm_limit_type: opt(LimitType),
  object_permission: opt(Obj),
  router_settings: opt(Obj),
  access_group_ids: opt(Strs),
  project_id: opt(Str),
  agent_id: opt(Str)
}

export const KeyGenerateBody = Schema.Struct({ key: opt(Str), ...KeyFields })
export type KeyGenerateBody = typeof KeyGenerateBody.Type

export const KeyUpdateBody = Schema.Struct({ key: Str, ...KeyFields })
export type KeyUpdateBody = typeof KeyUpdateBody.Type

export const KeySelectBody = Schema.Struct({ key: Str })

export const KeyRegenerateBody = Schema.Struct({
  key: opt(Str),
  new_key: opt(Str),
  grace_period: opt(Str),
  ...KeyFields
})

export const KeyDeleteBody = Schema.Struct({ keys: opt(Strs), key_aliases: opt(Strs) })

export const KeyListQuery = Schema.Struct({
  page: Schema.optionalKey(Schema.NumberFromString.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(1))),
  size: Schema.optionalKey(
    Schema.NumberFromString.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(1), Schema.isLessThanOrEqualTo(100))
  ),
  user_id: Schema.optionalKey(Str),
  team_id: Schema.optionalKey(Str),
  key_alias: Schema.optionalKey(Str),
  key_hash: Schema.optionalKey(Str),
  return_full_object: Schema.optionalKey(Str),
  sort_by: Schema.optionalKey(Str),
  sort_order: Schema.optionalKey(Str)
})

export const Member = Schema.Struct({ user_id: opt(Str), user_email: opt(Str), role: Role })
export type Member = typeof Member.Type

const TeamFields = {
  team_alias: opt(Str),
  organization_id: opt(Str),
  models: opt(Strs),
  max_budget: opt(Num),
  soft_budget: opt(Num),
  budget_duration: opt(Str),
  tpm_limit: opt(Int),
  rpm_limit: opt(Int),
  max_parallel_requests: opt(Int),
  blocked: opt(Bool),
  metadata: opt(Obj),
  tags: opt(Strs),
  guardrails: opt(Strs),
  policies: opt(Strs),
  prompts: opt(Strs),
  model_aliases: opt(Schema.Record(Schema.String, Schema.String)),
  model_rpm_limit: opt(Obj),
  model_tpm_limit: opt(Obj),
  rpm_limit_type: opt(LimitType),
  tpm_limit_type: opt(LimitType),
  team_member_budget: opt(Num),
  team_member_rpm_limit: opt(Int),
  team_member_tpm_limit: opt(Int),
  team_member_key_duration: opt(Str),
  object_permission: opt(Obj),
  router_settings: opt(Obj),
  access_group_ids: opt(Strs),
  allowed_vector_store_indexes: opt(Schema.Array(Schema.Unknown)),
  allowed_passthrough_routes: opt(Strs),
  secret_manager_settings: opt(Obj)
}

export const TeamNewBody = Schema.Struct({
  team_id: opt(Str),
  ...TeamFields,
  members_with_roles: opt(Schema.Array(Member)),
  admins: opt(Schema.Array(Schema.Unknown)),
  members: opt(Schema.Array(Schema.Unknown)),
  team_member_permissions: opt(Strs)
})
export type TeamNewBody = typeof TeamNewBody.Type

export const TeamUpdateBody = Schema.Struct({ team_id: Str, ...TeamFields })
export type TeamUpdateBody = typeof TeamUpdateBody.Type

export const TeamIdBody = Schema.Struct({ team_id: Str })
export const TeamDeleteBody = Schema.Struct({ team_ids: Strs })

export const MemberAddBody = Schema.Struct({
  team_id: Str,
  member: Schema.Union([Member, Schema.Array(Member)]),
  max_budget_in_team: opt(Num)
})

export const MemberUpdateBody = Schema.Struct({
  team_id: Str,
  user_id: opt(Str),
  user_email: opt(Str),
  role: opt(Role),
  max_budget_in_team: opt(Num),
  tpm_limit: opt(Int),
  rpm_limit: opt(Int)
})

export const MemberDeleteBody = Schema.Struct({ team_id: Str, user_id: opt(Str), user_email: opt(Str) })

export const PermissionsUpdateBody = Schema.Struct({ team_id: Str, team_member_permissions: Strs })

export const ListQuery = Schema.Struct({
  page: Schema.optionalKey(Schema.NumberFromString.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(1))),
  page_size: Schema.optionalKey(
    Schema.NumberFromString.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(1), Schema.isLessThanOrEqualTo(100))
  ),
  sort_by: Schema.optionalKey(Str),
  sort_order: Schema.optionalKey(Str)
})

const UserFields = {
  user_email: opt(Str),
  user_alias: opt(Str),
  user_role: opt(UserRole),
  max_budget: opt(Num),
  budget_duration: opt(Str),
  models: opt(Strs),
  tpm_limit: opt(Int),
  rpm_limit: opt(Int),
  max_parallel_requests: opt(Int),
  metadata: opt(Obj),
  model_max_budget: opt(Obj),
  model_rpm_limit: opt(Obj),
  model_tpm_limit: opt(Obj),
  guardrails: opt(Strs),
  policies: opt(Strs),
  prompts: opt(Strs),
  allowed_cache_controls: opt(Strs),
  spend: opt(Num),
  aliases: opt(Obj),
  config: opt(Obj),
  permissions: opt(Obj),
  blocked: opt(Bool),
  key_alias: opt(Str),
  duration: opt(Str),
  team_id: opt(Str),
  agent_id: opt(Str),
  password: opt(Str)
}

export const UserNewBody = Schema.Struct({
  user_id: opt(Str),
  ...UserFields,
  teams: opt(
    Schema.Union([
      Strs,
      Schema.Array(Schema.Struct({ team_id: Str, user_role: opt(Role), max_budget_in_team: opt(Num) }))
    ])
  ),
  organizations: opt(Strs),
  auto_create_key: opt(Bool),
  send_invite_email: opt(Bool),
  sso_user_id: opt(Str)
})
export type UserNewBody = typeof UserNewBody.Type

export const UserUpdateBody = Schema.Struct({ user_id: opt(Str), ...UserFields })
export type UserUpdateBody = typeof UserUpdateBody.Type

export const UserDeleteBody = Schema.Struct({ user_ids: Strs })
