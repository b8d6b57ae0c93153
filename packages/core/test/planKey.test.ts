import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { budgetArb, keyValueArb, nameArb, observedKeyArb, virtualKeySpecArb } from "../src/arbitraries/index.ts"
import type { KeyIntent, LastApplied, VirtualKeySpec } from "../src/index.ts"
import { keyCreateOnlyRules, keyRules, planKey, wireEquals } from "../src/index.ts"
import { LiteLLMModel } from "../src/testing/index.ts"
import { keyMaterial } from "./support/keys.ts"

const runs = { numRuns: 300 }

const intentOf = ({ connectionRef: _c, key: _k, ...intent }: VirtualKeySpec): KeyIntent => intent

const desiredFor = (
  raw: string,
  spec: VirtualKeySpec,
  deleting = false,
  deletionPolicy: "Delete" | "Orphan" = "Delete"
) => ({
  ...keyMaterial(raw),
  intent: intentOf(spec),
  deleting,
  deletionPolicy
})

const step = (
  model: LiteLLMModel,
  raw: string,
  spec: VirtualKeySpec,
  lastApplied: LastApplied,
  previousToken?: string
) => {
  const desired = desiredFor(raw, spec)
  const plan = planKey(desired, {
    current: model.key(desired.token),
    previous: previousToken === undefined ? undefined : model.key(previousToken),
    lastApplied
  })
  model.applyAll(plan.actions)
  return plan
}

