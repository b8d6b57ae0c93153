/**
 * Runs the whole operator in-process against the test control plane and the
 * LiteLLM simulator, in a namespace of its own, and gives tests ways to act
 * and to wait for what they expect.
 */

import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type { TeamStatus } from "@litellm-operator/core"
import { readyOf } from "@litellm-operator/core"
import { EventRecorder, KubeClient } from "@litellm-operator/k8s"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Duration, Effect, Layer, Logger, Random, Redacted, References, Schedule } from "effect"
import { inject } from "vitest"
import type { OperatorOptions } from "../../src/Operator.ts"
import { runOperator } from "../../src/Operator.ts"
import { Readiness } from "../../src/observability/Readiness.ts"
import { type ConnectionOptions, LiteLLMConnections } from "../../src/reconcile/LiteLLMConnections.ts"
import { createConnectionSecretFor, createNamespace } from "./population.ts"

export const MASTER_KEY = "sk-e2e-master-7Hq2LmVx9RtK4wPz"
export const masterKey = Redacted.make(MASTER_KEY)

/** Everything the operator needs, plus the simulator, for one test file. */
export const harnessLayer = (seed: number) =>
  Layer.mergeAll(EventRecorder.layer({ reportingInstance: "e2e" }), LiteLLMConnections.layer, Readiness.layer).pipe(
    Layer.provideMerge(Layer.suspend(() => KubeClient.layerFromFile(inject("kubeconfig")))),
    Layer.provideMerge(NodeHttpClient.dispatcherLayerGlobal),
    Layer.provideMerge(Simulator.layer({ masterKey, seed }))
  )

export const operatorOptions = (namespace: string, overrides: Partial<OperatorOptions> = {}): OperatorOptions => ({
  namespace,
  workers: 2,
  resyncPeriod: Duration.seconds(2),
  resyncJitter: 0.1,
  reconcileTimeout: Duration.seconds(30),
  instanceUrlTemplate: "http://{name}-service.{namespace}.svc:4000",
  blockedRetry: Duration.seconds(1),
  installation: "e2e",
  refusedRetry: Duration.minutes(10),
  deniedRetry: Duration.seconds(2),
  ...overrides
})

/** A namespace of the test's own (namespaces never finish deleting without a controller manager). */
export const freshNamespace = Effect.fn("freshNamespace")(function* (prefix: string) {
  return yield* createNamespace(
    `${prefix}-${(yield* Random.nextIntBetween(0, 0xffffff)).toString(16).padStart(6, "0")}`
  )
})

/** The connection Secret pointing at the simulator. */
export const createConnectionSecret = Effect.fn("createConnectionSecret")(function* (
  namespace: string,
  name = "litellm",
  annotations: Readonly<Record<string, string>> = {}
) {
  yield* createConnectionSecretFor(namespace, { url: (yield* Simulator).url, masterKey }, name, annotations)
})

/** Every log line the operators of this test file wrote, as JSON, at every level. */
export const capturedLogs: Array<string> = []
const captureLogs = Logger.layer([Logger.map(Logger.formatJson, (line) => void capturedLogs.push(line))])

/**
 * Starts the operator for the namespace; it stops with the test's scope.
 * Reads go through list snapshots up to half a resync period old, as in
 * production, taken from the first read on (tests have few objects).
 */
export const startOperator = (
  namespace: string,
  overrides: Partial<OperatorOptions> = {},
  /** Of its LiteLLM clients: e.g. a shorter timeout. */
  connections: ConnectionOptions = {}
) =>
  Effect.forkScoped(
    Effect.andThen(runOperator(operatorOptions(namespace, overrides)), Effect.never).pipe(
      // One per operator process, as in production: its memory of connections dies with it.
      Effect.provide(
        Layer.fresh(
          LiteLLMConnections.layerWith({
            listMaxAge: Duration.divideUnsafe(operatorOptions(namespace, overrides).resyncPeriod, 2),
            listMinDemand: 1,
            ...connections
          })
        )
      ),
      Effect.provide(captureLogs),
      Effect.provideService(References.MinimumLogLevel, "Trace")
    )
  )

/** Polls until `check` succeeds with a value `accept` takes, or fails after `timeout`. */
export const eventually = <A, E, R>(
  what: string,
  check: Effect.Effect<A, E, R>,
  accept: (a: A) => boolean,
  timeout: Duration.Input = "30 seconds"
) =>
  check.pipe(
    Effect.flatMap((a) => (accept(a) ? Effect.succeed(a) : Effect.fail("not yet" as const))),
    Effect.retry(Schedule.spaced("100 millis")),
    Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.die(new Error(`timed out waiting for: ${what}`)) })
  )

export const isReady = (status: { readonly conditions?: TeamStatus["conditions"] } | undefined): boolean =>
  readyOf(status?.conditions)?.status === "True"
