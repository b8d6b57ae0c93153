/**
 * What the simulator answers: a status, a JSON body, maybe headers — and the
 * three error envelopes LiteLLM uses (litellm-api.md §3.1).
 */
import { Schema, SchemaIssue } from "effect"

export interface SimResponse {
  readonly status: number
  readonly body: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export const ok = (body: unknown): SimResponse => ({ status: 200, body })

/** Shape A: OpenAI-style, `code` a string, `param` often the string "None". */
export const shapeA = (status: number, message: string, type: string, param: string | null = "None"): SimResponse => ({
  status,
  body: { error: { message, type, param, code: String(status) } }
})

/** Shape B: FastAPI `HTTPException`, `detail` a string or an object. */
export const shapeB = (status: number, detail: string | Readonly<Record<string, unknown>>): SimResponse => ({
  status,
  body: { detail }
})

/** Shape C: FastAPI request validation, always 422. */
export const shapeC = (
  msg: string,
  loc: ReadonlyArray<string | number> = ["body"],
  input: unknown = null
): SimResponse => ({
  status: 422,
  body: { detail: [{ type: "value_error", loc, msg, input }] }
})

/** Python's repr of a one-entry dict, as LiteLLM puts converted `HTTPException`s into shape A messages. */
export const repr = (key: string, value: string): string =>
  // Python quotes a string holding ' (and no ") with double quotes.
  value.includes("'") && !value.includes('"') ? `{'${key}': "${value}"}` : `{'${key}': '${value.replace(/'/g, "\\'")}'}`

export type Parsed<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly response: SimResponse }

const standardIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/** Decodes a request body or query; a mismatch is a 422 in shape C naming the field in `loc`, as FastAPI answers. */
export const parse = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S,
  input: unknown
): Parsed<S["Type"]> => {
  const result = Schema.decodeUnknownResult(schema)(input)
  if (result._tag === "Success") return { ok: true, value: result.success }
  const first = standardIssues(result.failure.issue).issues[0]
  const path = (first?.path ?? []).map((step) =>
    typeof step === "object" && step !== null ? String(step.key) : typeof step === "number" ? step : String(step)
  )
  let value: unknown = input
  for (const step of path) value = typeof value === "object" && value !== null ? Reflect.get(value, step) : undefined
  return {
    ok: false,
    response: shapeC(result.failure.message.replace(/\s+/g, " "), ["body", ...path], path.length > 0 ? value : null)
  }
}
