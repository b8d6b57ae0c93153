/**
 * A plan carries its own summary: whether it creates, adopts or deletes the
 * object its kind stands for, and how many calls update what exists. The
 * summary agrees with the plan's calls for every kind, from any state.
 */
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import {
  keyValueArb,
  observedKeyArb,
  observedTeamArb,
  observedUserArb,
  teamMemberAssociationSpecArb,
  teamSpecArb,
  userSpecArb,
  virtualKeySpecArb
} from "../src/arbitraries/index.ts"
import type { LiteLLMAction, Plan } from "../src/index.ts"
import { emptyPlan, planKey, planMembership, planTeam, planUser } from "../src/index.ts"
import { keyMaterial } from "./support/keys.ts"

const runs = { numRuns: 200 }
const lifecycleArb = fc.record({
  deleting: fc.boolean(),
  deletionPolicy: fc.constantFrom("Delete" as const, "Orphan" as const)
})

/** The summary read off the calls by hand, for the object `creates`/`deletes` name. */
const expected = (
  plan: Plan,
  creates: (a: LiteLLMAction) => boolean,
  deletes: (a: LiteLLMAction) => boolean,
  adopting: boolean
) => {
  const made = plan.actions.filter(creates).length
  const gone = plan.actions.filter(deletes).length
  return {
    creates: made > 0,
    adopts: adopting && made === 0,
    updates: plan.actions.length - made - gone,
    deletes: gone > 0
  }
}

describe("plan summaries", () => {
  it("a team plan creates exactly when the team is missing, deletes it only when deleting", () => {
    fc.assert(
      fc.property(
        teamSpecArb,
        fc.option(observedTeamArb, { nil: undefined }),
        lifecycleArb,
        fc.boolean(),
        (spec, team, lifecycle, adopting) => {
          const plan = planTeam({ teamId: "t", spec, ...lifecycle }, { team, lastApplied: { fields: [] }, adopting })
          assert.deepStrictEqual(
            plan.summary,
            expected(
              plan,
              (a) => a._tag === "TeamCreate",
              (a) => a._tag === "TeamDelete",
              adopting
            )
          )
          assert.strictEqual(plan.summary.creates, team === undefined && !lifecycle.deleting)
          assert.strictEqual(
            plan.summary.deletes,
            team !== undefined && lifecycle.deleting && lifecycle.deletionPolicy === "Delete"
          )
        }
      ),
      runs
    )
  })

  it("a user plan's memberships and own key are updates of the user", () => {
    fc.assert(
      fc.property(
        userSpecArb,
        fc.option(observedUserArb, { nil: undefined }),
        keyValueArb,
        lifecycleArb,
        fc.boolean(),
        (spec, user, raw, lifecycle, adopting) => {
          const plan = planUser(
            {
              userId: "u",
              spec,
              key: spec.autoCreateKey === true ? keyMaterial(raw) : undefined,
              ...lifecycle
            },
            { user, key: undefined, previousKey: undefined, lastApplied: { fields: [] }, adopting }
          )
          assert.deepStrictEqual(
            plan.summary,
            expected(
              plan,
              (a) => a._tag === "UserCreate",
              (a) => a._tag === "UserDelete",
              adopting
            )
          )
          assert.strictEqual(plan.summary.creates, user === undefined && !lifecycle.deleting)
          if (plan.summary.creates) assert.strictEqual(plan.summary.updates, plan.actions.length - 1)
        }
      ),
      runs
    )
  })

  it("a key plan: the key under the new value is the object; deleting the old one is an update", () => {
    fc.assert(
      fc.property(
        virtualKeySpecArb,
        keyValueArb,
        fc.option(observedKeyArb, { nil: undefined }),
        lifecycleArb,
        (spec, raw, previous, lifecycle) => {
          const { connectionRef: _c, key: _k, keySecretRef: _s, ...intent } = spec
          const material = keyMaterial(raw)
          const plan = planKey(
            { ...material, intent, ...lifecycle },
            { current: undefined, previous, lastApplied: { fields: [] } }
          )
          const replacesOld = previous !== undefined && previous.token !== material.token
          assert.strictEqual(plan.summary.creates, !lifecycle.deleting)
          assert.isFalse(plan.summary.deletes, "no key under the new value to delete")
          assert.isFalse(plan.summary.adopts)
          assert.strictEqual(
            plan.summary.updates,
            replacesOld && (!lifecycle.deleting || lifecycle.deletionPolicy === "Delete") ? 1 : 0
          )
        }
      ),
      runs
    )
  })

  it("a membership plan never adopts; it adds a missing member and removes it only when deleting", () => {
    fc.assert(
      fc.property(teamMemberAssociationSpecArb, fc.boolean(), lifecycleArb, (spec, present, lifecycle) => {
        const membership = present
          ? { teamId: "t", userId: "u", role: spec.role, maxBudgetInTeam: undefined }
          : undefined
        const plan = planMembership(
          { teamId: "t", userId: "u", spec, ...lifecycle },
          { membership, lastApplied: { fields: [] } }
        )
        assert.isFalse(plan.summary.adopts)
        assert.strictEqual(plan.summary.creates, !present && !lifecycle.deleting)
        assert.strictEqual(plan.summary.deletes, present && lifecycle.deleting && lifecycle.deletionPolicy === "Delete")
        assert.strictEqual(
          plan.summary.updates,
          plan.actions.length - (plan.summary.creates ? 1 : 0) - (plan.summary.deletes ? 1 : 0)
        )
      }),
      runs
    )
  })

  it("the empty plan does nothing", () => {
    assert.deepStrictEqual(emptyPlan.summary, { creates: false, adopts: false, updates: 0, deletes: false })
    assert.deepStrictEqual(emptyPlan.actions, [])
  })
})
