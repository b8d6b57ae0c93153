/**
 * LiteLLM's three error envelopes (litellm-api.md §3.1) and what a status plus
 * message mean. A: OpenAI-style `{error: {message, type, param, code}}` with a
 * string code and often `param: "None"`; B: FastAPI `{detail: string | object}`;
 * C: FastAPI validation `{detail: [{loc, msg, type}]}`. Messages are matched by
 * substring, never parsed: some are Python reprs.
 */
import { Option, Schema } from "effect"
import {
  AlreadyExists,
  Forbidden,
  Invalid,
  type LiteLLMErrorReason,
  NotFound,
  RateLimited,
  Unauthorized,
  Unavailable
} from "./LiteLLMError.ts"

const NullableString = Schema.optionalKey(Schema.NullOr(Schema.String))

export const EnvelopeA = Schema.Struct({
  error: Schema.Struct({
    message: Schema.String,
    type: NullableString,
    param: NullableString,
    code: Schema.optionalKey(Schema.NullOr(Schema.Union([Schema.String, Schema.Number])))
  })
})

export const ValidationIssue = Schema.Struct({
  msg: Schema.String,
  loc: Schema.optionalKey(Schema.Array(Schema.Union([Schema.String, Schema.Number]))),
  type: Schema.optionalKey(Schema.String)
})

export const EnvelopeC = Schema.Struct({ detail: Schema.Array(ValidationIssue) })

export const EnvelopeB = Schema.Struct({
  detail: Schema.Union([
    Schema.String,
    Schema.Struct({ error: Schema.String }),
    Schema.Struct({ message: Schema.String }),
    Schema.Record(Schema.String, Schema.Unknown)
  ])
})

/** What the client keeps from an error body, whichever envelope it came in. */
export interface ErrorBody {
  readonly shape: "A" | "B" | "C" | "unknown"
  readonly message: string
  /** Shape A's `type`, e.g. `team_member_already_in_team`. */
  readonly type: string | undefined
}

const decodeA = Schema.decodeUnknownOption(EnvelopeA)
const decodeB = Schema.decodeUnknownOption(EnvelopeB)
const decodeC = Schema.decodeUnknownOption(EnvelopeC)

const issueText = (issue: typeof ValidationIssue.Type): string =>
  issue.loc === undefined ? issue.msg : `${issue.loc.join(".")}: ${issue.msg}`

/**
 * Reads any of the three envelopes. Anything else is not quoted: a connection's URL is whatever its Secret
 * says (a tenant's own, possibly another service the operator can reach and the tenant cannot), and the
 * message goes into the object's status.
 */
export const parseErrorBody = (body: unknown, text: string): ErrorBody => {
  const a = decodeA(body)
  if (Option.isSome(a)) {
    const type = a.value.error.type
    return { shape: "A", message: a.value.error.message, type: type === null ? undefined : type }
  }
  const c = decodeC(body)
  if (Option.isSome(c)) return { shape: "C", message: c.value.detail.map(issueText).join("; "), type: undefined }
  const b = decodeB(body)
  if (Option.isSome(b)) {
    const detail = b.value.detail
    const message =
      typeof detail === "string"
        ? detail
        : "error" in detail && typeof detail.error === "string"
          ? detail.error
          : "message" in detail && typeof detail.message === "string"
            ? detail.message
            : JSON.stringify(detail)
    return { shape: "B", message, type: undefined }
  }
  return {
    shape: "unknown",
    message: `an answer of ${text.length} characters in none of LiteLLM's error formats (is the URL LiteLLM's?)`,
    type: undefined
  }
}

/** `retry-after` as milliseconds: delta-seconds or an HTTP date. */
export const parseRetryAfter = (value: string | undefined, nowMillis: number): number | undefined => {
  if (value === undefined || value.trim() === "") return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMillis)
}

const ENTERPRISE = /enterprise|premium/i
const EXISTS = /already exists|already in team|already_in_team/i
const MISSING = /not found|does not exist|doesn't exist|does_not_exist|no keys found/i
// "LLM router not found" is a proxy configuration problem, not a missing object.
const CONFIG = /router not found|no models configured/i
const DURATION = /duration/i
const NOT_ADMIN = /only proxy admin/i

/** What a non-2xx answer means, before any endpoint-specific quirk. */
export const classify = (status: number, body: ErrorBody, retryAfterMillis: number | undefined): LiteLLMErrorReason => {
  const message = body.message
  const text = `${body.type ?? ""} ${message}`
  if (status === 401) {
    // /key/update before ~1.82: "invalid user key - user key does not exist in db".
    if (/does not exist in db/i.test(message)) return new NotFound({ message })
    // A valid key on an admin route: "Only proxy admin can be used to …".
    return NOT_ADMIN.test(message) ? new Unauthorized({ message, notAdmin: true }) : new Unauthorized({ message })
  }
  if (status === 403) return new Forbidden({ message, enterprise: ENTERPRISE.test(message) })
  if (status === 404) return new NotFound({ message })
  if (status === 409) return new AlreadyExists({ message })
  if (status === 429)
    return retryAfterMillis === undefined
      ? new RateLimited({ message })
      : new RateLimited({ message, retryAfterMillis })
  if (status === 400) {
    if (CONFIG.test(message)) return new Invalid({ message })
    if (ENTERPRISE.test(message)) return new Forbidden({ message, enterprise: true })
    if (EXISTS.test(text)) return new AlreadyExists({ message })
    if (MISSING.test(message)) return new NotFound({ message })
    return new Invalid({ message })
  }
  if (status === 422) return new Invalid({ message })
  if (status === 500) {
    // Uncaught ValueErrors: enterprise gates, bad durations, "Team doesn't exist in db".
    if (CONFIG.test(message)) return new Invalid({ message })
    if (ENTERPRISE.test(message)) return new Forbidden({ message, enterprise: true })
    if (DURATION.test(message)) return new Invalid({ message })
    if (MISSING.test(message)) return new NotFound({ message })
    return new Unavailable({ message })
  }
  if (status >= 500) return new Unavailable({ message })
  return new Invalid({ message })
}
