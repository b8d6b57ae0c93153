/**
 * The LiteLLM calls a plan asks for. Each action is one admin API call; the
 * LiteLLM adapter executes them in order. Field maps use LiteLLM's wire names;
 * an explicit `null` clears a field.
 */
import { Schema } from "effect"
import { JsonObject } from "../litellm/Json.ts"
import { KeyToken } from "../litellm/ObservedKey.ts"
import type { LastApplied } from "./FieldRule.ts"

const Fields = JsonObject

export const LiteLLMAction = Schema.TaggedUnion({
  /** `/team/new` with an operator-chosen `team_id`. */
  TeamCreate: { teamId: Schema.String, fields: Fields },
  /** `/team/update` with only the changed fields. */
  TeamUpdate: { teamId: Schema.String, fields: Fields },
  /** `/team/permissions_update`; `/team/update` ignores member permissions. */
  TeamSetMemberPermissions: { teamId: Schema.String, permissions: Schema.Array(Schema.String) },
  TeamBlock: { teamId: Schema.String },
  TeamUnblock: { teamId: Schema.String },
  TeamDelete: { teamId: Schema.String },
  /** `/user/new` with an operator-chosen `user_id` and `auto_create_key: false`. */
  UserCreate: { userId: Schema.String, fields: Fields },
  UserUpdate: { userId: Schema.String, fields: Fields },
  UserDelete: { userId: Schema.String },
  MemberAdd: {
    teamId: Schema.String,
    userId: Schema.String,
    role: Schema.Literals(["admin", "user"]),
    maxBudgetInTeam: Schema.optionalKey(Schema.Number)
  },
  /** `/team/member_update`; it always resends the budget, since a role-only update would drop it. */
  MemberUpdate: {
    teamId: Schema.String,
    userId: Schema.String,
    role: Schema.Literals(["admin", "user"]),
    maxBudgetInTeam: Schema.optionalKey(Schema.Number)
  },
  MemberRemove: { teamId: Schema.String, userId: Schema.String },
  /** `/key/generate` with the operator-chosen key: written to its Secret before this call. */
  KeyGenerate: { key: Schema.Redacted(Schema.String), token: KeyToken, fields: Fields },
  KeyUpdate: { token: KeyToken, fields: Fields },
  KeyBlock: { token: KeyToken },
  KeyUnblock: { token: KeyToken },
  KeyDelete: { token: KeyToken }
})
export type LiteLLMAction = typeof LiteLLMAction.Type

/**
 * What a plan does to the LiteLLM object its kind stands for (a team, a user,
 * a key, a membership): what the reconcile reports once the calls succeeded.
 */
export interface PlanSummary {
  /** It makes the object, which does not exist yet. */
  readonly creates: boolean
  /** It takes over an object that exists and that it did not make (adoption, or a marker whose owner is gone). */
  readonly adopts: boolean
  /** Calls that change what exists: every call but the object's create and delete. */
  readonly updates: number
  /** It deletes the object. */
  readonly deletes: boolean
}

/** What a plan computes: the calls to make, in order, and what cannot be done and why. */
export interface Plan {
  readonly actions: ReadonlyArray<LiteLLMAction>
  /** Spec fields LiteLLM cannot clear or store; reported, never retried in a loop. */
  readonly warnings: ReadonlyArray<string>
  /** What the status records once every action succeeded: owned fields and write-only values. */
  readonly applied: LastApplied
  readonly summary: PlanSummary
}

/** Which of a plan's calls make and delete the object its kind stands for. */
export interface PlanObject {
  readonly creates: (action: LiteLLMAction) => boolean
  readonly deletes: (action: LiteLLMAction) => boolean
}

/** A plan with its summary, read off its calls; `adopting`: the object exists and this plan takes it over. */
export const planOf = (object: PlanObject, parts: Omit<Plan, "summary">, adopting: boolean | undefined): Plan => {
  const creates = parts.actions.filter(object.creates).length
  const deletes = parts.actions.filter(object.deletes).length
  return {
    ...parts,
    summary: {
      creates: creates > 0,
      // Only what exists can be taken over.
      adopts: adopting === true && creates === 0,
      updates: parts.actions.length - creates - deletes,
      deletes: deletes > 0
    }
  }
}

/** A plan that does nothing (a deletion that leaves someone else's object alone). */
export const emptyPlan: Plan = {
  actions: [],
  warnings: [],
  applied: { fields: [] },
  summary: { creates: false, adopts: false, updates: 0, deletes: false }
}
