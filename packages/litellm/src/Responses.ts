/**
 * The envelopes LiteLLM wraps its objects in (litellm-api.md §5–§8). The
 * objects themselves are the core's observed schemas; extra fields are ignored.
 */
import { JsonObject, ObservedKey, ObservedTeam, ObservedTeamMembership, ObservedUser } from "@litellm-operator/core"
import { Schema } from "effect"

const Count = Schema.Number

/** `GET /team/info`: the row, plus membership rows and keys beside it. */
export const TeamInfoResponse = Schema.Struct({
  team_info: JsonObject,
  team_memberships: Schema.optionalKey(Schema.NullOr(Schema.Array(ObservedTeamMembership)))
})

/** `POST /team/update` and `POST /user/update`: `{<id>, data: row}`. */
export const DataResponse = Schema.Struct({ data: JsonObject })

export const TeamListResponse = Schema.Struct({
  teams: Schema.Array(ObservedTeam),
  total: Schema.optionalKey(Count),
  page: Schema.optionalKey(Count),
  total_pages: Schema.optionalKey(Count)
})

/** `GET /user/info`. Before ~1.80.8 an unknown user is a 200 with `user_info` null or `{spend: 0}`. */
export const UserInfoResponse = Schema.Struct({
  user_info: Schema.optionalKey(Schema.NullOr(JsonObject))
})

/** Whether a `user_info` object is a real user row (it has an id). */
export const HasUserId = Schema.Struct({ user_id: Schema.String })

export const UserListResponse = Schema.Struct({
  users: Schema.Array(ObservedUser),
  total: Schema.optionalKey(Count),
  page: Schema.optionalKey(Count),
  total_pages: Schema.optionalKey(Count)
})

/** `GET /key/info`: the row is under `info`, without its token. */
export const KeyInfoResponse = Schema.Struct({ info: JsonObject })

/**
 * What a `POST /key/generate` answer must carry to stand for a `/key/info` read
 * (litellm-api.md §7.1): the stored row's timestamps, which older builds
 * leave out.
 */
export const KeyGenerateStored = Schema.Struct({ created_at: Schema.String, updated_at: Schema.String })

export const KeyListResponse = Schema.Struct({
  keys: Schema.Array(ObservedKey),
  total_count: Schema.optionalKey(Count),
  current_page: Schema.optionalKey(Count),
  total_pages: Schema.optionalKey(Count)
})

export const ReadinessResponse = Schema.Struct({
  status: Schema.String,
  db: Schema.optionalKey(Schema.NullOr(Schema.String)),
  litellm_version: Schema.optionalKey(Schema.NullOr(Schema.String))
})
export type ReadinessResponse = typeof ReadinessResponse.Type
