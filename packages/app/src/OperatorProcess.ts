/**
 * The operator as a process: from its configuration to the running
 * controllers, with everything around them — the Kubernetes client, Events,
 * one LiteLLM client per connection, the ops server (/healthz, /readyz,
 * /metrics), and leader election.
 *
 * With leader election the controllers start only once this replica leads;
 * a standby replica is ready (its leadership is known) and waits. Losing
 * leadership fails the program with `LeadershipLost`, so the process exits
 * non-zero and Kubernetes restarts it as a fresh candidate. When the program
 * is interrupted (SIGTERM), the controllers finish their in-flight reconciles
 * first, then the Lease is released, then the ops server and the client close.
 */
import { createServer } from "node:http"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { EventRecorder, KubeClient, LeaderElection, Leases } from "@litellm-operator/k8s"
import { Duration, Effect, Fiber, Layer, Metric, Option, Schedule, Schema } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import type { OperatorConfig } from "./config/OperatorConfig.ts"
import type { OperatorOptions } from "./Operator.ts"
import { runOperator } from "./Operator.ts"
import { isLeader } from "./observability/OperatorMetrics.ts"
import { opsRoutes } from "./observability/OpsServer.ts"
import { Readiness } from "./observability/Readiness.ts"
import { LiteLLMConnections } from "./reconcile/LiteLLMConnections.ts"
import { heapCompactionLayer } from "./runtime/HeapCompaction.ts"

/** Leadership was held and then lost (not renewed within the deadline). */
export class LeadershipLost extends Schema.TaggedError<LeadershipLost>()("LeadershipLost", {
  message: Schema.String
}) {}

export interface OperatorProcessOptions {
  /** This replica's identity in the Lease and in Events. */
  readonly identity: string
  /** Called once the ops server listens, with its base URL (useful with port 0). */
  readonly onListening?: (url: string) => Effect.Effect<void>
}

const leaderComponent = "leader-election"

/** The controllers' settings from the configuration. */
export const operatorOptionsOf = (config: OperatorConfig): OperatorOptions => ({
  // An empty WATCH_NAMESPACE (as the chart renders it for cluster scope) means every namespace.
  namespace: Option.getOrUndefined(Option.filter(config.namespace, (ns) => ns.trim() !== "")),
  workers: config.workers,
  resyncPeriod: config.resyncPeriod,
  resyncJitter: 0.1,
  // Room for a few LiteLLM calls, each with its own timeout and retries.
  reconcileTimeout: Duration.max(Duration.minutes(2), Duration.times(config.litellmTimeout, 6)),
  instanceUrlTemplate: config.instanceUrlTemplate,
  blockedRetry: Duration.seconds(30),
  installation: config.installationId,
  refusedRetry: config.refusedRetryPeriod,
  deniedRetry: config.resyncPeriod
})

/**
 * Ready once leadership is known: this replica leads (marked by the caller
 * after the controllers started), or another live holder has the Lease and
 * this one stands by.
 */
const watchStandby = (config: OperatorConfig, identity: string) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const readiness = yield* Readiness
    const key = { namespace: config.leaseNamespace, name: config.leaseName }
    const standingBy = kube.get(Leases, key).pipe(
      Effect.map((lease) => {
        const holder = lease.spec?.holderIdentity ?? ""
        return holder !== "" && holder !== identity
      }),
      Effect.orElseSucceed(() => false)
    )
    yield* standingBy.pipe(
      Effect.repeat({ schedule: Schedule.spaced("1 second"), until: (yes) => yes }),
      Effect.andThen(readiness.ready(leaderComponent))
    )
  })

const runWithLeaderElection = (config: OperatorConfig, identity: string, options: OperatorOptions) =>
  Effect.gen(function* () {
    const election = yield* LeaderElection
    const readiness = yield* Readiness
    const standby = yield* Effect.forkScoped(watchStandby(config, identity))
    yield* Metric.update(isLeader, 0)
    yield* election.awaitLeadership
    yield* Metric.update(isLeader, 1)
    yield* Fiber.interrupt(standby)
    yield* Effect.logInfo("leading: starting the controllers")
    yield* runOperator(options)
    yield* readiness.ready(leaderComponent)
    yield* election.leadershipLost
    yield* Metric.update(isLeader, 0)
    yield* readiness.unready(leaderComponent)
    return yield* new LeadershipLost({
      message: `${identity} lost the lease ${config.leaseNamespace}/${config.leaseName}; exiting so that a fresh replica campaigns`
    })
  }).pipe(
    // Inside the election's layer: the controllers' scope closes before the Lease is released.
    Effect.scoped,
    Effect.provide(
      LeaderElection.layer({
        namespace: config.leaseNamespace,
        name: config.leaseName,
        identity,
        releaseOnCancel: true
      })
    )
  )

/** Runs the operator until interrupted (or, with leader election, until leadership is lost). */
export const runOperatorProcess = (config: OperatorConfig, run: OperatorProcessOptions) => {
  const kube = Option.match(config.kubeconfig, {
    onNone: () => KubeClient.layerDefault,
    onSome: (path) => KubeClient.layerFromFile(path)
  })
  const opsServer = HttpRouter.serve(opsRoutes, { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: config.httpPort }))
  )
  const services = Layer.mergeAll(
    EventRecorder.layer({ reportingInstance: run.identity }),
    LiteLLMConnections.layerWith({ timeout: config.litellmTimeout, listMaxAge: config.listMaxAge }).pipe(
      // One undici connection pool for every LiteLLM, closed with the process.
      Layer.provide(NodeHttpClient.layerDispatcher)
    ),
    opsServer,
    // With --expose-gc (the chart's NODE_OPTIONS): the heap a burst filled is given back once it is over.
    heapCompactionLayer
  ).pipe(
    Layer.provideMerge(Layer.mergeAll(kube, Readiness.layer)),
    // Its own instances, even when the caller built the same layers (Effect memoizes layers across provides):
    // the operator's client must not be one whose scope ends before the operator's does.
    Layer.fresh
  )

  const options = operatorOptionsOf(config)
  return Effect.gen(function* () {
    const url = HttpServer.formatAddress((yield* HttpServer.HttpServer).address)
    yield* Effect.logInfo(`ops server on ${url} (/healthz, /readyz, /metrics)`)
    if (run.onListening !== undefined) yield* run.onListening(url)
    yield* Effect.logInfo(
      `operator ${run.identity} starting: ${options.namespace === undefined ? "all namespaces" : `namespace ${options.namespace}`}, ` +
        `${options.workers} workers per kind, resync every ${Duration.format(options.resyncPeriod)}`
    )
    if (!config.leaderElect) {
      yield* Metric.update(isLeader, 1)
      yield* Effect.scoped(Effect.andThen(runOperator(options), Effect.never))
      return
    }
    yield* (yield* Readiness).expect(leaderComponent)
    yield* runWithLeaderElection(config, run.identity, options)
  }).pipe(Effect.provide(services))
}
