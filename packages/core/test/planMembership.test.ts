import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { budgetArb, teamMemberAssociationSpecArb } from "../src/arbitraries/index.ts"
import type { LastApplied, TeamMemberAssociationSpec } from "../src/index.ts"
import { membershipOf, planMembership } from "../src/index.ts"
import { LiteLLMModel } from "../src/testing/index.ts"

const TEAM = "team-1"
const USER = "user-1"
const runs = { numRuns: 300 }

const setup = () => {
  const model = new LiteLLMModel()
  model.apply({ _tag: "TeamCreate", teamId: TEAM, fields: {} })
  model.apply({ _tag: "UserCreate", userId: USER, fields: {} })
  return model
}

const observe = (model: LiteLLMModel, lastApplied: LastApplied) => {
  const team = model.team(TEAM)
  return { membership: team === undefined ? undefined : membershipOf(team, USER), lastApplied }
}

const desired = (spec: TeamMemberAssociationSpec, deleting = false) => ({
  teamId: TEAM,
  userId: USER,
  spec,
  deleting,
  deletionPolicy: "Delete" as const
})

const step = (model: LiteLLMModel, spec: TeamMemberAssociationSpec, lastApplied: LastApplied) => {
  const plan = planMembership(desired(spec), observe(model, lastApplied))
  model.applyAll(plan.actions)
  return plan
}

describe("planMembership", () => {
  it("converges from any earlier membership, and then plans nothing", () => {
    fc.assert(
      fc.property(teamMemberAssociationSpecArb, teamMemberAssociationSpecArb, (before, after) => {
        const model = setup()
        const applied = step(model, before, { fields: [] }).applied
        const change = step(model, after, applied)
        assert.isAtMost(change.actions.length, 1)
        if (change.actions[0] !== undefined) assert.strictEqual(change.actions[0]._tag, "MemberUpdate")
        assert.deepStrictEqual(planMembership(desired(after), observe(model, change.applied)).actions, [])
      }),
      runs
    )
  })

  it("keeps a member budget it does not own when only the role changes", () => {
    fc.assert(
      fc.property(budgetArb, (budget) => {
        const model = setup()
        model.apply({ _tag: "MemberAdd", teamId: TEAM, userId: USER, role: "user", maxBudgetInTeam: Number(budget) })
        const spec: TeamMemberAssociationSpec = {
          connectionRef: { secretRef: { name: "c" } },
          teamAlias: "t",
          userEmail: "u@example.com",
          role: "admin"
        }
        step(model, spec, { fields: [] })
        assert.strictEqual(membershipOf(model.team(TEAM)!, USER)?.maxBudgetInTeam, Number(budget))
        assert.strictEqual(membershipOf(model.team(TEAM)!, USER)?.role, "admin")
      }),
      runs
    )
  })

  it("removes the member once; the team or the membership being gone is success", () => {
    fc.assert(
      fc.property(teamMemberAssociationSpecArb, (spec) => {
        const model = setup()
        step(model, spec, { fields: [] })
        const plan = planMembership(desired(spec, true), observe(model, { fields: [] }))
        assert.deepStrictEqual(
          plan.actions.map((a) => a._tag),
          ["MemberRemove"]
        )
        model.applyAll(plan.actions)
        assert.deepStrictEqual(planMembership(desired(spec, true), observe(model, { fields: [] })).actions, [])
        model.apply({ _tag: "TeamDelete", teamId: TEAM })
        assert.deepStrictEqual(planMembership(desired(spec, true), observe(model, { fields: [] })).actions, [])
      }),
      runs
    )
  })
})
