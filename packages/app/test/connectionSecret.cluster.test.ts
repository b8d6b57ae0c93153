/**
 * Connection Secrets come from the operator's cache: one that does not exist
 * gives a clear condition, and creating it later requeues the objects that
 * name it at once (not when their backoff next expires).
 */
import { assert, describe, layer } from "@effect/vitest"
import { readyOf } from "@litellm-operator/core"
import { KubeClient, Teams } from "@litellm-operator/k8s"
import { Clock, Duration, Effect } from "effect"
import {
  createConnectionSecret,
  eventually,
  freshNamespace,
  harnessLayer,
  isReady,
  startOperator
} from "./support/operatorHarness.ts"

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
  })
})
