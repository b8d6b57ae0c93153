/**
 * What the operator last applied, as a status records it: the fields it owns
 * (`appliedFields`) and the values LiteLLM accepts but never returns. The
 * plans read it to tell a field the spec dropped from one it never set.
 */
import type { LastApplied } from "../plan/FieldRule.ts"

/** The parts of a Team, User or VirtualKey status that record what was applied. */
export interface AppliedRecord {
  readonly appliedFields?: ReadonlyArray<string> | undefined
  readonly duration?: string | undefined
  readonly modelAliases?: { readonly [alias: string]: string } | undefined
}

export const lastAppliedOf = (status: AppliedRecord | undefined): LastApplied => ({
  fields: status?.appliedFields ?? [],
  ...(status?.duration === undefined ? {} : { duration: status.duration }),
  ...(status?.modelAliases === undefined ? {} : { modelAliases: status.modelAliases })
})

/**
 * An association records no applied fields: its role, and its budget once
 * set, are applied whenever the status shows them.
 */
export const membershipLastApplied = (
  status: { readonly role?: string | undefined; readonly maxBudgetInTeam?: unknown } | undefined
): LastApplied => ({
  fields: [
    ...(status?.role === undefined ? [] : ["role"]),
    ...(status?.maxBudgetInTeam === undefined ? [] : ["maxBudgetInTeam"])
  ]
})
