/**
 * The generic part of every plan: compare each owned field with LiteLLM and
 * collect the minimal set of changes. Metadata is compared key by key, so
 * keys written by others (or by LiteLLM itself) are never touched.
 */
import type { WireValue } from "../litellm/Json.ts"
import type { CreateOnlyRule, FieldRule, LastApplied, Observation } from "./FieldRule.ts"
import { isUnset, wireEquals } from "./wireEquals.ts"

export interface FieldDiff {
  /** Wire fields to send; an explicit null clears. */
  readonly changes: Readonly<Record<string, WireValue>>
  readonly warnings: ReadonlyArray<string>
  /** Spec fields owned after this diff is applied, plus `metadata.<key>` entries. */
  readonly appliedFields: ReadonlyArray<string>
}

const METADATA_PREFIX = "metadata."

export const diffFields = <Spec, O>(options: {
  readonly rules: ReadonlyArray<FieldRule<Spec, O>>
  readonly spec: Spec
  readonly observation: Observation<O>
  /** The user metadata the spec asks for, or undefined when the spec has no metadata field. */
  readonly specMetadata: { readonly [key: string]: string } | undefined
  /** LiteLLM's metadata object as read. */
  readonly observedMetadata: { readonly [key: string]: unknown } | null | undefined
  readonly kind: string
  /** The update endpoint ignores `metadata: {}`, so metadata cannot be emptied (User). */
  readonly updateDropsEmptyMetadata?: boolean
}): FieldDiff => {
  const { rules, spec, observation, specMetadata, kind } = options
  const previouslyApplied = new Set(observation.lastApplied.fields)
  const changes: Record<string, WireValue> = {}
  const warnings: Array<string> = []
  const applied: Array<string> = []
  const metadataWrites: Record<string, WireValue | undefined> = {}

  const clearField = (rule: FieldRule<Spec, O>, current: unknown) => {
    if (rule.clear === "unclearable") {
      if (!wireEquals(null, current)) {
        warnings.push(
          `${kind} field ${rule.name} was removed or emptied in the spec, but LiteLLM cannot clear it; it keeps its current value`
        )
      }
    } else if (!wireEquals(rule.clear, current)) {
      changes[rule.wire] = rule.clear
      if (rule.inMetadata) metadataWrites[rule.wire] = undefined
    }
  }

  for (const rule of rules) {
    const desired = rule.desired(spec)
    const current = rule.observed(observation)
    if (desired !== undefined) {
      applied.push(rule.name)
      if (rule.updateDropsEmpty && isUnset(desired)) clearField(rule, current)
      else if (!wireEquals(desired, current)) {
        changes[rule.wire] = desired
        if (rule.inMetadata) metadataWrites[rule.wire] = desired
      }
    } else if (previouslyApplied.has(rule.name)) {
      clearField(rule, current)
    }
  }

  const observedMetadata = options.observedMetadata ?? {}
  for (const [key, value] of Object.entries(specMetadata ?? {})) {
    applied.push(METADATA_PREFIX + key)
    if (!wireEquals(value, observedMetadata[key])) metadataWrites[key] = value
  }
  for (const field of previouslyApplied) {
    if (!field.startsWith(METADATA_PREFIX)) continue
    const key = field.slice(METADATA_PREFIX.length)
    if (specMetadata !== undefined && key in specMetadata) continue
    if (key in observedMetadata) metadataWrites[key] = undefined
  }

  if (Object.keys(metadataWrites).length > 0) {
    // LiteLLM replaces metadata wholesale (a team update even wipes it when only
    // a metadata-backed field is sent), so always send the complete object.
    const merged: Record<string, unknown> = { ...observedMetadata }
    for (const [key, value] of Object.entries(metadataWrites)) {
      if (value === undefined) delete merged[key]
      else merged[key] = value
    }
    if (options.updateDropsEmptyMetadata && Object.keys(merged).length === 0) {
      // Nothing is written; the keys stay owned so the next reconcile decides the same way.
      const ruleWires = new Set(rules.filter((r) => r.inMetadata).map((r) => r.wire))
      for (const rule of rules) {
        if (!rule.inMetadata || changes[rule.wire] === undefined) continue
        delete changes[rule.wire]
        if (!applied.includes(rule.name)) applied.push(rule.name)
      }
      for (const key of Object.keys(metadataWrites)) {
        if (!ruleWires.has(key) && !applied.includes(METADATA_PREFIX + key)) applied.push(METADATA_PREFIX + key)
      }
      warnings.push(`${kind} metadata cannot be emptied through LiteLLM's update endpoint; it keeps its current keys`)
    } else {
      changes.metadata = merged
    }
  }

  return { changes, warnings, appliedFields: applied }
}

