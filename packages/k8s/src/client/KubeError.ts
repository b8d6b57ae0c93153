/**
 * The one error the Kubernetes adapter fails with: which operation failed,
 * the HTTP status when there was one, and a tagged `reason` saying what it
 * means for the caller. Messages are the API server's own; for sensitive
 * resources (Secrets) they are left out, and request bodies never appear.
 */
import { Option, Schema } from "effect"
import { Status } from "../api/Status.ts"

/** 404: the object (or its namespace, or the resource type) does not exist. */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  message: Schema.String
}) {}

/** 409: a resourceVersion precondition failed, or (`alreadyExists`) a create met an existing object. */
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", {
  message: Schema.String,
  alreadyExists: Schema.Boolean
}) {}

/** 410: the resourceVersion a watch or list continues from is too old; list again. */
export class Gone extends Schema.TaggedError<Gone>()("Gone", {
  message: Schema.String
}) {}

/** One field the server refused, as in `Status.details.causes`. */
export const FieldCause = Schema.Struct({
  field: Schema.String,
  reason: Schema.String,
  message: Schema.String
})
export type FieldCause = typeof FieldCause.Type

/** 422 (or 400/415): the server refused the object or the request; `causes` name the fields. */
export class Invalid extends Schema.TaggedError<Invalid>()("Invalid", {
  message: Schema.String,
  causes: Schema.Array(FieldCause)
}) {}

/** 429: throttled (API priority and fairness); `retryAfterSeconds` when the server said. */
export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()("TooManyRequests", {
  message: Schema.String,
  retryAfterSeconds: Schema.optionalKey(Schema.Int)
}) {}

/** 5xx, a timeout, or the connection failed: worth trying again later. */
export class Unavailable extends Schema.TaggedError<Unavailable>()("Unavailable", {
  message: Schema.String
}) {}

/** 403: RBAC does not allow it. */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  message: Schema.String
}) {}

/** 401: the credential was refused. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  message: Schema.String
}) {}

/** The answer could not be decoded (an object that does not match its schema, or not JSON). */
export class Malformed extends Schema.TaggedError<Malformed>()("Malformed", {
  message: Schema.String
}) {}

export const KubeErrorReason = Schema.Union([
  NotFound,
  Conflict,
  Gone,
  Invalid,
  TooManyRequests,
  Unavailable,
  Forbidden,
  Unauthorized,
  Malformed
])
export type KubeErrorReason = typeof KubeErrorReason.Type

export class KubeError extends Schema.TaggedError<KubeError>()("KubeError", {
  /** E.g. `GET /apis/auth.litellm.ai/v1alpha1/namespaces/a/teams/b`. */
  operation: Schema.String,
  status: Schema.optionalKey(Schema.Int),
  reason: KubeErrorReason
}) {
  override get message(): string {
    const status = this.status === undefined ? "" : ` (HTTP ${this.status})`
    return `Kubernetes ${this.operation}: ${this.reason._tag}${status}: ${this.reason.message}`
  }

  /** Whether the same request may succeed later without any change. */
  get retryable(): boolean {
    return this.reason._tag === "Unavailable" || this.reason._tag === "TooManyRequests"
  }
}

export const isReason =
  <T extends KubeErrorReason["_tag"]>(tag: T) =>
  (error: KubeError): boolean =>
    error.reason._tag === tag

const decodeStatus = Schema.decodeUnknownOption(Schema.fromJsonString(Status))

/** The reason for a non-2xx answer, from its HTTP status and the `Status` body when there is one. */
export const reasonFromResponse = (
  httpStatus: number,
  body: string,
  options: { readonly sensitive: boolean }
): KubeErrorReason => {
  const status = Option.getOrUndefined(decodeStatus(body))
  const serverMessage = status?.message ?? (body.length > 0 && body.length < 500 ? body : `HTTP ${httpStatus}`)
  // A Secret's validation messages could quote what was sent: keep only field names then.
  const message = options.sensitive ? `HTTP ${httpStatus} ${status?.reason ?? ""}`.trim() : serverMessage
  const causes = (status?.details?.causes ?? []).map((c) => ({
    field: c.field ?? "",
    reason: c.reason ?? "",
    message: options.sensitive ? (c.reason ?? "") : (c.message ?? "")
  }))
  switch (httpStatus) {
    case 400:
    case 415:
    case 422:
      return new Invalid({ message, causes })
    case 401:
      return new Unauthorized({ message })
    case 403:
      return new Forbidden({ message })
    case 404:
      return new NotFound({ message })
    case 409:
      return new Conflict({ message, alreadyExists: status?.reason === "AlreadyExists" })
    case 410:
      return new Gone({ message })
    case 429: {
      const retryAfterSeconds = status?.details?.retryAfterSeconds
      return retryAfterSeconds === undefined
        ? new TooManyRequests({ message })
        : new TooManyRequests({ message, retryAfterSeconds })
    }
    default:
      return httpStatus >= 500 ? new Unavailable({ message }) : new Invalid({ message, causes })
  }
}

/** The reason for a `Status` carried by a watch `ERROR` event. */
export const reasonFromStatus = (status: Status): KubeErrorReason =>
  reasonFromResponse(status.code ?? 500, JSON.stringify(status), { sensitive: false })
