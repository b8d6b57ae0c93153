/** JSON values as LiteLLM sends and receives them. */
import { Schema } from "effect"

/** A JSON object whose values we do not interpret (metadata, config, permissions). */
export const JsonObject = Schema.Record(Schema.String, Schema.Unknown)
export type JsonObject = typeof JsonObject.Type

/** A value the operator writes into a LiteLLM request field. */
export type WireValue = string | number | boolean | null | ReadonlyArray<string> | { readonly [key: string]: unknown }

/** LiteLLM leaves most columns null or absent when unset; both mean "not set". */
export const nullable = <S extends Schema.Top>(schema: S) => Schema.optionalKey(Schema.NullOr(schema))
