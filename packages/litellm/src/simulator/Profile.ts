/**
 * Which LiteLLM the simulator pretends to be. The defaults are the newest
 * behaviour in litellm-api.md; `legacyProfile` is a 2025 build (≈1.74–1.80.7)
 * with the quirks of §12 and §16 a client still meets in the field.
 */
import { Schema } from "effect"

export interface Profile {
  /** `/key/update`, `/key/block`, `/key/unblock` on an unknown key: 401 before ~1.82, 404 after. */
  readonly unknownKeyStatus: 401 | 404
  /** `/user/info` on an unknown user: 404 from ~1.80.8, a 200 with empty `user_info` before. */
  readonly userInfoMissing: 404 | 200
  /** Duplicate `user_id`/`user_email` on `/user/new`: 409 from ~1.80, 400 before. */
  readonly userConflictStatus: 400 | 409
  /** `/key/delete` when none of the keys exist: 404 from ~1.69, 400 before. */
  readonly keyDeleteMissingStatus: 400 | 404
  /** `/team/new` echoes `members_with_roles` (2026) or answers `[]` (late 2025). */
  readonly teamNewEchoesMembers: boolean
  /** A repeated custom `key` on `/key/generate`: 400 "Key already exists" (2026) or a silent 200 (2025). */
  readonly repeatedCustomKey: "reject" | "ignore"
  /** `/team/member_add` on an unknown team: 404 (newest) or 500 (most 2025 builds). */
  readonly memberAddUnknownTeamStatus: 404 | 500
  /** A LiteLLM Enterprise license: tags, guardrails and team admins work only with one. */
  readonly enterprise: boolean
  /** Models configured (a router exists); without one, moving a key to a team fails with 400. */
  readonly router: boolean
  /** What `/health/readiness` reports. */
  readonly readiness: "connected" | "shutting_down" | "unhealthy"
  readonly version: string
  /** The model names the proxy serves on its data plane (its config's `model_list`). */
  readonly models: ReadonlyArray<string>
  /** USD recorded as spend for every successful chat completion. */
  readonly spendPerRequest: number
}

export const latestProfile: Profile = {
  unknownKeyStatus: 404,
  userInfoMissing: 404,
  userConflictStatus: 409,
  keyDeleteMissingStatus: 404,
  teamNewEchoesMembers: true,
  repeatedCustomKey: "reject",
  memberAddUnknownTeamStatus: 404,
  enterprise: false,
  router: false,
  readiness: "connected",
  version: "1.83.0",
  models: ["gpt-4o", "gpt-4o-mini", "claude-3-5-haiku"],
  spendPerRequest: 0.5
}

export const legacyProfile: Profile = {
  ...latestProfile,
  unknownKeyStatus: 401,
  userInfoMissing: 200,
  userConflictStatus: 400,
  teamNewEchoesMembers: false,
  repeatedCustomKey: "ignore",
  memberAddUnknownTeamStatus: 500,
  version: "1.78.0"
}

/** A partial profile as `POST /__sim/profile` accepts it. */
export const ProfilePatch = Schema.Struct({
  unknownKeyStatus: Schema.optionalKey(Schema.Literals([401, 404])),
  userInfoMissing: Schema.optionalKey(Schema.Literals([404, 200])),
  userConflictStatus: Schema.optionalKey(Schema.Literals([400, 409])),
  keyDeleteMissingStatus: Schema.optionalKey(Schema.Literals([400, 404])),
  teamNewEchoesMembers: Schema.optionalKey(Schema.Boolean),
  repeatedCustomKey: Schema.optionalKey(Schema.Literals(["reject", "ignore"])),
  memberAddUnknownTeamStatus: Schema.optionalKey(Schema.Literals([404, 500])),
  enterprise: Schema.optionalKey(Schema.Boolean),
  router: Schema.optionalKey(Schema.Boolean),
  readiness: Schema.optionalKey(Schema.Literals(["connected", "shutting_down", "unhealthy"])),
  version: Schema.optionalKey(Schema.String),
  models: Schema.optionalKey(Schema.Array(Schema.String)),
  spendPerRequest: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)))
})
