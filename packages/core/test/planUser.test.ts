import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { keyValueArb, userSpecArb } from "../src/arbitraries/index.ts"
import type { LastApplied, UserSpec } from "../src/index.ts"
import { planUser } from "../src/index.ts"
import { LiteLLMModel } from "../src/testing/index.ts"
import { keyMaterial } from "./support/keys.ts"

const USER = "user-1"
const runs = { numRuns: 300 }

/** The teams a user spec names must exist for member_add to work; the test makes them. */
const withTeams = (model: LiteLLMModel, spec: UserSpec) => {
  for (const teamId of spec.teams ?? []) {
    if (!model.teams.has(teamId)) model.apply({ _tag: "TeamCreate", teamId, fields: {} })
  }
}

const desired = (spec: UserSpec, raw: string, deleting = false) => ({
  userId: USER,
  spec,
  key: spec.autoCreateKey === true ? keyMaterial(raw) : undefined,
  deleting,
  deletionPolicy: "Delete" as const
})

const observe = (model: LiteLLMModel, raw: string, lastApplied: LastApplied) => ({
  user: model.user(USER),
  key: model.key(keyMaterial(raw).token),
  previousKey: undefined,
  lastApplied
})

const step = (model: LiteLLMModel, spec: UserSpec, raw: string, lastApplied: LastApplied) => {
  withTeams(model, spec)
  const plan = planUser(desired(spec, raw), observe(model, raw, lastApplied))
  model.applyAll(plan.actions)
  return plan
}

describe("planUser", () => {
  it("converges from nothing, creating the user before its memberships and its key", () => {
    fc.assert(
      fc.property(userSpecArb, keyValueArb, (spec, raw) => {
        const model = new LiteLLMModel()
        const first = step(model, spec, raw, { fields: [] })
        const tags = first.actions.map((a) => a._tag)
        assert.strictEqual(tags[0], "UserCreate")
        assert.strictEqual(tags.filter((t) => t === "KeyGenerate").length, spec.autoCreateKey === true ? 1 : 0)
        const create = first.actions[0]
        if (create?._tag === "UserCreate") assert.notProperty(create.fields, "auto_create_key")
        const again = planUser(desired(spec, raw), observe(model, raw, first.applied))
        assert.deepStrictEqual(again.actions, [])
      }),
      runs
    )
  })

  it("converges from any earlier spec, without flapping on fields LiteLLM cannot clear", () => {
    fc.assert(
      fc.property(userSpecArb, userSpecArb, keyValueArb, (before, after, raw) => {
        const model = new LiteLLMModel()
        const applied = step(model, before, raw, { fields: [] }).applied
        const change = step(model, after, raw, applied)
        const again = planUser(desired(after, raw), observe(model, raw, change.applied))
        assert.deepStrictEqual(again.actions, [])
        const thrice = planUser(desired(after, raw), observe(model, raw, again.applied))
        assert.deepStrictEqual(thrice.actions, [])
      }),
      runs
    )
  })

  it("deleting the user removes its key with it (LiteLLM's cascade), in one call", () => {
    fc.assert(
      fc.property(userSpecArb, keyValueArb, (spec, raw) => {
        const model = new LiteLLMModel()
        step(model, spec, raw, { fields: [] })
        const plan = planUser(desired(spec, raw, true), observe(model, raw, { fields: [] }))
        assert.deepStrictEqual(
          plan.actions.map((a) => a._tag),
          ["UserDelete"]
        )
        model.applyAll(plan.actions)
        assert.strictEqual(model.keys.size, 0)
        assert.deepStrictEqual(planUser(desired(spec, raw, true), observe(model, raw, { fields: [] })).actions, [])
      }),
      runs
    )
  })

  it("turning autoCreateKey off deletes the key the operator minted", () => {
    const model = new LiteLLMModel()
    const raw = "sk-bbbbbbbbbbbbbbbbbbbbbb"
    const spec: UserSpec = {
      connectionRef: { secretRef: { name: "c" } },
      userEmail: "a@example.com",
      autoCreateKey: true
    }
    const applied = step(model, spec, raw, { fields: [] }).applied
    const plan = step(model, { ...spec, autoCreateKey: false }, raw, applied)
    assert.deepStrictEqual(
      plan.actions.map((a) => a._tag),
      ["KeyDelete"]
    )
    assert.strictEqual(model.keys.size, 0)
  })

  it("reports softBudget and unclearable fields instead of retrying them", () => {
    const model = new LiteLLMModel()
    const spec: UserSpec = {
      connectionRef: { secretRef: { name: "c" } },
      userEmail: "a@example.com",
      softBudget: "5",
      tpmLimit: 10
    }
    const applied = step(model, spec, "sk-x", { fields: [] }).applied
    const { tpmLimit: _t, ...dropped } = spec
    const plan = planUser(desired(dropped, "sk-x"), observe(model, "sk-x", applied))
    assert.deepStrictEqual(plan.actions, [])
    assert.strictEqual(plan.warnings.length, 2)
    assert.isTrue(plan.warnings.some((w) => w.includes("tpmLimit")))
  })
  it("gives the user's own key modelMaxBudget and spend, as a VirtualKey gets them", () => {
    fc.assert(
      fc.property(userSpecArb, keyValueArb, (spec0, raw) => {
        const spec: UserSpec = { ...spec0, autoCreateKey: true }
        const model = new LiteLLMModel()
        const first = step(model, spec, raw, { fields: [] })
        const generate = first.actions.find((a) => a._tag === "KeyGenerate")
        assert.isDefined(generate)
        if (generate?._tag !== "KeyGenerate") return
        assert.strictEqual(generate.fields.spend === undefined, spec.spend === undefined)
        assert.strictEqual(generate.fields.model_max_budget === undefined, spec.modelMaxBudget === undefined)
      }),
      runs
    )
  })

  it("stores guardrails on the user itself; key-only fields without autoCreateKey are named in a warning", () => {
    fc.assert(
      fc.property(userSpecArb, keyValueArb, (spec0, raw) => {
        const spec: UserSpec = { ...spec0, autoCreateKey: false }
        const model = new LiteLLMModel()
        const first = step(model, spec, raw, { fields: [] })
        assert.deepStrictEqual(model.user(USER)?.metadata?.guardrails ?? [], spec.guardrails ?? [])
        for (const field of ["keyAlias", "duration", "aliases", "permissions", "blocked"] as const)
          assert.strictEqual(
            first.warnings.some((w) => w.startsWith(`User field ${field} `)),
            spec[field] !== undefined,
            field
          )
      }),
      runs
    )
  })

  it("sends an edited spend once, and names edited ssoUserID or sendInviteEmail in a warning", () => {
    const model = new LiteLLMModel()
    const spec: UserSpec = {
      connectionRef: { secretRef: { name: "c" } },
      userEmail: "a@example.com",
      spend: "1",
      ssoUserID: "sso-1"
    }
    const created = step(model, spec, "sk-x", { fields: [] })
    const spent = step(model, { ...spec, spend: "4" }, "sk-x", created.applied)
    assert.deepStrictEqual(spent.actions, [{ _tag: "UserUpdate", userId: USER, fields: { spend: 4 } }])
    assert.strictEqual(model.user(USER)?.spend, 4)
    const edited = step(
      model,
      { ...spec, spend: "4", ssoUserID: "sso-2", sendInviteEmail: true },
      "sk-x",
      spent.applied
    )
    assert.deepStrictEqual(edited.actions, [])
    assert.deepStrictEqual(
      edited.warnings.map((w) => w.split(" ")[2]),
      ["sendInviteEmail", "ssoUserID"]
    )
  })
})
