/**
 * The one sync step every kind shares, through the real client against the
 * simulator: the guard decides before any plan, the identity is recorded
 * before the first write and only when there is one, the calls run in order,
 * and LiteLLM is read back only after a write that leaves something to read.
 */

import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, layer } from "@effect/vitest"
import type { LastApplied } from "@litellm-operator/core"
import { LiteLLMClient } from "@litellm-operator/litellm"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Effect, Redacted, Ref } from "effect"
import { syncTeam } from "../src/reconcile/syncTeam.ts"
import type { GuardVerdict } from "../src/reconcile/tenancy.ts"

const masterKey = Redacted.make("sk-master-sync-step-0123456789")
const none: LastApplied = { fields: [] }
const spec = { teamAlias: "step", connectionRef: { secretRef: { name: "c" } } }

describe("the shared sync step", () => {
  layer(Simulator.layer({ masterKey, seed: 3 }))((it) => {
    it.effect("guard, identity before the first write, calls, read back; nothing written when nothing differs", () =>
      Effect.gen(function* () {
        const sim = yield* Simulator
        const client = yield* LiteLLMClient.make({ url: sim.url, masterKey, timeout: "5 seconds" }).pipe(
          Effect.provide(NodeHttpClient.dispatcherLayerGlobal)
        )
        /** What LiteLLM had been asked when the identity was recorded. */
        const recorded = yield* Ref.make<Array<Record<string, number>>>([])
        const guard = (verdict: GuardVerdict) => ({
          check: () => Effect.succeed(verdict),
          beforeWrite: Effect.flatMap(sim.calls, (calls) => Ref.update(recorded, (r) => [...r, { ...calls }]))
        })
        const live = { teamId: "step-1", spec, deleting: false, deletionPolicy: "Delete" } as const

        // Absent: created, the identity recorded before /team/new, then read back.
        yield* sim.resetCalls
        const created = yield* syncTeam(client, live, none, guard({ _tag: "Proceed", adopted: false }))
        assert.deepStrictEqual(created.plan.summary, { creates: true, adopts: false, updates: 0, deletes: false })
        assert.deepStrictEqual(yield* Ref.get(recorded), [{ "GET /team/info": 1 }])
        assert.deepStrictEqual(yield* sim.calls, { "GET /team/info": 2, "POST /team/new": 1 })
        assert.strictEqual(created.team?.team_alias, "step")

        // Converged: one read, no identity to record, nothing written.
        yield* sim.resetCalls
        const steady = yield* syncTeam(client, live, created.plan.applied, guard({ _tag: "Proceed", adopted: false }))
        assert.deepStrictEqual(steady.plan.actions, [])
        assert.deepStrictEqual(yield* sim.calls, { "GET /team/info": 1 })
        assert.strictEqual((yield* Ref.get(recorded)).length, 1)

        // Taken over with a change: the summary says adopted and one update.
        const changed = { ...live, spec: { ...spec, maxBudget: "5" } }
        const adopted = yield* syncTeam(client, changed, none, guard({ _tag: "Proceed", adopted: true }))
        assert.deepStrictEqual(adopted.plan.summary, { creates: false, adopts: true, updates: 1, deletes: false })
        assert.strictEqual(adopted.team?.max_budget, 5, "read back after the write")

        // Deleting someone else's: the guard skips; no plan, no call but the read.
        yield* sim.resetCalls
        const deleting = { ...live, deleting: true }
        const skipped = yield* syncTeam(client, deleting, none, guard({ _tag: "Skip", message: "not ours" }))
        assert.deepStrictEqual(skipped.plan.actions, [])
        assert.deepStrictEqual(skipped.verdict, { _tag: "Skip", message: "not ours" })
        assert.deepStrictEqual(yield* sim.calls, { "GET /team/info": 1 })

        // Deleting its own: deleted, and not read back (nothing is left to read).
        yield* sim.resetCalls
        const deleted = yield* syncTeam(client, deleting, none, guard({ _tag: "Proceed", adopted: false }))
        assert.deepStrictEqual(deleted.plan.summary, { creates: false, adopts: false, updates: 0, deletes: true })
        assert.deepStrictEqual(yield* sim.calls, { "GET /team/info": 1, "POST /team/delete": 1 })
        assert.isDefined(deleted.team, "what was observed before the delete")
      })
    )
  })
})
