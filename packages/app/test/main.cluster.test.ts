/**
 * The production entry as a process — main.ts, and the bundle the image
 * ships — against the test control plane and the simulator, with leader
 * election. Ready on /readyz, reconciles a Team, and on SIGTERM exits 0
 * having released its Lease; two replicas hand over, and a replica that
 * loses its Lease exits 1.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, layer } from "@effect/vitest"
import type { NewObject, TeamResource } from "@litellm-operator/k8s"
import { KubeClient, Leases, microTime, Teams } from "@litellm-operator/k8s"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Effect, Schedule } from "effect"
import { inject } from "vitest"
import { bundleOperator } from "../bin/bundle.ts"
import {
  createConnectionSecret,
  eventually,
  freshNamespace,
  harnessLayer,
  isReady,
  MASTER_KEY
} from "./support/operatorHarness.ts"
import { freePort, spawnNode } from "./support/processes.ts"

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url))

const team = (namespace: string, name: string): NewObject<typeof TeamResource.Encoded> => ({
  metadata: { namespace, name },
  spec: { connectionRef: { secretRef: { name: "litellm" } }, teamAlias: name, maxBudget: "10" }
})

const status = (url: string) =>
  Effect.promise(() =>
    fetch(url).then(
      (r) => r.status,
      () => 0
    )
  )

const scrape = (port: number) => Effect.promise(() => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()))

/** Runs `script` as the operator: ready, reconciles a Team, and on SIGTERM exits 0 with its Lease released. */
const scenario = (script: string) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const sim = yield* Simulator
    const namespace = yield* freshNamespace("main")
    yield* createConnectionSecret(namespace)
    const port = yield* freePort
    const identity = `main-test-${namespace}`
    const operator = yield* spawnNode(
      script,
      [
        "--kubeconfig",
        inject("kubeconfig"),
        "--namespace",
        namespace,
        "--lease-namespace",
        namespace,
        "--identity",
        identity,
        `--http-port=${port}`,
        "--resync-period",
        "10s"
      ],
      { LOG_LEVEL: "Debug", WATCH_NAMESPACE: undefined, KUBECONFIG: undefined }
    )

    yield* eventually("/readyz 200", status(`http://127.0.0.1:${port}/readyz`), (s) => s === 200)
    assert.strictEqual(yield* status(`http://127.0.0.1:${port}/healthz`), 200)
    const lease = yield* kube.get(Leases, { namespace, name: "litellm-operator" })
    assert.strictEqual(lease.spec?.holderIdentity, identity)

    const created = yield* kube.create(Teams, team(namespace, "platform"))
    yield* eventually("Team Ready", kube.get(Teams, { namespace, name: "platform" }), (t) => isReady(t.status))
    assert.isDefined((yield* sim.snapshot).teams.find((t) => t.team_id === `k8s-${created.metadata.uid}`))
    // The gauges read from the caches (every 5 seconds): one Team, Ready; this replica leads; the informers report.
    // The reconcile is counted when it returns, after its status write and its Event: wait for both.
    const metrics = yield* eventually(
      "the Team and its reconcile counted on /metrics",
      scrape(port),
      (text) =>
        text.includes('litellm_operator_objects{kind="Team"} 1') &&
        text.includes('litellm_operator_reconciles_total{kind="Team",result="success"}')
    )
    assert.match(metrics, /^litellm_operator_leader 1$/m)
    assert.match(metrics, /^litellm_operator_informer_lists_total\{resource="teams",selector=""\} [1-9]/m)
    assert.match(metrics, /^litellm_operator_informer_last_sync_timestamp_seconds\{resource="teams",selector=""\} \d/m)
    assert.notMatch(metrics, /^litellm_operator_objects_not_ready\{kind="Team",[^}]*\} [1-9]/m)

    operator.child.kill("SIGTERM")
    const code = yield* operator.exited.pipe(Effect.timeout("30 seconds"))
    assert.strictEqual(code, 0, operator.stderr())
    const released = yield* kube.get(Leases, { namespace, name: "litellm-operator" })
    assert.isTrue(
      (released.spec?.holderIdentity ?? "") === "" || released.spec?.leaseDurationSeconds === 1,
      JSON.stringify(released.spec)
    )

    // JSON logs, one object per line, at the configured level; never the master key.
    const lines = operator
      .stdout()
      .split("\n")
      .filter((l) => l.trim() !== "")
    assert.isAbove(lines.length, 3)
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line)
    assert.isTrue(lines.some((l) => l.includes('"level":"DEBUG"')))
    assert.isTrue(lines.some((l) => l.includes("released the lease")))
    assert.notInclude(operator.stdout() + operator.stderr(), MASTER_KEY)
  })

