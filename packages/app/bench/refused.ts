/**
 * What objects that LiteLLM refuses for good cost: 5 VirtualKeys whose alias
 * another key already has (LiteLLM: 400) and 5 with an Enterprise-only field
 * (403), reconciled by the operator with its production settings (5 minute
 * resync, 4 workers, the default refused-retry period) against its own
 * kube-apiserver and the simulator, for a fixed time. Prints the LiteLLM calls
 * by endpoint and per object.
 *
 *   . scripts/bootstrap.sh && node packages/app/bench/refused.ts --minutes 10
 */
import { parseArgs } from "node:util"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { EventRecorder, KubeClient, KubeTransport, VirtualKeys } from "@litellm-operator/k8s"
import { installCrds, LocalControlPlane } from "@litellm-operator/k8s/local"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Console, Duration, Effect, Layer, Redacted } from "effect"
import { runOperator } from "../src/Operator.ts"
import { Readiness } from "../src/observability/Readiness.ts"
import { LiteLLMConnections } from "../src/reconcile/LiteLLMConnections.ts"
import { createConnectionSecretFor, createNamespace, sumCalls } from "../test/support/population.ts"

const { values } = parseArgs({ options: { minutes: { type: "string", default: "10" } } })
const minutes = Number(values.minutes)
const masterKey = Redacted.make("sk-bench-master-0123456789abcdef")

const program = Effect.gen(function* () {
  const kube = yield* KubeClient
  const sim = yield* Simulator
  const namespace = yield* createNamespace("refused")
  yield* createConnectionSecretFor(namespace, { url: sim.url, masterKey })
  const connectionRef = { secretRef: { name: "litellm" } }
  // The alias the refused keys ask for belongs to a key made in LiteLLM by hand.
  yield* Effect.promise(() =>
    fetch(`${sim.url}/key/generate`, {
      method: "POST",
      headers: { authorization: `Bearer ${Redacted.value(masterKey)}`, "content-type": "application/json" },
      body: JSON.stringify({ key_alias: "taken" })
    })
  )
  yield* Effect.forkScoped(
    runOperator({
      namespace,
      workers: 4,
      resyncPeriod: Duration.minutes(5),
      resyncJitter: 0.1,
      reconcileTimeout: Duration.minutes(2),
      instanceUrlTemplate: "http://{name}-service.{namespace}.svc:4000",
      blockedRetry: Duration.seconds(30),
      installation: "bench",
      refusedRetry: Duration.minutes(10),
      deniedRetry: Duration.minutes(5)
    })
  )
  yield* sim.resetCalls
  for (let i = 0; i < 5; i++) {
    yield* kube.create(VirtualKeys, {
      metadata: { namespace, name: `taken-${i}` },
      spec: { connectionRef, keyAlias: "taken" }
    })
    yield* kube.create(VirtualKeys, {
      metadata: { namespace, name: `enterprise-${i}` },
      spec: { connectionRef, keyAlias: `enterprise-${i}`, guardrails: ["pii"] }
    })
  }
  yield* Effect.sleep(Duration.minutes(minutes))
  const calls = yield* sim.calls
  const { total, writes } = sumCalls(calls)
  const objects = 10
  yield* Console.log(`refused objects: ${objects} (5 taken aliases, 5 Enterprise-only fields), ${minutes} min`)
  yield* Console.log(`LiteLLM calls: ${total} (${(total / objects).toFixed(1)} per object), writes ${writes}`)
  for (const [endpoint, n] of Object.entries(calls).sort()) yield* Console.log(`  ${endpoint}: ${n}`)
})

const layer = Layer.mergeAll(
  EventRecorder.layer({ reportingInstance: "bench" }),
  LiteLLMConnections.layer,
  Readiness.layer
).pipe(
  Layer.provideMerge(
    Layer.unwrap(
      Effect.gen(function* () {
        const { kubeconfig } = yield* LocalControlPlane
        yield* installCrds(kubeconfig).pipe(Effect.provide(KubeTransport.layerFromFile(kubeconfig)))
        return KubeClient.layerFromFile(kubeconfig)
      })
    )
  ),
  Layer.provideMerge(LocalControlPlane.layer()),
  Layer.provideMerge(NodeHttpClient.dispatcherLayerGlobal),
  Layer.provideMerge(Simulator.layer({ masterKey, seed: 5 }))
)

NodeRuntime.runMain(program.pipe(Effect.scoped, Effect.provide(layer)))
