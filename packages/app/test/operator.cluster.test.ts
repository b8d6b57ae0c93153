import { assert, describe, layer } from "@effect/vitest"
import type { NewObject, TeamResource } from "@litellm-operator/k8s"
import { KubeClient, Teams } from "@litellm-operator/k8s"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Effect, Exit } from "effect"
import {
  createConnectionSecret,
  eventually,
  freshNamespace,
  harnessLayer,
  isReady,
  startOperator
} from "./support/operatorHarness.ts"

const team = (namespace: string, name: string): NewObject<typeof TeamResource.Encoded> => ({
  metadata: { namespace, name },
  spec: { connectionRef: { secretRef: { name: "litellm" } }, teamAlias: name, maxBudget: "100", models: ["gpt-4o"] }
})

describe("operator, end to end", () => {
  layer(harnessLayer(11), { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("a Team: created, updated, cleared, corrected after drift, deleted", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const namespace = yield* freshNamespace("e2e-team")
        yield* createConnectionSecret(namespace)
        yield* startOperator(namespace)
        const key = { namespace, name: "search" }

        const created = yield* kube.create(Teams, team(namespace, "search"))
        const teamId = `k8s-${created.metadata.uid}`
        const ready = yield* eventually("Team Ready", kube.get(Teams, key), (t) => isReady(t.status))
        assert.strictEqual(ready.status?.teamID, teamId)
        assert.strictEqual(ready.status?.maxBudget, "100")
        assert.include(ready.metadata.finalizers ?? [], "auth.litellm.ai/finalizer")
        const row = (yield* sim.snapshot).teams.find((t) => t.team_id === teamId)
        assert.strictEqual(row?.team_alias, "search")

        // A spec change: one update call.
        yield* sim.resetCalls
        yield* kube.mergePatch(Teams, key, { spec: { maxBudget: "150", rpmLimit: 60 } })
        yield* eventually(
          "maxBudget 150",
          kube.get(Teams, key),
          (t) => t.status?.maxBudget === "150" && isReady(t.status)
        )
        assert.strictEqual((yield* sim.calls)["POST /team/update"], 1)

        // A field removed from the spec is cleared in LiteLLM.
        yield* kube.mergePatch(Teams, key, { spec: { rpmLimit: null } })
        yield* eventually("rpmLimit cleared", kube.get(Teams, key), (t) => t.status?.rpmLimit === undefined)

        // Drift behind the operator's back is put right at the next resync.
        yield* sim.resetCalls
        yield* Effect.promise(() =>
          fetch(`${sim.url}/team/update`, {
            method: "POST",
            headers: { authorization: "Bearer sk-e2e-master-7Hq2LmVx9RtK4wPz", "content-type": "application/json" },
            body: JSON.stringify({ team_id: teamId, max_budget: 1 })
          })
        )
        yield* eventually(
          "drift corrected",
          sim.snapshot,
          (s) => s.teams.find((t) => t.team_id === teamId)?.max_budget === 150
        )

        // Deleted: gone from LiteLLM, finalizer removed, object gone.
        yield* kube.delete(Teams, key)
        yield* eventually("Team gone", Effect.exit(kube.get(Teams, key)), Exit.isFailure)
        assert.isUndefined((yield* sim.snapshot).teams.find((t) => t.team_id === teamId))
      })
    )
  })
})