describe("planKey", () => {
  it("mints the key with the value chosen beforehand, and then plans nothing", () => {
    fc.assert(
      fc.property(virtualKeySpecArb, keyValueArb, (spec, raw) => {
        const model = new LiteLLMModel()
        const first = step(model, raw, spec, { fields: [] })
        assert.deepStrictEqual(
          first.actions.map((a) => a._tag),
          ["KeyGenerate"]
        )
        const { token } = keyMaterial(raw)
        assert.strictEqual(model.rawKeys.get(token), raw)
        const again = planKey(desiredFor(raw, spec), {
          current: model.key(token),
          previous: undefined,
          lastApplied: first.applied
        })
        assert.deepStrictEqual(again.actions, [])
      }),
      runs
    )
  })

  it("after a crash between minting and recording, finds the key instead of minting a second one", () => {
    fc.assert(
      fc.property(virtualKeySpecArb, keyValueArb, (spec, raw) => {
        const model = new LiteLLMModel()
        step(model, raw, spec, { fields: [] })
        // The status was never written: lastApplied is empty, but the key is found by its token.
        const replay = planKey(desiredFor(raw, spec), {
          current: model.key(keyMaterial(raw).token),
          previous: undefined,
          lastApplied: { fields: [] }
        })
        assert.isFalse(replay.actions.some((a) => a._tag === "KeyGenerate"))
        model.applyAll(replay.actions)
        assert.strictEqual(model.keys.size, 1)
      }),
      runs
    )
  })

  it("converges from any earlier spec, and sends only what changed", () => {
    fc.assert(
      fc.property(virtualKeySpecArb, virtualKeySpecArb, keyValueArb, (before, after0, raw) => {
        const after = { ...after0, keyAlias: before.keyAlias }
        const model = new LiteLLMModel()
        const applied = step(model, raw, before, { fields: [] }).applied
        const { token } = keyMaterial(raw)
        const plan = planKey(desiredFor(raw, after), {
          current: model.key(token),
          previous: undefined,
          lastApplied: applied
        })
        const changed = new Set(
          [...keyRules, ...keyCreateOnlyRules]
            .filter((r) => !wireEquals(r.desired(intentOf(before)), r.desired(intentOf(after))))
            .map((r) => r.wire)
        )
        for (const a of plan.actions) {
          assert.notStrictEqual(a._tag, "KeyGenerate")
          if (a._tag !== "KeyUpdate") continue
          for (const field of Object.keys(a.fields))
            assert.isTrue(changed.has(field) || field === "metadata", `${field} sent but unchanged`)
        }
        model.applyAll(plan.actions)
        const again = planKey(desiredFor(raw, after), {
          current: model.key(token),
          previous: undefined,
          lastApplied: plan.applied
        })
        assert.deepStrictEqual(again.actions, [])
      }),
      runs
    )
  })

  it("converges with budgetID and softBudget together: LiteLLM keeps the soft budget's row, budgetID is named in a warning", () => {
    const bothArb = fc
      .tuple(virtualKeySpecArb, nameArb, budgetArb)
      .map(([spec, budgetID, softBudget]): VirtualKeySpec => ({ ...spec, budgetID, softBudget }))
    fc.assert(
      fc.property(bothArb, keyValueArb, (spec, raw) => {
        const model = new LiteLLMModel()
        const first = step(model, raw, spec, { fields: [] })
        const { token } = keyMaterial(raw)
        assert.notStrictEqual(model.key(token)?.budget_id, spec.budgetID)
        const again = planKey(desiredFor(raw, spec), {
          current: model.key(token),
          previous: undefined,
          lastApplied: first.applied
        })
        assert.deepStrictEqual(again.actions, [])
        assert.isTrue(again.warnings.some((w) => w.includes("budgetID")))
      }),
      runs
    )
  })

  it("sends an edited spend once, and names an edited softBudget or sendInviteEmail in a warning", () => {
    const model = new LiteLLMModel()
    const spec: VirtualKeySpec = {
      connectionRef: { secretRef: { name: "c" } },
      keyAlias: "svc",
      spend: "1",
      softBudget: "5",
      sendInviteEmail: false
    }
    const raw = "sk-bbbbbbbbbbbbbbbbbbbbbb"
    const { token } = keyMaterial(raw)
    const created = step(model, raw, spec, { fields: [] })
    const spent = step(model, raw, { ...spec, spend: "2.5" }, created.applied)
    assert.deepStrictEqual(spent.actions, [{ _tag: "KeyUpdate", token, fields: { spend: 2.5 } }])
    assert.deepStrictEqual(spent.warnings, [])
    const settled = step(model, raw, { ...spec, spend: "2.5" }, spent.applied)
    assert.deepStrictEqual(settled.actions, [])
    const edited = step(model, raw, { ...spec, spend: "2.5", softBudget: "9", sendInviteEmail: true }, settled.applied)
    assert.deepStrictEqual(edited.actions, [])
    assert.strictEqual(edited.warnings.length, 2)
    assert.isTrue(edited.warnings[0]?.includes("softBudget"))
    assert.isTrue(edited.warnings[1]?.includes("sendInviteEmail"))
    // The warning stays while the spec differs from what LiteLLM was given.
    const later = step(model, raw, { ...spec, spend: "2.5", softBudget: "9", sendInviteEmail: true }, edited.applied)
    assert.strictEqual(later.warnings.length, 2)
  })

  it("names a modelMaxBudget in a warning: LiteLLM keeps it but never counts spend against it without a time period", () => {
    fc.assert(
      fc.property(virtualKeySpecArb, keyValueArb, (spec, raw) => {
        const plan = planKey(desiredFor(raw, spec), {
          current: undefined,
          previous: undefined,
          lastApplied: { fields: [] }
        })
        const generate = plan.actions[0]
        if (generate?._tag === "KeyGenerate" && generate.fields.model_max_budget !== undefined)
          for (const entry of Object.values(generate.fields.model_max_budget ?? {}))
            assert.deepStrictEqual(Object.keys(entry ?? {}), ["budget_limit"])
        assert.strictEqual(
          plan.warnings.some((w) => w.startsWith("key field modelMaxBudget")),
          Object.keys(spec.modelMaxBudget ?? {}).length > 0
        )
      }),
      runs
    )
  })

  it("sends duration only when it differs from what was last applied", () => {
    const model = new LiteLLMModel()
    const spec: VirtualKeySpec = { connectionRef: { secretRef: { name: "c" } }, keyAlias: "svc", duration: "30d" }
    const raw = "sk-aaaaaaaaaaaaaaaaaaaaaa"
    const created = step(model, raw, spec, { fields: [] })
    assert.strictEqual(created.applied.duration, "30d")
    const { token } = keyMaterial(raw)
    const same = planKey(desiredFor(raw, spec), {
      current: model.key(token),
      previous: undefined,
      lastApplied: created.applied
    })
    assert.deepStrictEqual(same.actions, [])
    const longer = planKey(desiredFor(raw, { ...spec, duration: "60d" }), {
      current: model.key(token),
      previous: undefined,
      lastApplied: created.applied
    })
    assert.deepStrictEqual(longer.actions, [{ _tag: "KeyUpdate", token, fields: { duration: "60d" } }])
    const { duration: _d, ...withoutDuration } = spec
    const cleared = planKey(desiredFor(raw, withoutDuration), {
      current: model.key(token),
      previous: undefined,
      lastApplied: created.applied
    })
    assert.deepStrictEqual(cleared.actions, [{ _tag: "KeyUpdate", token, fields: { duration: null } }])
  })

  it("replaces the key when its value changes: the old key goes first, so the alias is free", () => {
    fc.assert(
      fc.property(virtualKeySpecArb, keyValueArb, keyValueArb, (spec, oldRaw, newRaw) => {
        fc.pre(oldRaw !== newRaw)
        const model = new LiteLLMModel()
        const applied = step(model, oldRaw, spec, { fields: [] }).applied
        const oldToken = keyMaterial(oldRaw).token
        const plan = step(model, newRaw, spec, applied, oldToken)
        assert.deepStrictEqual(
          plan.actions.map((a) => a._tag),
          ["KeyDelete", "KeyGenerate"]
        )
        assert.strictEqual(model.keys.size, 1)
        assert.isDefined(model.key(keyMaterial(newRaw).token))
      }),
      runs
    )
  })

  it("adopts a key someone else changed, touching only what the spec sets", () => {
    fc.assert(
      fc.property(virtualKeySpecArb, observedKeyArb, keyValueArb, (spec, foreign, raw) => {
        const model = new LiteLLMModel()
        const { token } = keyMaterial(raw)
        model.keys.set(token, { ...structuredClone(foreign), token, key_alias: spec.keyAlias })
        const plan = planKey(desiredFor(raw, spec), {
          current: model.key(token),
          previous: undefined,
          lastApplied: { fields: [] }
        })
        const owned = new Set(keyRules.filter((r) => r.desired(intentOf(spec)) !== undefined).map((r) => r.wire))
        for (const a of plan.actions) {
          if (a._tag === "KeyUpdate")
            for (const f of Object.keys(a.fields)) assert.isTrue(owned.has(f) || f === "metadata", `touched ${f}`)
          if (a._tag === "KeyBlock" || a._tag === "KeyUnblock") assert.isDefined(spec.blocked)
        }
        model.applyAll(plan.actions)
        const again = planKey(desiredFor(raw, spec), {
          current: model.key(token),
          previous: undefined,
          lastApplied: plan.applied
        })
        assert.deepStrictEqual(again.actions, [])
      }),
      runs
    )
  })

  it("deletes idempotently, and orphans when asked", () => {
    fc.assert(
      fc.property(
        virtualKeySpecArb,
        keyValueArb,
        fc.constantFrom("Delete" as const, "Orphan" as const),
        (spec, raw, policy) => {
          const model = new LiteLLMModel()
          step(model, raw, spec, { fields: [] })
          const { token } = keyMaterial(raw)
          const del = desiredFor(raw, spec, true, policy)
          const plan = planKey(del, { current: model.key(token), previous: undefined, lastApplied: { fields: [] } })
          model.applyAll(plan.actions)
          assert.strictEqual(model.keys.size, policy === "Delete" ? 0 : 1)
          const again = planKey(del, { current: model.key(token), previous: undefined, lastApplied: { fields: [] } })
          if (policy === "Delete") assert.deepStrictEqual(again.actions, [])
          const gone = planKey(del, { current: undefined, previous: undefined, lastApplied: { fields: [] } })
          assert.deepStrictEqual(gone.actions, [])
        }
      ),
      runs
    )
  })

  it("never puts the raw key into anything but the generate action's redacted field", () => {
    fc.assert(
      fc.property(virtualKeySpecArb, keyValueArb, (spec, raw) => {
        const plan = planKey(desiredFor(raw, spec), {
          current: undefined,
          previous: undefined,
          lastApplied: { fields: [] }
        })
        assert.notInclude(JSON.stringify(plan), raw)
        assert.notInclude(String(plan.actions[0] && "key" in plan.actions[0] ? plan.actions[0].key : ""), raw)
      }),
      runs
    )
  })
})