/** main.ts as one replica of `namespace`'s operator. */
const replica = (namespace: string, identity: string, port: number) =>
  spawnNode(
    MAIN,
    [
      "--kubeconfig",
      inject("kubeconfig"),
      "--namespace",
      namespace,
      "--lease-namespace",
      namespace,
      "--identity",
      identity,
      `--http-port=${port}`
    ],
    { LOG_LEVEL: "Info", WATCH_NAMESPACE: undefined, KUBECONFIG: undefined }
  )

describe("the operator process", () => {
  layer(harnessLayer(23), { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("main.ts becomes ready, reconciles, and on SIGTERM exits 0 with the Lease released", () => scenario(MAIN))

    it.effect(
      "two replicas: the standby is ready but idle, takes over at once when the leader stops, and exits 1 when it loses the Lease",
      () =>
        Effect.gen(function* () {
          const kube = yield* KubeClient
          const namespace = yield* freshNamespace("replicas")
          yield* createConnectionSecret(namespace)
          const leaseKey = { namespace, name: "litellm-operator" }
          const [portA, portB] = [yield* freePort, yield* freePort]
          const a = yield* replica(namespace, "replica-a", portA)
          yield* eventually("A ready", status(`http://127.0.0.1:${portA}/readyz`), (s) => s === 200)
          const b = yield* replica(namespace, "replica-b", portB)
          // B stands by: its leadership is known, so it is ready, but A holds the Lease and reconciles.
          yield* eventually("B ready", status(`http://127.0.0.1:${portB}/readyz`), (s) => s === 200)
          assert.strictEqual((yield* kube.get(Leases, leaseKey)).spec?.holderIdentity, "replica-a")
          assert.notInclude(b.stdout(), "starting the controllers")
          assert.match(yield* scrape(portB), /^litellm_operator_leader 0$/m)
          assert.match(yield* scrape(portA), /^litellm_operator_leader 1$/m)

          // A stops and releases the Lease: B takes over without waiting out the lease duration.
          a.child.kill("SIGTERM")
          assert.strictEqual(yield* a.exited.pipe(Effect.timeout("30 seconds")), 0, a.stderr())
          yield* eventually(
            "B leads",
            kube.get(Leases, leaseKey),
            (l) => l.spec?.holderIdentity === "replica-b",
            "5 seconds"
          )
          yield* kube.create(Teams, team(namespace, "after-handover"))
          yield* eventually("Team Ready", kube.get(Teams, { namespace, name: "after-handover" }), (t) =>
            isReady(t.status)
          )
          assert.match(yield* scrape(portB), /^litellm_operator_leader 1$/m)

          // Someone else takes the Lease and keeps it: B cannot renew, says so, and exits 1.
          const intruder = Effect.gen(function* () {
            const lease = yield* kube.get(Leases, leaseKey)
            const now = microTime(Date.now())
            yield* kube.replace(Leases, {
              ...lease,
              spec: { ...lease.spec, holderIdentity: "intruder", renewTime: now, leaseDurationSeconds: 15 }
            })
          }).pipe(Effect.ignore, Effect.repeat(Schedule.spaced("500 millis")))
          const code = yield* Effect.raceFirst(b.exited, Effect.andThen(intruder, Effect.never)).pipe(
            Effect.timeout("40 seconds")
          )
          assert.strictEqual(code, 1, b.stdout())
          assert.include(b.stdout(), "lost the lease")
        }),
      60_000
    )

    it.effect("so does the bundle the image ships (pnpm run build), run by plain node", () =>
      Effect.gen(function* () {
        const dir = yield* Effect.acquireRelease(
          Effect.sync(() => mkdtempSync(join(tmpdir(), "operator-bundle-"))),
          (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
        )
        const bundle = join(dir, "operator.mjs")
        yield* Effect.promise(() => bundleOperator(bundle))
        yield* scenario(bundle)
      })
    )
  })
})
