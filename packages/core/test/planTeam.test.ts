import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { observedTeamArb, teamSpecArb } from "../src/arbitraries/index.ts"
import type { LastApplied, LiteLLMAction, TeamSpec } from "../src/index.ts"
import { planTeam, teamRules, wireEquals } from "../src/index.ts"
import { LiteLLMModel } from "../src/testing/index.ts"

const TEAM = "team-1"
const runs = { numRuns: 300 }

const desired = (spec: TeamSpec, deleting = false) => ({
  teamId: TEAM,
  spec,
  deleting,
  deletionPolicy: "Delete" as const
})

/** Plans, applies the plan to the model, and returns what the status would record. */
const step = (model: LiteLLMModel, spec: TeamSpec, lastApplied: LastApplied) => {
  const plan = planTeam(desired(spec), { team: model.team(TEAM), lastApplied })
  model.applyAll(plan.actions)
  return plan
}

const updateFields = (actions: ReadonlyArray<LiteLLMAction>): ReadonlyArray<string> =>
  actions.flatMap((a) => (a._tag === "TeamUpdate" ? Object.keys(a.fields) : []))

describe("planTeam", () => {
  it("converges from nothing, and then plans nothing", () => {
    fc.assert(
      fc.property(teamSpecArb, (spec) => {
        const model = new LiteLLMModel()
        const first = step(model, spec, { fields: [] })
        assert.strictEqual(first.actions.length, 1)
        assert.strictEqual(first.actions[0]?._tag, "TeamCreate")
        const second = planTeam(desired(spec), { team: model.team(TEAM), lastApplied: first.applied })
        assert.deepStrictEqual(second.actions, [])
      }),
      runs
    )
  })

  it("converges from any earlier spec, including fields the new spec drops", () => {
    fc.assert(
      fc.property(teamSpecArb, teamSpecArb, (before, after) => {
        const model = new LiteLLMModel()
        const applied = step(model, before, { fields: [] }).applied
        const change = step(model, after, applied)
        const again = planTeam(desired(after), { team: model.team(TEAM), lastApplied: change.applied })
        assert.deepStrictEqual(again.actions, [])
      }),
      runs
    )
  })

  it("converges from a team someone else made, without touching what the spec does not set", () => {
    fc.assert(
      fc.property(teamSpecArb, observedTeamArb, (spec, foreign) => {
        const model = new LiteLLMModel()
        model.teams.set(TEAM, { ...structuredClone(foreign), team_id: TEAM })
        const metadataBefore = { ...(foreign.metadata ?? {}) }
        const plan = planTeam(desired(spec), { team: model.team(TEAM), lastApplied: { fields: [] } })
        const owned = new Set(teamRules.filter((r) => r.desired(spec) !== undefined).map((r) => r.wire))
        for (const field of updateFields(plan.actions)) {
          assert.isTrue(owned.has(field) || field === "metadata", `touched ${field}`)
        }
        const update = plan.actions.find((a) => a._tag === "TeamUpdate")
        const sentMetadata = update?._tag === "TeamUpdate" ? update.fields.metadata : undefined
        if (sentMetadata !== undefined && sentMetadata !== null && typeof sentMetadata === "object") {
          const sent = new Map(Object.entries(sentMetadata))
          for (const [k, v] of Object.entries(metadataBefore)) {
            const ownedKey =
              (spec.metadata !== undefined && k in spec.metadata) ||
              (owned.has(k) && (k === "tags" || k === "guardrails"))
            if (!ownedKey) assert.deepStrictEqual(sent.get(k), v, `metadata key ${k} was changed`)
          }
        }
        if (spec.blocked === undefined)
          assert.isFalse(plan.actions.some((a) => a._tag === "TeamBlock" || a._tag === "TeamUnblock"))
        if (spec.teamMemberPermissions === undefined)
          assert.isFalse(plan.actions.some((a) => a._tag === "TeamSetMemberPermissions"))
        model.applyAll(plan.actions)
        const again = planTeam(desired(spec), { team: model.team(TEAM), lastApplied: plan.applied })
        assert.deepStrictEqual(again.actions, [])
      }),
      runs
    )
  })

  it("updates only the fields whose desired value changed", () => {
    fc.assert(
      fc.property(teamSpecArb, teamSpecArb, (before, after) => {
        const model = new LiteLLMModel()
        const applied = step(model, before, { fields: [] }).applied
        const plan = planTeam(desired(after), { team: model.team(TEAM), lastApplied: applied })
        const updates = plan.actions.filter((a) => a._tag === "TeamUpdate")
        assert.isAtMost(updates.length, 1)
        const changed = new Set(
          teamRules.filter((r) => !wireEquals(r.desired(before), r.desired(after))).map((r) => r.wire)
        )
        for (const field of updateFields(plan.actions)) {
          assert.isTrue(changed.has(field) || field === "metadata", `${field} sent but unchanged`)
        }
        if (!wireEquals(before.metadata, after.metadata) || changed.has("tags") || changed.has("guardrails")) return
        assert.notInclude(updateFields(plan.actions), "metadata")
      }),
      runs
    )
  })

  it("plans nothing when the spec did not change", () => {
    fc.assert(
      fc.property(teamSpecArb, (spec) => {
        const model = new LiteLLMModel()
        const applied = step(model, spec, { fields: [] }).applied
        assert.deepStrictEqual(planTeam(desired(spec), { team: model.team(TEAM), lastApplied: applied }).actions, [])
      }),
      runs
    )
  })

  it("clears a dropped field with an explicit null", () => {
    const model = new LiteLLMModel()
    const base: TeamSpec = {
      connectionRef: { secretRef: { name: "c" } },
      teamAlias: "a",
      maxBudget: "10",
      budgetDuration: "30d"
    }
    const applied = step(model, base, { fields: [] }).applied
    const { maxBudget: _dropped, ...rest } = base
    const plan = planTeam(desired(rest), { team: model.team(TEAM), lastApplied: applied })
    assert.deepStrictEqual(plan.actions, [{ _tag: "TeamUpdate", teamId: TEAM, fields: { max_budget: null } }])
  })

  it("never clears a field it did not set", () => {
    const model = new LiteLLMModel()
    model.teams.set(TEAM, {
      team_id: TEAM,
      team_alias: "a",
      max_budget: 99,
      metadata: { owner: "someone" },
      blocked: true
    })
    const spec: TeamSpec = { connectionRef: { secretRef: { name: "c" } }, teamAlias: "a" }
    const plan = planTeam(desired(spec), { team: model.team(TEAM), lastApplied: { fields: [] } })
    assert.deepStrictEqual(plan.actions, [])
  })

  it("keeps other metadata keys when it changes tags (LiteLLM's team metadata wipe)", () => {
    const model = new LiteLLMModel()
    model.teams.set(TEAM, { team_id: TEAM, team_alias: "a", metadata: { team_member_budget_id: "b1", owner: "x" } })
    const spec: TeamSpec = { connectionRef: { secretRef: { name: "c" } }, teamAlias: "a", tags: ["prod"] }
    const plan = planTeam(desired(spec), { team: model.team(TEAM), lastApplied: { fields: [] } })
    model.applyAll(plan.actions)
    assert.deepStrictEqual(model.team(TEAM)?.metadata, { team_member_budget_id: "b1", owner: "x", tags: ["prod"] })
  })

  it("deletes once, and a second deletion plan is empty", () => {
    fc.assert(
      fc.property(teamSpecArb, fc.constantFrom("Delete" as const, "Orphan" as const), (spec, policy) => {
        const model = new LiteLLMModel()
        step(model, spec, { fields: [] })
        const del = { teamId: TEAM, spec, deleting: true, deletionPolicy: policy }
        const plan = planTeam(del, { team: model.team(TEAM), lastApplied: { fields: [] } })
        assert.strictEqual(plan.actions.length, policy === "Delete" ? 1 : 0)
        model.applyAll(plan.actions)
        if (policy === "Delete") assert.isUndefined(model.team(TEAM))
        const again = planTeam(del, { team: model.team(TEAM), lastApplied: { fields: [] } })
        assert.deepStrictEqual(again.actions, [])
      }),
      runs
    )
  })

  it("a deletion plan for a team that is already gone is empty", () => {
    fc.assert(
      fc.property(teamSpecArb, (spec) => {
        const plan = planTeam(
          { teamId: TEAM, spec, deleting: true, deletionPolicy: "Delete" },
          { team: undefined, lastApplied: { fields: ["maxBudget"] } }
        )
        assert.deepStrictEqual(plan.actions, [])
      })
    )
  })
})