/** The wire fields for a create call: every field the spec sets. */
export const createFields = <Spec>(options: {
  readonly rules: ReadonlyArray<{
    readonly wire: string
    readonly desired: (spec: Spec) => WireValue | undefined
    readonly inMetadata?: boolean
  }>
  readonly createOnly: ReadonlyArray<CreateOnlyRule<Spec>>
  readonly spec: Spec
  readonly specMetadata: { readonly [key: string]: string } | undefined
}): Record<string, WireValue> => {
  const fields: Record<string, WireValue> = {}
  const metadata: Record<string, unknown> = { ...options.specMetadata }
  for (const rule of [...options.rules, ...options.createOnly]) {
    const value = rule.desired(options.spec)
    if (value === undefined) continue
    fields[rule.wire] = value
    if ("inMetadata" in rule && rule.inMetadata) metadata[rule.wire] = value
  }
  if (Object.keys(metadata).length > 0) fields.metadata = metadata
  return fields
}

/** The spec fields a create call takes ownership of. */
export const createdFields = <Spec>(
  rules: ReadonlyArray<{ readonly name: string; readonly desired: (spec: Spec) => WireValue | undefined }>,
  spec: Spec,
  specMetadata: { readonly [key: string]: string } | undefined
): ReadonlyArray<string> => [
  ...rules.filter((r) => r.desired(spec) !== undefined).map((r) => r.name),
  ...Object.keys(specMetadata ?? {}).map((k) => METADATA_PREFIX + k)
]

const CREATED_PREFIX = "created."

const createdRecord = (name: string, value: WireValue | undefined) =>
  `${CREATED_PREFIX}${name}=${JSON.stringify(value ?? null)}`

/**
 * What a create call sent of its create-only fields, kept in the applied
 * fields: LiteLLM does not return these values, so a later edit is found by
 * comparing with this record.
 */
export const createOnlyRecords = <Spec>(
  rules: ReadonlyArray<CreateOnlyRule<Spec>>,
  spec: Spec
): ReadonlyArray<string> =>
  rules.filter((r) => r.onEdit !== undefined).map((r) => createdRecord(r.name, r.desired(spec)))

export interface CreateOnlyEdits {
  /** Wire fields to send for edits LiteLLM's update endpoint takes. */
  readonly changes: Readonly<Record<string, WireValue>>
  readonly warnings: ReadonlyArray<string>
  /** The records to keep: the value now in LiteLLM for each field. */
  readonly records: ReadonlyArray<string>
}

/**
 * Edits of create-only fields since the object was created: sent once where
 * the update endpoint takes them, otherwise named in a warning. An object
 * created before records were kept has none; its fields are left alone.
 */
export const createOnlyEdits = <Spec>(options: {
  readonly rules: ReadonlyArray<CreateOnlyRule<Spec>>
  readonly spec: Spec
  readonly lastApplied: LastApplied
  readonly kind: string
}): CreateOnlyEdits => {
  const recorded = new Map<string, string>()
  for (const field of options.lastApplied.fields) {
    if (!field.startsWith(CREATED_PREFIX)) continue
    const at = field.indexOf("=")
    if (at > 0) recorded.set(field.slice(CREATED_PREFIX.length, at), field.slice(at + 1))
  }
  const changes: Record<string, WireValue> = {}
  const warnings: Array<string> = []
  const records: Array<string> = []
  for (const rule of options.rules) {
    const had = recorded.get(rule.name)
    if (rule.onEdit === undefined || had === undefined) continue
    const value = rule.desired(options.spec)
    const now = JSON.stringify(value ?? null)
    if (now === had) {
      records.push(createdRecord(rule.name, value))
    } else if (rule.onEdit === "send") {
      // A new value is sent once; a removed one stops being managed and LiteLLM keeps its value.
      if (value !== undefined) changes[rule.wire] = value
      records.push(createdRecord(rule.name, value))
    } else {
      // LiteLLM keeps what it was given at creation; the record keeps saying so.
      records.push(`${CREATED_PREFIX}${rule.name}=${had}`)
      warnings.push(
        `${options.kind} field ${rule.name} was changed after creation, but LiteLLM takes it only on create; the change does not reach LiteLLM`
      )
    }
  }
  return { changes, warnings, records }
}
