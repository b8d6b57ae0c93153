/** Field shapes shared by the four kinds' specs and statuses. */
import { Schema } from "effect"

/** An object of string keys and string values. */
export const StringMap = Schema.Record(Schema.String, Schema.String)
export type StringMap = typeof StringMap.Type

/** An object of string keys and whole-number values. */
export const IntMap = Schema.Record(Schema.String, Schema.Int)
export type IntMap = typeof IntMap.Type

/** A list of strings. */
export const StringList = Schema.Array(Schema.String)
export type StringList = typeof StringList.Type

/** A whole number that is zero or more (rate limits, parallel requests). */
export const Limit = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/** A non-empty string (names, ids, aliases). */
export const Name = Schema.NonEmptyString

/** Adds a description, which the CRDs carry so that `kubectl explain` helps. */
export const described =
  (description: string) =>
  <S extends Schema.Top>(schema: S): S["Rebuild"] =>
    schema.annotate({ description })
