/**
 * Traces: main.ts as a child process with OTEL_EXPORTER_OTLP_ENDPOINT pointed
 * at a receiver this test runs exports the spans of its reconciles — a
 * VirtualKey's reconcile span with its LiteLLM and Kubernetes calls below it,
 * in one trace — and no exported byte holds the master key or the key it
 * generated.
 */
import { assert, describe, layer } from "@effect/vitest"
import { KubeClient, Teams, VirtualKeys } from "@litellm-operator/k8s"
import { Effect, Redacted } from "effect"
import { inject } from "vitest"
import { spawnOperator } from "./support/childProcess.ts"
import {
  createConnectionSecret,
  eventually,
  freshNamespace,
  harnessLayer,
  isReady,
  MASTER_KEY
} from "./support/operatorHarness.ts"
import { descendantsOf, spansOf, startOtlpReceiver } from "./support/otlpReceiver.ts"

const connectionRef = { secretRef: { name: "litellm" } }

describe("traces", () => {
  layer(harnessLayer(41), { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("a reconcile's span reaches an OTLP receiver with its LiteLLM and Kubernetes calls, and no secret", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const namespace = yield* freshNamespace("traces")
        yield* createConnectionSecret(namespace)
        const receiver = yield* startOtlpReceiver
        const operator = yield* spawnOperator(
          ["--kubeconfig", inject("kubeconfig"), "--namespace", namespace, "--leader-elect=false"],
          {
            env: {
              OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
              OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
              OTEL_SERVICE_NAME: "operator-under-test",
              OTEL_BSP_SCHEDULE_DELAY: "200"
            }
          }
        )
        yield* operator.ready()

        const team = yield* kube.create(Teams, {
          metadata: { namespace, name: "search" },
          spec: { connectionRef, teamAlias: "search" }
        })
        const teamId = (yield* eventually(
          "Team Ready",
          kube.get(Teams, { namespace, name: team.metadata.name }),
          (t) => isReady(t.status) && t.status?.teamID !== undefined
        )).status?.teamID
        yield* kube.create(VirtualKeys, {
          metadata: { namespace, name: "app" },
          spec: { connectionRef, keyAlias: "app", ...(teamId === undefined ? {} : { teamID: teamId }) }
        })
        const key = yield* eventually("VirtualKey Ready", kube.get(VirtualKeys, { namespace, name: "app" }), (k) =>
          isReady(k.status)
        )
        const secret = yield* kube.readSecret({ namespace, name: key.status?.keySecretRef ?? "" })
        const generated = Redacted.value(secret.data?.key ?? Redacted.make(""))
        assert.match(generated, /^sk-/)

        // The reconcile that minted the key: its LiteLLM calls and Kubernetes writes are below it, in its trace.
        const minted = yield* eventually(
          "a VirtualKey reconcile span with its calls",
          Effect.sync(() => {
            const spans = spansOf(receiver.requests)
            return spans
              .filter((s) => s.name === "VirtualKey.reconcile")
              .map((root) => ({ root, below: descendantsOf(spans, root) }))
              .find(({ below }) => below.some((s) => s.name === "LiteLLMClient.keyGenerate"))
          }),
          (found) => found !== undefined
        )
        assert.isDefined(minted)
        if (minted === undefined) return
        const names = new Set(minted.below.map((s) => s.name))
        assert.isTrue(
          [...names].some((n) => n.startsWith("KubeClient.")),
          `Kubernetes calls below the reconcile: ${[...names].join(", ")}`
        )
        assert.isTrue(names.has("syncKey"), [...names].join(", "))
        // The HTTP request to LiteLLM itself, with its headers as attributes (the master key's Authorization redacted).
        assert.isTrue(names.has("POST"), [...names].join(", "))
        assert.strictEqual(minted.root.serviceName, "operator-under-test")
        assert.deepStrictEqual(
          minted.root.attributes?.find((a) => a.key === "key")?.value.stringValue,
          `${namespace}/app`
        )
        // Every span of the trace is in it: no orphan LiteLLM call started a trace of its own.
        const traceIds = new Set(
          spansOf(receiver.requests)
            .filter((s) => s.name === "LiteLLMClient.keyGenerate")
            .map((s) => s.traceId)
        )
        assert.isTrue(traceIds.has(minted.root.traceId))

        // Nothing exported holds a secret: not in a span's attributes, events or anywhere else in the bytes.
        yield* operator.stop
        assert.isAbove(receiver.requests.length, 0)
        for (const request of receiver.requests) {
          assert.strictEqual(request.path, "/v1/traces")
          assert.include(request.contentType, "application/json")
          const body = request.body.toString("utf8")
          assert.notInclude(body, MASTER_KEY)
          assert.notInclude(body, generated)
        }
      })
    )
  })
})
