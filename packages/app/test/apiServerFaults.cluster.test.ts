/**
 * The operator recovers from a troubled API server while objects are being
 * created and changed:
 *
 * - its watches are cut again and again, held back for a while (a partition)
 *   and resumed from a compacted resourceVersion (410 Gone → relist);
 * - the API server itself is stopped and started again on the same data
 *   directory and port (once gracefully, once killed), on a control plane of
 *   this test's own so the other test files keep theirs.
 *
 * Every object ends Ready, every spec change reaches LiteLLM, and nothing is
 * duplicated. Default: 20 objects per test. `LITELLM_OPERATOR_STRESS=long`: 200.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, layer } from "@effect/vitest"
import { EventRecorder, KubeClient, KubeTransport, Teams, Users, VirtualKeys } from "@litellm-operator/k8s"
import { installCrds, spawnControlPlane } from "@litellm-operator/k8s/local"
import type { Snapshot } from "@litellm-operator/litellm/simulator"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Duration, Effect, Fiber, Layer, Schedule } from "effect"
import { makeWatchFaults } from "../../k8s/test/support/watchFaults.ts"
import { Readiness } from "../src/observability/Readiness.ts"
import { createConnectionSecret, freshNamespace, harnessLayer } from "./support/operatorHarness.ts"
import { freePort } from "./support/processes.ts"
import type { Counts, Population } from "./support/stress.ts"
import {
  awaitAllReady,
  everything,
  integrityProblems,
  keySecretTokens,
  listAll,
  longMode,
  populate,
  readyCount,
  startInProcess,
  total
} from "./support/stress.ts"

const half: Counts = longMode
  ? { teams: 10, users: 30, keys: 40, associations: 20 }
  : { teams: 1, users: 3, keys: 4, associations: 2 }
/** Two populations (before and after the trouble) of `half` each. */
const COUNT = 2 * total(half)

/** Raises every budget of the namespace's Teams, Users and VirtualKeys; retried while the server is away. */
const changeBudgets = Effect.fn("changeBudgets")(function* (namespace: string) {
  const kube = yield* KubeClient
  const retrying = <A, E extends { readonly retryable: boolean }, R>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 150, while: (e) => e.retryable }))
  const patch = { spec: { maxBudget: "321" } }
  for (const team of (yield* retrying(kube.list(Teams, { namespace }))).items)
    yield* retrying(kube.mergePatch(Teams, { namespace, name: team.metadata.name }, patch))
  for (const user of (yield* retrying(kube.list(Users, { namespace }))).items)
    yield* retrying(kube.mergePatch(Users, { namespace, name: user.metadata.name }, patch))
  for (const key of (yield* retrying(kube.list(VirtualKeys, { namespace }))).items)
    yield* retrying(kube.mergePatch(VirtualKeys, { namespace, name: key.metadata.name }, patch))
})

/** The teams, users and keys of the population whose budget in LiteLLM is not the new one. */
const budgetsNotApplied = (snapshot: Snapshot, prefix: string) =>
  [
    ...snapshot.teams.filter((t) => String(t.team_alias).startsWith(`${prefix}-`)),
    ...snapshot.users.filter((u) => String(u.user_email).startsWith(`${prefix}-`)),
    ...snapshot.keys.filter((k) => String(k.key_alias).startsWith(`${prefix}-key-`))
  ]
    .filter((row) => row.max_budget !== 321)
    .map((row) => String(row.team_alias ?? row.user_email ?? row.key_alias))

/** Objects whose Ready condition is about an older generation. */
const staleReady = (population: Population) =>
  everything(population).flatMap((o) => {
    const ready = o.status?.conditions?.find((c) => c.type === "Ready")
    return ready?.observedGeneration === o.metadata.generation
      ? []
      : [`${o.kind}/${o.metadata.name}: generation ${o.metadata.generation}, Ready for ${ready?.observedGeneration}`]
  })

