/**
 * How one spec field maps onto LiteLLM: where it goes on the wire, how to read
 * it back, and how to clear it when the spec drops it.
 */
import type { WireValue } from "../litellm/Json.ts"

/** What a rule reads: the LiteLLM object, and what the operator last applied (for values LiteLLM never returns). */
export interface Observation<O> {
  readonly object: O
  readonly lastApplied: LastApplied
}

/** Values LiteLLM accepts but does not return, remembered in the CR status. */
export interface LastApplied {
  readonly fields: ReadonlyArray<string>
  readonly duration?: string | undefined
  readonly modelAliases?: { readonly [alias: string]: string } | undefined
}

export interface FieldRule<Spec, O> {
  /** The spec field name; it is what `status.appliedFields` records. */
  readonly name: string
  /** The LiteLLM request field. */
  readonly wire: string
  /** The wire value the spec asks for, or undefined when the spec leaves the field unset. */
  readonly desired: (spec: Spec) => WireValue | undefined
  /** The current value in LiteLLM, in the same shape as `desired`. */
  readonly observed: (o: Observation<O>) => unknown
  /** The value that clears the field, or "unclearable" when LiteLLM cannot clear it. */
  readonly clear: WireValue | "unclearable"
  /**
   * The update endpoint drops null, [] and {} for this field, so an empty
   * desired value can only be reached the way clearing is (or not at all).
   */
  readonly updateDropsEmpty?: boolean
  /** Stored inside LiteLLM's `metadata` object rather than as a column. */
  readonly inMetadata?: boolean
}

/** A field sent on create that LiteLLM cannot be compared against afterwards (initial spend, invite email). */
export interface CreateOnlyRule<Spec> {
  readonly name: string
  readonly wire: string
  readonly desired: (spec: Spec) => WireValue | undefined
  /**
   * What a later edit of the field does: "send" it once on the update call (LiteLLM
   * takes it there), or "warn" that it does not reach LiteLLM (the update endpoint
   * ignores it). Without it the field is handled elsewhere (a key's `blocked`).
   */
  readonly onEdit?: "send" | "warn"
}
