/** `metav1.Status`: what the API server sends for failed requests and watch `ERROR` events. */
import { Schema } from "effect"

const opt = Schema.optionalKey

export const StatusCause = Schema.Struct({
  reason: opt(Schema.String),
  message: opt(Schema.String),
  field: opt(Schema.String)
})
export type StatusCause = typeof StatusCause.Type

export const Status = Schema.Struct({
  status: opt(Schema.String),
  message: opt(Schema.String),
  reason: opt(Schema.String),
  code: opt(Schema.Int),
  details: opt(
    Schema.Struct({
      name: opt(Schema.String),
      kind: opt(Schema.String),
      causes: opt(Schema.Array(StatusCause)),
      retryAfterSeconds: opt(Schema.Int)
    })
  )
})
export type Status = typeof Status.Type
