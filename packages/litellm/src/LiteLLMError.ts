/**
 * The one error the LiteLLM client fails with: which call failed, the HTTP
 * status when there was one, and a tagged `reason` saying what it means for
 * the operator. Messages are LiteLLM's own, scrubbed of anything key-shaped.
 */
import { Predicate, Schema } from "effect"

/** The object (team, user, key, membership) does not exist. */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  message: Schema.String
}) {}

/**
 * The credential was missing, malformed or wrong — or, with `notAdmin`, valid
 * but not an admin's (a virtual key whose user is not `proxy_admin`), which
 * LiteLLM also answers with a 401.
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  message: Schema.String,
  notAdmin: Schema.optionalKey(Schema.Boolean)
}) {}

/** Not allowed; `enterprise` marks features that need a LiteLLM Enterprise license. */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  message: Schema.String,
  enterprise: Schema.Boolean
}) {}

/** A create met an object with the same id, key, alias or email. */
export class AlreadyExists extends Schema.TaggedError<AlreadyExists>()("AlreadyExists", {
  message: Schema.String
}) {}

/** LiteLLM rejected the request (400/422), or answered something the client cannot decode. */
export class Invalid extends Schema.TaggedError<Invalid>()("Invalid", {
  message: Schema.String
}) {}

/** 429; `retryAfterMillis` from the `retry-after` header when LiteLLM sent one. */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  message: Schema.String,
  retryAfterMillis: Schema.optionalKey(Schema.Number)
}) {}

/** 5xx, a timeout, or the connection failed: worth trying again later. */
export class Unavailable extends Schema.TaggedError<Unavailable>()("Unavailable", {
  message: Schema.String,
  /** The attempt found no answer within the timeout (LiteLLM took the connection and said nothing). */
  timedOut: Schema.optionalKey(Schema.Literal(true))
}) {}

export const LiteLLMErrorReason = Schema.Union([
  NotFound,
  Unauthorized,
  Forbidden,
  AlreadyExists,
  Invalid,
  RateLimited,
  Unavailable
])
export type LiteLLMErrorReason = typeof LiteLLMErrorReason.Type

export class LiteLLMError extends Schema.TaggedError<LiteLLMError>()("LiteLLMError", {
  /** The client method or plan action, e.g. `teamInfo` or `execute(KeyGenerate)`. */
  operation: Schema.String,
  status: Schema.optionalKey(Schema.Number),
  reason: LiteLLMErrorReason
}) {
  override get message(): string {
    const status = this.status === undefined ? "" : ` (HTTP ${this.status})`
    return `LiteLLM ${this.operation}: ${this.reason._tag}${status}: ${this.reason.message}`
  }

  /** Whether trying the same call again may succeed. */
  get retryable(): boolean {
    return isRetryableReason(this.reason)
  }
}

export const isRetryableReason = (reason: LiteLLMErrorReason): boolean =>
  reason._tag === "Unavailable" || reason._tag === "RateLimited"

export const isLiteLLMError = (u: unknown): u is LiteLLMError => Predicate.isTagged(u, "LiteLLMError")

/** True when the error means "that object does not exist". */
export const isNotFound = (error: LiteLLMError): boolean => error.reason._tag === "NotFound"
