/**
 * The core's plans, run through the real LiteLLM client against the
 * simulator: every generated spec converges in one reconcile, a new key is
 * not read back when its answer says all a read would (and shows the same),
 * and a second reconcile only reads.
 */
import { createHash } from "node:crypto"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, layer } from "@effect/vitest"
import type { KeyIntent, LastApplied, TeamSpec, UserSpec, VirtualKeySpec } from "@litellm-operator/core"
import { keyMirror, userKeyMirror } from "@litellm-operator/core"
import { teamSpecArb, userSpecArb, virtualKeySpecArb } from "@litellm-operator/core/arbitraries"
import { LiteLLMClient } from "@litellm-operator/litellm"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Effect, Option, Redacted } from "effect"
import fc from "fast-check"
import { syncKey } from "../src/reconcile/syncKey.ts"
import { syncTeam } from "../src/reconcile/syncTeam.ts"
import { syncUser } from "../src/reconcile/syncUser.ts"

const masterKey = Redacted.make("sk-master-sync-test-0123456789")
const samples = 25
const live = { deleting: false, deletionPolicy: "Delete" } as const
const none: LastApplied = { fields: [] }

const clientFor = Effect.gen(function* () {
  const sim = yield* Simulator
  return yield* LiteLLMClient.make({ url: sim.url, masterKey, timeout: "5 seconds" })
}).pipe(Effect.provide(NodeHttpClient.dispatcherLayerGlobal))

const raw = (i: number) => `sk-sync-${i}-${"x".repeat(20)}`
const tokenOf = (s: string) => createHash("sha256").update(s).digest("hex")

/** Fields that need objects this test does not make (an organization, teams); LiteLLM does not check budget_id. */
const teamSpecs = fc
  .sample(teamSpecArb, { numRuns: samples, seed: 7 })
  .map(({ organizationID: _o, ...spec }): TeamSpec => spec)
const userSpecs = fc.sample(userSpecArb, { numRuns: samples, seed: 8 }).map(({ teams: _t, ...spec }): UserSpec => spec)
const keySpecs: ReadonlyArray<VirtualKeySpec> = [
  ...fc.sample(virtualKeySpecArb, { numRuns: samples, seed: 9 }),
  // Both budget fields on one key: LiteLLM links it to the soft budget's own row.
  ...fc
    .sample(virtualKeySpecArb, { numRuns: 5, seed: 10 })
    .map((spec): VirtualKeySpec => ({ ...spec, budgetID: "shared-budget", softBudget: "3.5" }))
]

describe("plans against the LiteLLM simulator", () => {
  layer(Simulator.layer({ masterKey, seed: 1, profile: { enterprise: true } }))((it) => {
    it.effect("every generated Team converges in one reconcile; the next one only reads", () =>
      Effect.gen(function* () {
        const client = yield* clientFor
        const sim = yield* Simulator
        for (const [i, spec] of teamSpecs.entries()) {
          const desired = { teamId: `team-${i}`, spec: { ...spec, teamAlias: `${spec.teamAlias}-${i}` }, ...live }
          const first = yield* syncTeam(client, desired, none)
          assert.isDefined(first.team, `team ${i} was not created`)
          yield* sim.resetCalls
          const second = yield* syncTeam(client, desired, first.plan.applied)
          assert.deepStrictEqual(second.plan.actions, [], `team ${i}: ${JSON.stringify(second.plan.actions)}`)
          assert.deepStrictEqual(Object.keys(yield* sim.calls), ["GET /team/info"])
        }
      })
    )

    it.effect("every generated VirtualKey converges, its key minted with the value chosen first", () =>
      Effect.gen(function* () {
        const client = yield* clientFor
        const sim = yield* Simulator
        let answered = 0
        for (const [i, spec] of keySpecs.entries()) {
          const { connectionRef: _c, key: _k, ...intent } = { ...spec, keyAlias: `${spec.keyAlias}-key-${i}` }
          const material = { key: Redacted.make(raw(i)), token: tokenOf(raw(i)) }
          const desired = { ...material, intent: intent satisfies KeyIntent, ...live }
          yield* sim.resetCalls
          const first = yield* syncKey(client, desired, { lastApplied: none, previousToken: undefined })
          assert.strictEqual(first.key?.token, material.token)
          // One read before the generate; none after it unless the answer cannot say when the budget resets.
          const reads = (yield* sim.calls)["GET /key/info"]
          assert.strictEqual(reads, spec.budgetDuration === undefined ? 1 : 2, `key ${i}: reads`)
          if (reads === 1) answered++
          // What the status shows from the answer is what a read shows (or a resync would write it again).
          const info = Option.getOrUndefined(yield* client.keyInfo(material.token))
          const listed = (yield* client.keyList({ keyAlias: intent.keyAlias })).find((k) => k.token === material.token)
          assert.deepStrictEqual(first.key && keyMirror(first.key), info && keyMirror(info), `key ${i}: /key/info`)
          assert.deepStrictEqual(first.key && keyMirror(first.key), listed && keyMirror(listed), `key ${i}: /key/list`)
          const second = yield* syncKey(client, desired, {
            lastApplied: first.plan.applied,
            previousToken: material.token
          })
          assert.deepStrictEqual(second.plan.actions, [], `key ${i}: ${JSON.stringify(second.plan.actions)}`)
        }
        assert.isAbove(answered, 0, "some new keys were not read back")
      })
    )

    it.effect("every generated User converges, with its own key when asked", () =>
      Effect.gen(function* () {
        const client = yield* clientFor
        const sim = yield* Simulator
        for (const [i, spec0] of userSpecs.entries()) {
          const spec: UserSpec = {
            ...spec0,
            userEmail: `u${i}-${spec0.userEmail}`,
            ...(spec0.keyAlias === undefined ? {} : { keyAlias: `${spec0.keyAlias}-user-${i}` })
          }
          const rawKey = raw(1000 + i)
          const key = spec.autoCreateKey === true ? { key: Redacted.make(rawKey), token: tokenOf(rawKey) } : undefined
          const desired = { userId: `user-${i}`, spec, key, ...live }
          yield* sim.resetCalls
          const first = yield* syncUser(client, desired, { lastApplied: none, previousToken: undefined })
          assert.isDefined(first.user)
          assert.strictEqual(first.key?.token, key?.token)
          if (key !== undefined) {
            // The own key: read once before it is made, not after (its answer says it all).
            assert.strictEqual((yield* sim.calls)["GET /key/info"], 1, `user ${i}: key reads`)
            const info = Option.getOrUndefined(yield* client.keyInfo(key.token))
            assert.deepStrictEqual(first.key && userKeyMirror(first.key), info && userKeyMirror(info), `user ${i}`)
          }
          const second = yield* syncUser(client, desired, {
            lastApplied: first.plan.applied,
            previousToken: key?.token
          })
          assert.deepStrictEqual(second.plan.actions, [], `user ${i}: ${JSON.stringify(second.plan.actions)}`)
          if (key !== undefined) {
            // The user's own key carries what a VirtualKey's would: per-model budgets and the initial spend.
            const minted = first.key
            assert.deepStrictEqual(
              Object.keys(minted?.model_max_budget ?? {}).sort(),
              Object.keys(spec.modelMaxBudget ?? {}).sort(),
              `user ${i} key model_max_budget`
            )
            if (spec.spend !== undefined) assert.strictEqual(minted?.spend, Number(spec.spend), `user ${i} key spend`)
          }
        }
      })
    )
  })
})