describe("API-server faults", () => {
  layer(harnessLayer(51), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect(
      `watches cut, partitioned and expired while ${COUNT} objects are created and changed: all converge`,
      () =>
        Effect.gen(function* () {
          const sim = yield* Simulator
          const faults = yield* makeWatchFaults
          yield* sim.reset
          // Slow LiteLLM calls keep reconciles in flight while the watches go.
          yield* sim.setFaults([{ kind: "latency", latencyMs: 20 }])
          const namespace = yield* freshNamespace("faults-watch")
          yield* createConnectionSecret(namespace)
          const operator = yield* startInProcess(namespace, { workers: 4, resyncPeriod: Duration.minutes(10) }).pipe(
            Effect.provideService(KubeClient, faults.client)
          )
          // Cut every open watch every 300 ms while the first half is created.
          const cutting = yield* Effect.forkScoped(Effect.repeat(faults.closeWatches, Schedule.spaced("300 millis")))
          yield* populate(namespace, half, "wa")
          yield* Effect.sleep("1 second")
          yield* Fiber.interrupt(cutting)
          // A partition: no watch for 2 s while the second half arrives and the first changes.
          yield* faults.partition
          yield* populate(namespace, half, "wb")
          yield* changeBudgets(namespace)
          yield* Effect.sleep("2 seconds")
          // Healing resumes from a compacted resourceVersion: 410 Gone, so the informers list again.
          yield* faults.heal({ expired: true })
          yield* faults.failNext(3)
          yield* faults.closeWatches

          const population = yield* awaitAllReady(namespace, COUNT, "120 seconds")
          const snapshot = yield* sim.snapshot
          assert.deepStrictEqual(integrityProblems(snapshot, population, yield* keySecretTokens(namespace)), [])
          assert.deepStrictEqual(staleReady(population), [], "Ready for the current generation")
          assert.deepStrictEqual(budgetsNotApplied(snapshot, "wa"), [], "the budget changes reached LiteLLM")
          assert.isAbove(yield* faults.watchesOpened, 8)
          assert.isUndefined(operator.pollUnsafe(), "the operator stopped")
        }),
      longMode ? 600_000 : 180_000
    )

    it.effect(
      `the API server stopped and started again (gracefully, then killed) while ${COUNT} objects are created and changed: all converge`,
      () =>
        Effect.gen(function* () {
          const sim = yield* Simulator
          yield* sim.reset
          // Slow LiteLLM calls keep reconciles in flight when the API server goes.
          yield* sim.setFaults([{ kind: "latency", latencyMs: 20 }])
          const dataDir = mkdtempSync(join(tmpdir(), "litellm-operator-restart-"))
          yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dataDir, { recursive: true, force: true })))
          const port = yield* freePort
          const start = Effect.acquireRelease(
            spawnControlPlane({ args: ["--data-dir", dataDir, "--port", String(port)] }),
            (cp) => cp.stop(Duration.seconds(10))
          )
          const first = yield* start
          const kubeconfig = first.kubeconfig
          yield* installCrds(kubeconfig).pipe(Effect.provide(KubeTransport.layerFromFile(kubeconfig)))
          // This control plane's client, Events and readiness; the simulator and HTTP client stay the file's.
          // Fresh: layers are memoized, and the file's KubeClient must not stand in for this one.
          const own = Layer.fresh(
            Layer.mergeAll(EventRecorder.layer({ reportingInstance: "restart" }), Readiness.layer).pipe(
              Layer.provideMerge(KubeClient.layerFromFile(kubeconfig))
            )
          )
          yield* Effect.gen(function* () {
            const namespace = yield* freshNamespace("faults-restart")
            yield* createConnectionSecret(namespace)
            const operator = yield* startInProcess(namespace, { workers: 4, resyncPeriod: Duration.minutes(10) })
            const creating = yield* Effect.forkScoped(populate(namespace, half, "ra"))
            yield* Effect.sleep("400 millis")
            const readyAtStop = readyCount(yield* listAll(namespace))

            // A graceful restart while the first half is being created and reconciled (SIGTERM; the
            // launcher's shutdown waits for open watches until its 30 s shutdown timeout, so SIGKILL after 3 s).
            yield* first.stop(Duration.seconds(3))
            yield* Effect.sleep("500 millis")
            const second = yield* start
            assert.strictEqual(second.kubeconfig, kubeconfig)
            yield* Fiber.join(creating)
            yield* changeBudgets(namespace)
            const more = yield* Effect.forkScoped(populate(namespace, half, "rb"))
            yield* Effect.sleep("400 millis")
            const readyAtKill = readyCount(yield* listAll(namespace))

            // Killed, with no chance to finish anything, while the second half is being created.
            yield* second.stop(Duration.millis(0))
            yield* start
            yield* Fiber.join(more)

            const population = yield* awaitAllReady(namespace, COUNT, "120 seconds")
            const snapshot = yield* sim.snapshot
            assert.deepStrictEqual(integrityProblems(snapshot, population, yield* keySecretTokens(namespace)), [])
            assert.deepStrictEqual(staleReady(population), [], "Ready for the current generation")
            assert.deepStrictEqual(budgetsNotApplied(snapshot, "ra"), [], "the budget changes reached LiteLLM")
            assert.isUndefined(operator.pollUnsafe(), "the operator stopped")
            process.stderr.write(
              `API-server restarts: ${readyAtStop}/${total(half)} Ready at the graceful stop, ${readyAtKill}/${COUNT} at the kill; all ${COUNT} Ready in the end\n`
            )
            // Before this control plane's client closes: its connection pool waits for open requests (watches).
            yield* Fiber.interrupt(operator)
          }).pipe(Effect.provide(own))
        }),
      longMode ? 600_000 : 180_000
    )
  })
})
