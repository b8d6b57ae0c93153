/**
 * Connection Secrets come from the operator's cache: one that does not exist
 * gives a clear condition, and creating it later requeues the objects that
 * name it at once (not when their backoff next expires). Another tenant's
 * Secret (an instance in another namespace, outside what this operator
 * watches) is read from the API server and used only if it allows the
 * object's namespace.
 */
import { assert, describe, layer } from "@effect/vitest"
import { readyOf } from "@litellm-operator/core"
import { KubeClient, Secrets, Teams } from "@litellm-operator/k8s"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Clock, Duration, Effect } from "effect"
import {
  createConnectionSecret,
  eventually,
  freshNamespace,
  harnessLayer,
  isReady,
  masterKey,
  startOperator
} from "./support/operatorHarness.ts"
import { createConnectionSecretFor } from "./support/population.ts"

describe("connection Secrets", () => {
  layer(harnessLayer(17), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("a missing Secret says so; creating it requeues the objects that name it", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const namespace = yield* freshNamespace("conn-late")
        yield* startOperator(namespace, { resyncPeriod: Duration.minutes(10) })
        const key = { namespace, name: "waiting" }
        yield* kube.create(Teams, {
          metadata: key,
          spec: { connectionRef: { secretRef: { name: "late" } }, teamAlias: "waiting" }
        })
        const failing = yield* eventually(
          "Ready=False",
          kube.get(Teams, key),
          (t) => readyOf(t.status?.conditions)?.status === "False"
        )
        const ready = readyOf(failing.status?.conditions)
        assert.strictEqual(ready?.reason, "ConnectionError")
        assert.strictEqual(ready?.message, `connection Secret ${namespace}/late does not exist`)

        // Failures back off (5 ms doubling): after 6 s of them the next retry is more than 4 s away.
        yield* Effect.sleep("6 seconds")
        const created = yield* Clock.currentTimeMillis
        yield* createConnectionSecret(namespace, "late")
        yield* eventually("Ready once the Secret exists", kube.get(Teams, key), (t) => isReady(t.status), "10 seconds")
        const took = (yield* Clock.currentTimeMillis) - created
        assert.isBelow(took, 3_000, `Ready ${took} ms after the Secret was created`)
      })
    )

    it.effect("another namespace's instance Secret is refused until it allows this namespace", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const owner = yield* freshNamespace("conn-owner")
        const tenant = yield* freshNamespace("conn-tenant")
        yield* createConnectionSecretFor(owner, { url: sim.url, masterKey }, "shared-secrets")
        // Watches only the tenant's namespace; the instance's URL is the simulator.
        yield* startOperator(tenant, { instanceUrlTemplate: sim.url })
        const key = { namespace: tenant, name: "borrower" }
        const alias = `borrower-${tenant}`
        yield* kube.create(Teams, {
          metadata: key,
          spec: { connectionRef: { instanceRef: { name: "shared", namespace: owner } }, teamAlias: alias }
        })
        const refused = yield* eventually(
          "refused",
          kube.get(Teams, key),
          (t) => readyOf(t.status?.conditions)?.status === "False"
        )
        assert.strictEqual(readyOf(refused.status?.conditions)?.reason, "ConnectionError")
        assert.include(readyOf(refused.status?.conditions)?.message ?? "", `does not allow namespace ${tenant}`)
        assert.isUndefined((yield* sim.snapshot).teams.find((t) => t.team_alias === alias))

        yield* kube.mergePatch(
          Secrets,
          { namespace: owner, name: "shared-secrets" },
          { metadata: { annotations: { "auth.litellm.ai/allow-namespaces": tenant } } }
        )
        yield* eventually("Ready once allowed", kube.get(Teams, key), (t) => isReady(t.status))
        assert.isDefined((yield* sim.snapshot).teams.find((t) => t.team_alias === alias))
      })
    )
  })
})
