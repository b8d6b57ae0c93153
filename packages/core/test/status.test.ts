import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { observedKeyArb, observedTeamArb, observedUserArb } from "../src/arbitraries/index.ts"
import type { Outcome } from "../src/index.ts"
import {
  failed,
  keyStatus,
  MAX_CONDITION_MESSAGE,
  readyOf,
  reconciled,
  sameStatus,
  teamStatus,
  userStatus,
  withReady
} from "../src/index.ts"

const runs = { numRuns: 300 }
const T0 = "2026-11-27T10:00:00Z"
const T1 = "2026-11-27T10:05:00Z"

const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
  fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }).map((w) => reconciled(w)),
  fc.constantFrom(failed("LiteLLMError", "LiteLLM answered 500"), failed("ConnectionError", "secret missing"))
)
const appliedArb = fc.record({
  fields: fc.uniqueArray(fc.constantFrom("maxBudget", "models", "metadata.a"), { maxLength: 3 })
})

describe("status", () => {
  it("is unchanged, lastTransitionTime included, when nothing changed", () => {
    fc.assert(
      fc.property(
        observedTeamArb,
        outcomeArb,
        appliedArb,
        fc.integer({ min: 1, max: 50 }),
        (team, outcome, applied, generation) => {
          const first = teamStatus({ previous: undefined, team, applied, outcome, generation, now: T0 })
          const second = teamStatus({ previous: first, team, applied, outcome, generation, now: T1 })
          assert.isTrue(sameStatus(first, second))
          assert.strictEqual(readyOf(second.conditions)?.lastTransitionTime, T0)
        }
      ),
      runs
    )
  })

  it("moves lastTransitionTime only when Ready's status moves", () => {
    fc.assert(
      fc.property(observedKeyArb, outcomeArb, outcomeArb, (key, a, b) => {
        const base = { key, applied: { fields: [] }, keySecretRef: "svc-key", generation: 3 }
        const first = keyStatus({ ...base, previous: undefined, outcome: a, now: T0 })
        const second = keyStatus({ ...base, previous: first, outcome: b, now: T1 })
        const before = readyOf(first.conditions)
        const after = readyOf(second.conditions)
        assert.strictEqual(after?.lastTransitionTime, before?.status === after?.status ? T0 : T1)
        assert.strictEqual(after?.observedGeneration, 3)
      }),
      runs
    )
  })

  it("keeps the last known LiteLLM fields when LiteLLM could not be read", () => {
    fc.assert(
      fc.property(observedUserArb, observedKeyArb, (user, key) => {
        const base = { applied: { fields: [] }, keySecretRef: "u-key", generation: 1 }
        const first = userStatus({ ...base, previous: undefined, user, key, outcome: reconciled(), now: T0 })
        const failedRead = userStatus({
          ...base,
          previous: first,
          user: undefined,
          key: undefined,
          outcome: failed("ConnectionError", "down"),
          now: T1
        })
        const { conditions: _a, ...kept } = failedRead
        const { conditions: _b, ...was } = first
        assert.isTrue(sameStatus(kept, was))
        assert.strictEqual(readyOf(failedRead.conditions)?.reason, "ConnectionError")
      }),
      runs
    )
  })

  it("holds the key's hash, never anything else of the key", () => {
    fc.assert(
      fc.property(observedKeyArb, (key) => {
        const status = keyStatus({
          previous: undefined,
          key,
          applied: { fields: [] },
          keySecretRef: "s",
          outcome: reconciled(),
          generation: 1,
          now: T0
        })
        assert.strictEqual(status.token, key.token)
        assert.match(status.token ?? "", /^[0-9a-f]{64}$/)
      }),
      runs
    )
  })

  it("fills the fields LiteLLM computes, each the same text for the same answer in any key order", () => {
    fc.assert(
      fc.property(observedKeyArb, observedUserArb, observedTeamArb, (key, user, team) => {
        const base = { applied: { fields: [] }, keySecretRef: "s", outcome: reconciled(), generation: 1, now: T0 }
        const reversed = (o: Readonly<Record<string, unknown>> | null | undefined) =>
          o === null || o === undefined ? null : Object.fromEntries(Object.entries(o).reverse())
        const k1 = keyStatus({ ...base, previous: undefined, key })
        const k2 = keyStatus({
          ...base,
          previous: undefined,
          key: { ...key, litellm_budget_table: reversed(key.litellm_budget_table) }
        })
        assert.strictEqual(k1.liteLLMBudgetTable, k2.liteLLMBudgetTable)
        const table = key.litellm_budget_table
        if (table === null || table === undefined) assert.isUndefined(k1.liteLLMBudgetTable)
        else {
          const shown: Record<string, unknown> = JSON.parse(k1.liteLLMBudgetTable ?? "{}")
          assert.strictEqual(shown.budget_id, table.budget_id)
          assert.deepStrictEqual(Object.keys(shown), Object.keys(shown).sort())
          assert.isFalse(Object.values(shown).includes(null))
        }
        const t = teamStatus({ ...base, previous: undefined, team })
        assert.strictEqual(
          t.liteLLMModelTable === undefined,
          team.litellm_model_table === null || team.litellm_model_table === undefined
        )
        // A user's status says what LiteLLM holds for the user: guardrails and tags from its metadata,
        // and no blocked flag (LiteLLM users have none); its own key's flag is keyBlocked.
        const u = userStatus({ ...base, previous: undefined, user, key })
        const guardrails = user.metadata?.guardrails
        assert.deepStrictEqual(u.guardrails, Array.isArray(guardrails) ? guardrails : undefined)
        const tags = user.metadata?.tags
        assert.deepStrictEqual(u.tags, Array.isArray(tags) ? tags : undefined)
        assert.isUndefined(u.blocked)
        assert.strictEqual(u.keyBlocked, key.blocked ?? false)
        for (const field of ["allowedRoutes", "budgetID", "config", "createdBy", "enforcedParams"] as const)
          assert.isUndefined(u[field])
        for (const field of ["litellmBudgetTable", "updatedBy"] as const) assert.isUndefined(u[field])
      }),
      runs
    )
  })

  it("says why it is not ready", () => {
    const status = teamStatus({
      previous: undefined,
      team: undefined,
      applied: { fields: [] },
      outcome: failed("InvalidSpec", "maxBudget must be a non-negative decimal"),
      generation: 2,
      now: T0
    })
    assert.deepStrictEqual(readyOf(status.conditions), {
      type: "Ready",
      status: "False",
      observedGeneration: 2,
      lastTransitionTime: T0,
      reason: "InvalidSpec",
      message: "maxBudget must be a non-negative decimal"
    })
  })
})

describe("condition messages", () => {
  it("are bounded, so a huge LiteLLM error or warning can never make the status unwritable", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 10_000 }), (message) => {
        const [ready] = withReady({
          previous: undefined,
          outcome: failed("LiteLLMError", message),
          generation: 1,
          now: "2026-12-02T00:00:00Z"
        })
        assert.isAtMost(ready?.message?.length ?? 0, MAX_CONDITION_MESSAGE)
        if (message.length <= MAX_CONDITION_MESSAGE) assert.strictEqual(ready?.message, message)
      }),
      { numRuns: 100 }
    )
  })
})
