/**
 * Load benchmarks of the whole operator: the production entry (src/main.ts)
 * as a child process against a real kube-apiserver (the local control plane)
 * and the LiteLLM simulator with simulated latency, which runs here in the
 * parent. What is measured:
 *
 * - converge: objects already in the API server, the operator started; the
 *   time until every object is Ready for its current generation (the parent
 *   watches them through informers), and the LiteLLM calls it took;
 * - steady state: a converged namespace under an operator with a short
 *   resync period; LiteLLM calls and API-server writes (every watch event on
 *   the four kinds, Secrets and Events) over several periods, per reconcile
 *   (= per object per resync), scaled to the default period of 5 minutes;
 * - memory: the operator's RSS (and peak) once a namespace of N objects has
 *   converged; and whether unrelated Secrets in the namespace change it
 *   (`unrelatedSecrets`: the same namespace measured before and after adding
 *   them, each time a restarted operator, settled, after a full GC).
 *
 * API-server requests (by verb and resource, from the API server's own
 * /metrics) are counted while converging and in steady state, e.g. the
 * `GET secrets` that reading Secrets from caches should avoid.
 */

import { randomBytes } from "node:crypto"
import { closeSync, openSync, readFileSync, readSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { KubeObject, ResourceType } from "@litellm-operator/k8s"
import {
  Events,
  KubeClient,
  KubeTransport,
  makeInformer,
  ObjectMeta,
  Secrets,
  TeamMemberAssociations,
  Teams,
  Users,
  VirtualKeys
} from "@litellm-operator/k8s"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Duration, Effect, Exit, Option, Random, Redacted, Ref, Schedule, Schema, Stream } from "effect"
import { managedByLabels } from "../src/reconcile/keyMaterial.ts"
import type { OperatorProcess } from "../test/support/childProcess.ts"
import { cpuSecondsOf, memoryOf, spawnCommand, spawnOperator } from "../test/support/childProcess.ts"
import type { Counts } from "../test/support/population.ts"
import { namespaceWithConnection, populate, sumCalls, total } from "../test/support/population.ts"
import { freePort } from "../test/support/processes.ts"
import type { OperatorCommand } from "./externalOperator.ts"
import { controllerRuntimeWork, servesMetrics, withPorts } from "./externalOperator.ts"
import { byLabel, workByLabel } from "./prometheusText.ts"

/** A quoted string value under `operator:` in the chart's deploy/chart/values.yaml. */
export const chartValue = (name: string): string => {
  const values = readFileSync(join(import.meta.dirname, "..", "..", "..", "deploy", "chart", "values.yaml"), "utf8")
  const line = new RegExp(`^\\s+${name}:\\s*"([^"]*)"`, "m").exec(values)
  if (line === null) throw new Error(`deploy/chart/values.yaml has no operator.${name}`)
  return line[1] ?? ""
}

/** The chart's memory limit for the operator (`resources.limits.memory`), in MiB. */
const chartMemoryLimitMiB = (): number => {
  const values = readFileSync(join(import.meta.dirname, "..", "..", "..", "deploy", "chart", "values.yaml"), "utf8")
  const limit = /^\s+limits:\s*\n\s+memory:\s*(\d+)Mi\s*$/m.exec(values)
  if (limit === null) throw new Error("deploy/chart/values.yaml has no resources.limits.memory in Mi")
  return Number(limit[1])
}

/**
 * Node options as they act in the chart's container: `--max-old-space-size-percentage` sizes the
 * heap from the container's memory limit (its cgroup), which a benchmark's process does not have,
 * so it is given as the `--max-old-space-size` it comes to under the chart's limit.
 */
export const inChartContainer = (options: ReadonlyArray<string>): ReadonlyArray<string> =>
  options.map((option) => {
    const percentage = /^--max-old-space-size-percentage=(\d+(?:\.\d+)?)%?$/.exec(option)
    return percentage === null
      ? option
      : `--max-old-space-size=${Math.floor((chartMemoryLimitMiB() * Number(percentage[1])) / 100)}`
  })

/**
 * The environment the chart gives the operator besides its flags (`operator.mallocArenaMax`,
 * `operator.mallocMmapThreshold`), so that what is measured is what a cluster runs.
 */
const chartEnv: Readonly<Record<string, string>> = (() => {
  const arenas = chartValue("mallocArenaMax")
  const mmapThreshold = chartValue("mallocMmapThreshold")
  return {
    ...(arenas === "" ? {} : { MALLOC_ARENA_MAX: arenas }),
    ...(mmapThreshold === "" ? {} : { MALLOC_MMAP_THRESHOLD_: mmapThreshold })
  }
})()

/** The issue's population: 1,000 VirtualKeys, 100 Teams, 300 Users with their own key, 300 associations. */
export const standardMix: Counts = { keys: 1000, teams: 100, users: 300, associations: 300 }

/** The standard mix's proportions for `n` objects (associations never outnumber users). */
export const mixOf = (n: number): Counts => {
  const teams = Math.max(1, Math.round(n / 17))
  const users = Math.max(1, Math.round((3 * n) / 17))
  const associations = Math.max(0, Math.min(users, Math.round((3 * n) / 17)))
  return { teams, users, associations, keys: Math.max(0, n - teams - users - associations) }
}

export const scaled = (counts: Counts, factor: number): Counts => ({
  keys: Math.round(counts.keys * factor),
  teams: Math.max(1, Math.round(counts.teams * factor)),
  users: Math.max(1, Math.round(counts.users * factor)),
  associations: Math.round(counts.associations * factor)
})

/** The simulator's master key (a benchmark value, not a secret). */
export const masterKey = Redacted.make("sk-bench-master-0123456789abcdef")

/**
 * The operator runs as a ServiceAccount of its own (bound to cluster-admin, as
 * the benchmark's admin client is all-powerful too), not with the admin
 * client certificate the benchmark uses: the API server's audit log then
 * tells the operator's requests from the benchmark's own and from the API
 * server's requests to itself (its loopback client, user `system:apiserver`,
 * sends `GET /openapi/v3` every 5 s and renews its identity lease every
 * 10 s: the only requests left in a steady-state window by /metrics, which
 * has no client label).
 */
export const operatorAccount = { namespace: "default", name: "litellm-operator-bench" } as const
const operatorUser = `system:serviceaccount:${operatorAccount.namespace}:${operatorAccount.name}`

/** An audit policy (JSON is YAML) that records the operator's requests, without bodies, and nothing else. */
export const auditPolicy = JSON.stringify({
  apiVersion: "audit.k8s.io/v1",
  kind: "Policy",
  omitStages: ["RequestReceived"],
  rules: [{ level: "Metadata", users: [operatorUser] }, { level: "None" }]
})

const TokenRequestAnswer = Schema.fromJsonString(Schema.Struct({ status: Schema.Struct({ token: Schema.String }) }))

/**
 * Creates the operator's ServiceAccount and binding, asks for a token and
 * writes a kubeconfig with it to `path` (the cluster's CA from the launcher's
 * data directory).
 */
export const operatorIdentity = Effect.fn("operatorIdentity")(function* (
  cluster: { readonly server: string; readonly dataDir: string },
  path: string
) {
  const kube = yield* KubeTransport
  const { namespace, name } = operatorAccount
  yield* kube.request({
    method: "POST",
    path: `/api/v1/namespaces/${namespace}/serviceaccounts`,
    body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name } }
  })
  yield* kube.request({
    method: "POST",
    path: "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
    body: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name, namespace }]
    }
  })
  const answer = yield* kube.request({
    method: "POST",
    path: `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 48 * 3600 } },
    sensitive: true
  })
  const { status } = yield* Schema.decodeUnknownEffect(TokenRequestAnswer)(answer)
  const kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "bench",
        cluster: { server: cluster.server, "certificate-authority": join(cluster.dataDir, "pki", "ca.crt") }
      }
    ],
    users: [{ name: "operator", user: { token: status.token } }],
    contexts: [{ name: "bench", context: { cluster: "bench", user: "operator", namespace: "default" } }],
    "current-context": "bench"
  }
  yield* Effect.sync(() => writeFileSync(path, JSON.stringify(kubeconfig), { mode: 0o600 }))
  return path
})

/** The audit log's length so far: where a window of `operatorRequestsSince` starts. */
export const auditMark = (log: string | undefined) =>
  Effect.sync(() => {
    if (log === undefined) return 0
    try {
      return statSync(log).size
    } catch {
      return 0
    }
  })

const AuditEvent = Schema.fromJsonString(
  Schema.Struct({
    stage: Schema.String,
    verb: Schema.String,
    requestURI: Schema.String,
    user: Schema.Struct({ username: Schema.String }),
    objectRef: Schema.optionalKey(
      Schema.Struct({
        resource: Schema.optionalKey(Schema.String),
        subresource: Schema.optionalKey(Schema.String)
      })
    )
  })
)
const decodeAuditEvent = Schema.decodeUnknownOption(AuditEvent)

/** Kubernetes verbs as /metrics' `apiserver_request_total` spells them (HTTP methods, LIST and WATCH). */
const metricVerb: Readonly<Record<string, string>> = {
  get: "GET",
  list: "LIST",
  watch: "WATCH",
  create: "POST",
  update: "PUT",
  patch: "PATCH",
  delete: "DELETE",
  deletecollection: "DELETE"
}

/**
 * The operator's requests recorded in the audit log after `mark`, by `VERB
 * resource[/subresource]` (or `VERB /path` for a non-resource URL), as
 * `apiServerRequests` keys them. A watch counts once, when it starts (its
 * event at ResponseStarted); every other request at ResponseComplete.
 */
export const operatorRequestsSince = (log: string | undefined, mark: number) =>
  Effect.gen(function* () {
    if (log === undefined) return undefined
    // The log backend writes each event as its request completes; give the last ones a moment.
    yield* Effect.sleep("1 second")
    const text = yield* Effect.sync(() => {
      const fd = openSync(log, "r")
      try {
        const size = statSync(log).size
        const buffer = Buffer.alloc(Math.max(0, size - mark))
        readSync(fd, buffer, 0, buffer.length, mark)
        return buffer.toString("utf8")
      } finally {
        closeSync(fd)
      }
    })
    const out: Record<string, number> = {}
    for (const line of text.split("\n")) {
      if (line === "") continue
      const event = Option.getOrUndefined(decodeAuditEvent(line))
      if (event === undefined || event.user.username !== operatorUser) continue
      const counted = event.verb === "watch" ? event.stage === "ResponseStarted" : event.stage === "ResponseComplete"
      if (!counted) continue
      const verb = metricVerb[event.verb] ?? event.verb.toUpperCase()
      const resource = event.objectRef?.resource
      const what =
        resource === undefined
          ? (event.requestURI.split("?")[0] ?? "")
          : `${resource}${event.objectRef?.subresource === undefined ? "" : `/${event.objectRef.subresource}`}`
      const key = `${verb} ${what}`
      out[key] = (out[key] ?? 0) + 1
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)))
  })

export interface Environment {
  /** The operator's kubeconfig: the benchmark's ServiceAccount (`operatorIdentity`), so the audit log tells its requests apart. */
  readonly kubeconfig: string
  /** The API server's audit log of the operator's requests (`auditPolicy`); undefined: not kept. */
  readonly auditLog?: string | undefined
  /** The operator's entry: the production bundle (what the image ships) or src/main.ts. */
  readonly entry: string
  /** Node options the operator runs with unless a run says otherwise: the chart's `nodeOptions`. */
  readonly nodeOptions: ReadonlyArray<string>
  /** Operator flags added to every run (e.g. `--list-max-age 0s`). */
  readonly operatorFlags: ReadonlyArray<string>
  /** `--operator-command`: another operator's program instead of ours (the live creation only; see externalOperator.ts). */
  readonly operatorCommand?: OperatorCommand | undefined
}

const seconds = (ms: number) => ms / 1000

/** A fresh namespace name for a scenario. */
const freshName = (prefix: string) =>
  Effect.map(Random.nextIntBetween(0, 0xffffff), (n) => `${prefix}-${n.toString(16).padStart(6, "0")}`)

/**
 * What the readiness check reads of an object: its generation and its Ready
 * condition, whatever else its spec and status hold (the Go operator's objects
 * are not in our schema: its associations name `teamRef`/`userRef`).
 */
const ReadinessView = Schema.Struct({
  apiVersion: Schema.String,
  kind: Schema.String,
  metadata: Schema.Struct({ ...ObjectMeta.fields, generation: Schema.Int }),
  status: Schema.optionalKey(
    Schema.Struct({
      conditions: Schema.optionalKey(
        Schema.Array(
          Schema.Struct({
            type: Schema.String,
            status: Schema.String,
            observedGeneration: Schema.optionalKey(Schema.Int)
          })
        )
      )
    })
  )
})
type ReadinessView = typeof ReadinessView.Type

const viewOf = (kind: string, plural: string): ResourceType<ReadinessView, unknown> => ({
  group: "auth.litellm.ai",
  version: "v1alpha1",
  kind,
  plural,
  schema: ReadinessView
})
const readinessViews = [
  viewOf("Team", "teams"),
  viewOf("User", "users"),
  viewOf("VirtualKey", "virtualkeys"),
  viewOf("TeamMemberAssociation", "teammemberassociations")
]

/** Ready, for the object's current generation (a Ready about an older spec is not convergence). */
const isReady = (o: ReadinessView): boolean => {
  const ready = o.status?.conditions?.find((c) => c.type === "Ready")
  return ready?.status === "True" && ready.observedGeneration === o.metadata.generation
}

/**
 * Counts the objects of the four kinds in a namespace, and how many are Ready, from informers of the parent's own.
 * `latched`: an object counts once it has been Ready for its current generation, even if it is not at this poll.
 * For the Go operator, which sets Ready=False (reason Reconciling) at the start of every reconcile, its
 * periodic one every 60 s included, and Ready=True again at its end: with one worker per kind, some object
 * is nearly always in that window once the first objects come round again, so "all Ready at one poll"
 * would time the luck of a poll, not convergence.
 */
const readiness = Effect.fn("readiness")(function* (namespace: string, latched = false) {
  const informers = yield* Effect.forEach(readinessViews, (view) => makeInformer(view, { namespace }))
  yield* Effect.forEach(informers, (i) => i.synced, { discard: true })
  const seen = new Set<string>()
  return Effect.gen(function* () {
    let all = 0
    let ready = 0
    let readyNow = 0
    for (const informer of informers) {
      const objects = yield* informer.list(namespace)
      all += objects.length
      for (const o of objects) {
        const now = isReady(o)
        if (now) readyNow++
        if (!latched) continue
        const key = `${o.metadata.uid}@${o.metadata.generation}`
        if (now) seen.add(key)
        if (seen.has(key)) ready++
      }
    }
    return { all, ready: latched ? ready : readyNow, readyNow }
  })
})

/**
 * Polls until `expected` objects are Ready; the milliseconds it took from
 * `since`, or undefined after `timeout` or if the operator exits meanwhile;
 * and the operator's CPU-seconds and peak RSS (/proc) at its last poll (so
 * that a process that died still tells what it used until then).
 */
const awaitReady = (
  count: Effect.Effect<{ readonly all: number; readonly ready: number; readonly readyNow: number }>,
  expected: number,
  since: number,
  timeout: Duration.Input,
  operator: OperatorProcess
) =>
  Effect.gen(function* () {
    const deadline = since + Duration.toMillis(Duration.fromInputUnsafe(timeout))
    let last = 0
    let cpuSeconds = Number.NaN
    let peakBytes = Number.NaN
    for (;;) {
      const { ready, readyNow } = yield* count
      const cpu = yield* Effect.option(cpuSecondsOf(operator.pid))
      if (Option.isSome(cpu)) cpuSeconds = cpu.value
      const memory = yield* Effect.option(memoryOf(operator.pid))
      if (Option.isSome(memory)) peakBytes = memory.value.peak
      if (ready >= expected) return { ms: Date.now() - since, ready, readyNow, exited: false, cpuSeconds, peakBytes }
      if (ready !== last && process.env.BENCH_PROGRESS !== undefined)
        process.stderr.write(`  ${seconds(Date.now() - since).toFixed(1)} s: ${ready}/${expected} Ready\n`)
      last = ready
      const exited = (yield* operator.exit) !== undefined
      if (exited || Date.now() > deadline) return { ms: undefined, ready, readyNow, exited, cpuSeconds, peakBytes }
      yield* Effect.sleep("200 millis")
    }
  })

const operatorArgs = (env: Environment, namespace: string, options: { workers: number; resync: string }) => [
  "--kubeconfig",
  env.kubeconfig,
  "--namespace",
  namespace,
  "--workers",
  String(options.workers),
  "--resync-period",
  options.resync,
  "--leader-elect=false",
  "--log-level",
  "Error",
  ...env.operatorFlags
]

const metricsText = (operator: OperatorProcess) =>
  Effect.promise(() => fetch(`${operator.opsUrl}/metrics`).then((r) => r.text()))

/** Requests the API server has served so far, by `VERB resource` (its `apiserver_request_total`). */
const apiServerRequests = Effect.gen(function* () {
  const text = yield* (yield* KubeTransport).request({ method: "GET", path: "/metrics" })
  const out: Record<string, number> = {}
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue
    const verb = /[{,]verb="([^"]*)"/.exec(line)?.[1] ?? ""
    const resource = /[{,]resource="([^"]*)"/.exec(line)?.[1] ?? ""
    const subresource = /[{,]subresource="([^"]*)"/.exec(line)?.[1] ?? ""
    const key = `${verb} ${resource}${subresource === "" ? "" : `/${subresource}`}`
    out[key] = (out[key] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1))
  }
  return out
}).pipe(Effect.orDie)

/** Requests served between two readings of `apiServerRequests`, leaving out what did not change. */
const requestsSince = (before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, n]) => [k, n - (before[k] ?? 0)] as const)
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => a.localeCompare(b))
  )

/** Reconciles so far (success and error), from the operator's /metrics. */
const reconcilesOf = (operator: OperatorProcess) =>
  Effect.map(metricsText(operator), (text) =>
    Object.values(byLabel(text, "litellm_operator_reconciles_total", "kind")).reduce((a, b) => a + b, 0)
  )

/** Reconciles, failed reconciles and the seconds they took, by kind. */
const reconcileWork = (operator: OperatorProcess) =>
  Effect.map(metricsText(operator), (text) =>
    workByLabel(text, "kind", {
      reconciles: "litellm_operator_reconciles_total",
      errors: "litellm_operator_reconcile_errors_total",
      seconds: "litellm_operator_reconcile_duration_seconds_sum"
    })
  )

/** Failed reconciles by reason. */
const errorReasons = (operator: OperatorProcess) =>
  Effect.map(metricsText(operator), (text) => byLabel(text, "litellm_operator_reconcile_errors_total", "reason"))

export interface Work {
  readonly reconciles: number
  readonly errors: number
  readonly seconds: number
}

export interface ConvergeResult {
  readonly counts: Counts
  readonly workers: number
  /** Creating the objects (before the operator started), with 32 concurrent requests. */
  readonly createSeconds: number
  /** From the operator's spawn to its /readyz (informers synced). */
  readonly startSeconds: number
  /** From the operator's spawn to every object Ready; undefined if not within the timeout. */
  readonly convergeSeconds: number | undefined
  readonly readyAtEnd: number
  readonly litellmCalls: number
  readonly litellmWrites: number
  readonly rssBytes: number
  readonly peakBytes: number
  /** Reconciles (success and error) and the time they took, by kind. */
  readonly work: Readonly<Record<string, Work>>
  readonly errorReasons: Readonly<Record<string, number>>
  /** API-server requests from the operator's start to every object Ready (the parent's own watches included). */
  readonly apiRequests: Readonly<Record<string, number>>
}

/** Creates `counts` in a fresh namespace, then starts the operator and times it until everything is Ready. */
export const converge = (
  env: Environment,
  counts: Counts,
  workers: number,
  options: { readonly timeout: Duration.Input }
) => Effect.scoped(convergeScoped(env, counts, workers, options))

const convergeScoped = Effect.fn("converge")(function* (
  env: Environment,
  counts: Counts,
  workers: number,
  options: { readonly timeout: Duration.Input }
) {
  const sim = yield* Simulator
  const namespace = yield* namespaceWithConnection(yield* freshName(`bench-${workers}w`), {
    url: sim.url,
    masterKey
  })
  const created = Date.now()
  // Aliases are global in LiteLLM: every scenario has its own prefix.
  yield* populate(namespace, counts, namespace, { concurrency: 32 })
  const createSeconds = seconds(Date.now() - created)
  const count = yield* readiness(namespace)
  yield* sim.resetCalls

  const requestsBefore = yield* apiServerRequests
  const started = Date.now()
  const operator = yield* spawnOperator(operatorArgs(env, namespace, { workers, resync: "5m" }), {
    entry: env.entry,
    nodeArgs: env.nodeOptions,
    env: chartEnv
  })
  yield* operator.ready("120 seconds")
  const startSeconds = seconds(Date.now() - started)
  const done = yield* awaitReady(count, total(counts), started, options.timeout, operator)
  const apiRequests = requestsSince(requestsBefore, yield* apiServerRequests)
  const calls = sumCalls(yield* sim.calls)
  const memory = yield* memoryOf(operator.pid)
  const work = yield* reconcileWork(operator)
  const reasons = yield* errorReasons(operator)
  yield* operator.stop
  return {
    namespace,
    result: {
      counts,
      workers,
      createSeconds,
      startSeconds,
      convergeSeconds: done.ms === undefined ? undefined : seconds(done.ms),
      readyAtEnd: done.ready,
      litellmCalls: calls.total,
      litellmWrites: calls.writes,
      rssBytes: memory.rss,
      peakBytes: memory.peak,
      work,
      errorReasons: reasons,
      apiRequests
    } satisfies ConvergeResult
  }
})

export interface LiveResult {
  readonly counts: Counts
  readonly workers: number
  /** From the first create (32 at a time, the operator already running) to every object Ready. */
  readonly convergeSeconds: number | undefined
  readonly readyAtEnd: number
  /** The operator's CPU-seconds (user + system, /proc) over the same span. */
  readonly cpuSeconds: number
  readonly litellmCalls: Readonly<Record<string, number>>
  readonly peakBytes: number
  readonly work: Readonly<Record<string, Work>>
  readonly apiRequests: Readonly<Record<string, number>>
  /** Of those, the operator's own (from the audit log); undefined without one. */
  readonly operatorRequests: Readonly<Record<string, number>> | undefined
  /** `--operator-command`: the program measured instead of ours. */
  readonly operator?: string
  /** With the latched check (the other operator): how many were Ready at the last poll itself. */
  readonly readyAtLastPoll?: number
}

/**
 * Objects created while the operator runs, as GitOps applies them: the
 * operator starts on an empty namespace, then `counts` are created 32 at a
 * time; timed from the first create until every object is Ready.
 */
export const liveCreation = (
  env: Environment,
  counts: Counts,
  workers: number,
  options: { readonly timeout: Duration.Input }
) => Effect.scoped(liveCreationScoped(env, counts, workers, options))

const liveCreationScoped = Effect.fn("liveCreation")(function* (
  env: Environment,
  counts: Counts,
  workers: number,
  options: { readonly timeout: Duration.Input }
) {
  const sim = yield* Simulator
  const namespace = yield* namespaceWithConnection(yield* freshName(`live-${workers}w`), {
    url: sim.url,
    masterKey
  })
  const external = env.operatorCommand
  const { operator, work } =
    external === undefined
      ? yield* Effect.map(
          // `BENCH_OPERATOR_LOG=<file>` keeps its whole output too (e.g. with `--trace-gc-nvp` among the Node options).
          spawnOperator(operatorArgs(env, namespace, { workers, resync: "5m" }), {
            entry: env.entry,
            nodeArgs: env.nodeOptions,
            env: chartEnv,
            logFile: process.env.BENCH_OPERATOR_LOG
          }),
          (operator) => ({ operator, work: reconcileWork(operator) })
        )
      : yield* spawnExternal(env, external)
  yield* operator.ready("120 seconds")
  // Its /readyz may answer before its caches are filled (controller-runtime's does): that start-up work is not counted.
  if (external !== undefined) yield* quiet(operator)
  const count = yield* readiness(namespace, external !== undefined)
  yield* sim.resetCalls
  const requestsBefore = yield* apiServerRequests
  const auditBefore = yield* auditMark(env.auditLog)
  const cpuBefore = yield* cpuSecondsOf(operator.pid)
  const started = Date.now()
  yield* Effect.forkScoped(
    populate(namespace, counts, namespace, { concurrency: 32, form: external === undefined ? "ours" : "go" })
  )
  const done = yield* awaitReady(count, total(counts), started, options.timeout, operator)
  const cpuSeconds = (yield* cpuSecondsOf(operator.pid)) - cpuBefore
  const apiRequests = requestsSince(requestsBefore, yield* apiServerRequests)
  const operatorRequests = yield* operatorRequestsSince(env.auditLog, auditBefore)
  const litellmCalls = yield* sim.calls
  const memory = yield* memoryOf(operator.pid)
  const workDone = yield* work
  yield* operator.stop
  return {
    counts,
    workers,
    convergeSeconds: done.ms === undefined ? undefined : seconds(done.ms),
    readyAtEnd: done.ready,
    cpuSeconds,
    litellmCalls,
    peakBytes: memory.peak,
    work: workDone,
    apiRequests,
    operatorRequests,
    ...(external === undefined
      ? {}
      : { operator: [external.command, ...external.args].join(" "), readyAtLastPoll: done.readyNow })
  } satisfies LiveResult
})

/**
 * `--operator-command`: the program with `KUBECONFIG` (the benchmark's
 * ServiceAccount) and its ports; its work by controller from its
 * controller-runtime metrics when it serves them, else none.
 */
const spawnExternal = (env: Environment, external: OperatorCommand) =>
  Effect.gen(function* () {
    const metricsPort = yield* freePort
    // `BENCH_OPERATOR_LOG=<file>`: its whole output there (its log is not ours to parse).
    const operator = yield* spawnCommand(
      external.command,
      (port) => withPorts(external, { port, metricsPort }),
      { KUBECONFIG: env.kubeconfig },
      process.env.BENCH_OPERATOR_LOG
    )
    const work: Effect.Effect<Readonly<Record<string, Work>>> = servesMetrics(external)
      ? Effect.promise(() =>
          fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
            (r) => r.text(),
            () => ""
          )
        ).pipe(Effect.map(controllerRuntimeWork))
      : Effect.succeed({})
    return { operator, work }
  })

/** Waits (up to 60 s) until the process has used under 20 ms of CPU in a second: its start-up is over. */
const quiet = (operator: OperatorProcess) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 60_000
    let last = yield* cpuSecondsOf(operator.pid)
    for (;;) {
      yield* Effect.sleep("1 second")
      const now = yield* cpuSecondsOf(operator.pid)
      if (now - last < 0.02 || Date.now() > deadline) return
      last = now
    }
  })

/** Counts every change (watch event) to objects of `type` in the namespace from now on. */
const countChanges = <A extends KubeObject, I>(type: ResourceType<A, I>, namespace: string, into: Ref.Ref<number>) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const listed = yield* kube.list(type, { namespace })
    yield* Effect.forkScoped(
      Stream.runForEach(
        kube.watch(type, { namespace, resourceVersion: listed.resourceVersion, timeoutSeconds: 1800 }),
        (event) => (event.type === "BOOKMARK" ? Effect.void : Ref.update(into, (n) => n + 1))
      ).pipe(Effect.ignore)
    )
  })

export interface SteadyResult {
  readonly objects: number
  readonly resyncPeriodSeconds: number
  readonly windowSeconds: number
  readonly reconciles: number
  readonly litellmCalls: number
  readonly litellmWrites: number
  readonly litellmByEndpoint: Readonly<Record<string, number>>
  readonly apiWrites: number
  /** API-server requests over the window (the parent's own watches of what changes included: a LIST and a WATCH each). */
  readonly apiRequests: Readonly<Record<string, number>>
  /** Of those, the operator's own (from the audit log); undefined without one. */
  readonly operatorRequests: Readonly<Record<string, number>> | undefined
  /** What LiteLLM held in the window, every namespace's: a list pages through all of it. */
  readonly litellmHeld: { readonly keys: number; readonly users: number; readonly teams: number }
}

/**
 * Runs the operator with a short resync period on a converged namespace and,
 * once the start-up pass is over, counts LiteLLM calls and API-server writes
 * over a window of several periods.
 */
export const steadyState = (
  env: Environment,
  namespace: string,
  objects: number,
  options: { readonly resyncSeconds: number; readonly periods: number }
) => Effect.scoped(steadyStateScoped(env, namespace, objects, options))

const steadyStateScoped = Effect.fn("steadyState")(function* (
  env: Environment,
  namespace: string,
  objects: number,
  options: { readonly resyncSeconds: number; readonly periods: number }
) {
  const sim = yield* Simulator
  const operator = yield* spawnOperator(
    operatorArgs(env, namespace, { workers: 4, resync: `${options.resyncSeconds}s` }),
    { entry: env.entry, nodeArgs: env.nodeOptions, env: chartEnv }
  )
  yield* operator.ready("120 seconds")
  // The start-up pass reconciles every object once; let it finish and one period go by.
  yield* Effect.gen(function* () {
    for (;;) {
      if ((yield* reconcilesOf(operator)) >= objects) return
      yield* Effect.sleep("500 millis")
    }
  })
  yield* Effect.sleep(Duration.seconds(options.resyncSeconds))

  const writes = yield* Ref.make(0)
  yield* countChanges(Teams, namespace, writes)
  yield* countChanges(Users, namespace, writes)
  yield* countChanges(VirtualKeys, namespace, writes)
  yield* countChanges(TeamMemberAssociations, namespace, writes)
  yield* countChanges(Secrets, namespace, writes)
  yield* countChanges(Events, namespace, writes)
  yield* sim.resetCalls
  const before = yield* reconcilesOf(operator)
  const requestsBefore = yield* apiServerRequests
  const auditBefore = yield* auditMark(env.auditLog)
  const windowSeconds = options.resyncSeconds * options.periods
  yield* Effect.sleep(Duration.seconds(windowSeconds))
  const apiRequests = requestsSince(requestsBefore, yield* apiServerRequests)
  const operatorRequests = yield* operatorRequestsSince(env.auditLog, auditBefore)
  const reconciles = (yield* reconcilesOf(operator)) - before
  const calls = yield* sim.calls
  const sums = sumCalls(calls)
  const apiWrites = yield* Ref.get(writes)
  const held = yield* sim.snapshot
  yield* operator.stop
  return {
    objects,
    resyncPeriodSeconds: options.resyncSeconds,
    windowSeconds,
    reconciles,
    litellmCalls: sums.total,
    litellmWrites: sums.writes,
    litellmByEndpoint: calls,
    apiWrites,
    apiRequests,
    operatorRequests,
    litellmHeld: { keys: held.keys.length, users: held.users.length, teams: held.teams.length }
  } satisfies SteadyResult
})

export interface MemoryResult {
  /** Where the objects are (converged, for a steady-state run after it). */
  readonly namespace: string
  readonly objects: number
  readonly counts: Counts
  /** The Node options the operator ran with (none: the defaults, as the image runs it). */
  readonly nodeOptions: ReadonlyArray<string>
  readonly convergeSeconds: number | undefined
  /** Objects Ready at the end (all of them, unless the operator died or the time ran out). */
  readonly readyAtEnd: number
  /** Seconds from the operator's spawn to its death or the timeout, when it did not converge. */
  readonly endedAfterSeconds?: number
  /** The operator's CPU-seconds (user + system, /proc) from its spawn until every object was Ready (or its last poll). */
  readonly cpuSeconds: number
  /** etcd's database size when the run ended (`apiserver_storage_size_bytes`), against its 2 GiB default quota. */
  readonly storageBytes: number | undefined
  /** The operator died (e.g. out of heap) before everything was Ready. */
  readonly exited: boolean
  /** The end of its output, when it died. */
  readonly exitOutput?: string
  readonly rssBytes: number
  readonly peakBytes: number
  /** After a full garbage collection: what the operator's data really takes. */
  readonly liveHeapBytes: number | undefined
  readonly rssAfterGcBytes: number | undefined
  /**
   * With `settleSeconds` above 10: the RSS that many seconds after convergence, the operator left
   * alone (no forced GC) since the measurement at 10 s: whether V8 gives memory back by itself.
   */
  readonly rssSettled?: { readonly seconds: number; readonly rssBytes: number }
  /** Reconciles (success and error) and the time they took, by kind. */
  readonly work: Readonly<Record<string, Work>>
  readonly errorReasons: Readonly<Record<string, number>>
}

const probe = join(import.meta.dirname, "memoryProbe.mjs")

const MemoryLine = Schema.fromJsonString(
  Schema.Struct({ rss: Schema.Number, heapTotal: Schema.Number, heapUsed: Schema.Number, external: Schema.Number })
)

/** Asks the operator (started with the probe) for its memory after a full GC. */
const memoryAfterGc = (operator: OperatorProcess) =>
  Effect.gen(function* () {
    yield* Effect.sync(() => process.kill(operator.pid, "SIGUSR2"))
    for (let i = 0; i < 50; i++) {
      yield* Effect.sleep("100 millis")
      const line = (yield* operator.outputTail).split("\n").findLast((l) => l.startsWith("MEMORY "))
      if (line !== undefined) {
        if (process.env.BENCH_PROGRESS !== undefined) process.stderr.write(`  ${line}\n`)
        return Option.getOrUndefined(Schema.decodeUnknownOption(MemoryLine)(line.slice(7)))
      }
    }
    return undefined
  })

/**
 * The operator's memory once `n` objects (the standard proportions) have
 * converged and it has settled: RSS as it runs, its peak, and the live heap
 * and RSS after a full garbage collection.
 */
export const memoryAt = (env: Environment, n: number, options: MemoryOptions) =>
  Effect.scoped(memoryAtScoped(env, n, options))

export interface MemoryOptions {
  readonly timeout: Duration.Input
  /** Instead of the environment's. */
  readonly nodeOptions?: ReadonlyArray<string>
  /** Seconds after convergence to measure the RSS again, before the full GC (`rssSettled`); none: only at 10 s. */
  readonly settleSeconds?: number | undefined
}

const memoryAtScoped = Effect.fn("memoryAt")(function* (env: Environment, n: number, options: MemoryOptions) {
  const sim = yield* Simulator
  const counts = mixOf(n)
  const namespace = yield* namespaceWithConnection(yield* freshName(`bench-mem-${n}`), {
    url: sim.url,
    masterKey
  })
  yield* populate(namespace, counts, namespace, { concurrency: 32 })
  const count = yield* readiness(namespace)
  const started = Date.now()
  const nodeOptions = options.nodeOptions ?? env.nodeOptions
  const operator = yield* spawnOperator(operatorArgs(env, namespace, { workers: 4, resync: "5m" }), {
    entry: env.entry,
    nodeArgs: [...nodeOptions, "--expose-gc", "--import", probe],
    env: chartEnv
  })
  // A large namespace can take the operator down before it is even ready (its first lists): a result too.
  const readyExit = yield* Effect.exit(operator.ready("300 seconds"))
  if (Exit.isFailure(readyExit) && (yield* operator.exit) === undefined) return yield* Effect.failCause(readyExit.cause)
  const done = yield* awaitReady(count, total(counts), started, options.timeout, operator)
  const endedAfterSeconds = seconds(Date.now() - started)
  const storageBytes = yield* storageSize
  if (done.exited) {
    const tail = (yield* operator.outputTail).slice(-2000)
    yield* Effect.sync(() => process.stderr.write(`  the operator exited:\n${tail}\n`))
    return {
      namespace,
      objects: total(counts),
      counts,
      nodeOptions,
      convergeSeconds: undefined,
      readyAtEnd: done.ready,
      endedAfterSeconds,
      cpuSeconds: done.cpuSeconds,
      exited: true,
      exitOutput: tail,
      storageBytes,
      rssBytes: Number.NaN,
      // The last poll's: close to the peak it died at.
      peakBytes: done.peakBytes,
      liveHeapBytes: undefined,
      rssAfterGcBytes: undefined,
      work: {},
      errorReasons: {}
    } satisfies MemoryResult
  }
  // Settled: the last status patches seen and handled.
  yield* Effect.sleep("10 seconds")
  const memory = yield* memoryOf(operator.pid)
  const settle = options.settleSeconds
  const rssSettled =
    settle === undefined || settle <= 10
      ? undefined
      : yield* Effect.sleep(Duration.seconds(settle - 10)).pipe(
          Effect.andThen(memoryOf(operator.pid)),
          Effect.map((later) => ({ seconds: settle, rssBytes: later.rss }))
        )
  const afterGc = yield* memoryAfterGc(operator)
  const work = yield* reconcileWork(operator)
  const reasons = yield* errorReasons(operator)
  yield* operator.stop
  return {
    namespace,
    objects: total(counts),
    counts,
    nodeOptions,
    convergeSeconds: done.ms === undefined ? undefined : seconds(done.ms),
    readyAtEnd: done.ready,
    ...(done.ms === undefined ? { endedAfterSeconds } : {}),
    cpuSeconds: done.cpuSeconds,
    exited: false,
    storageBytes,
    rssBytes: memory.rss,
    peakBytes: memory.peak,
    liveHeapBytes: afterGc?.heapUsed,
    rssAfterGcBytes: afterGc?.rss,
    ...(rssSettled === undefined ? {} : { rssSettled }),
    work,
    errorReasons: reasons
  } satisfies MemoryResult
})

export interface SettledMemory {
  /** The operator died (e.g. out of heap) before it settled; then the figures are NaN / undefined. */
  readonly exited: boolean
  /** The end of its output, when it died. */
  readonly exitOutput?: string
  readonly rssBytes: number
  readonly peakBytes: number
  readonly liveHeapBytes: number | undefined
  readonly rssAfterGcBytes: number | undefined
}

/** On the unrelated Secrets, to tell them from the rest of the namespace. */
const unrelatedLabel = "bench.litellm-operator.dev/unrelated"

/** etcd's database size as the API server last saw it (`apiserver_storage_size_bytes`), if it reports it. */
const storageSize = Effect.gen(function* () {
  const text = yield* (yield* KubeTransport).request({ method: "GET", path: "/metrics" })
  const line = text.split("\n").find((l) => l.startsWith("apiserver_storage_size_bytes"))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1))
}).pipe(Effect.orDie)

export interface UnrelatedSecretsResult {
  readonly objects: number
  readonly secrets: number
  readonly secretBytes: number
  /** They carried the operator's label, their data under a key Secret's entry names (as any tenant may). */
  readonly posing: boolean
  /** Instead of Secrets: VirtualKeys of the namespace, each made that large by finalizers (as any tenant may). */
  readonly bloated: boolean
  readonly nodeOptions: ReadonlyArray<string>
  readonly without: SettledMemory
  readonly with: SettledMemory
  /** API-server requests while the operator started and settled with the unrelated Secrets present. */
  readonly apiRequestsWith: Readonly<Record<string, number>>
  /** Of those, the operator's own (from the audit log); undefined without one. */
  readonly operatorRequestsWith: Readonly<Record<string, number>> | undefined
  /** Creating the unrelated Secrets (8 at a time). */
  readonly createSeconds: number
  /** etcd's database size after they were created (the API server's `apiserver_storage_size_bytes`), if it says. */
  readonly storageBytes: number | undefined
}

/**
 * The operator's memory on a converged namespace of `n` objects, then again
 * (a fresh operator) once `secrets` unrelated Secrets of `secretBytes` random
 * bytes each have been added to it: an operator that keeps only its own and
 * the named Secrets should not notice them. With `posing`, they carry the
 * operator's `managed-by` label and their data is under a key Secret's entry
 * names (`key`, `url`), as any tenant may make its Secrets look.
 */
export const unrelatedSecrets = (env: Environment, n: number, options: UnrelatedSecretsOptions) =>
  Effect.scoped(unrelatedSecretsScoped(env, n, options))

export interface UnrelatedSecretsOptions {
  readonly secrets: number
  readonly secretBytes: number
  readonly posing: boolean
  readonly bloated: boolean
  readonly timeout: Duration.Input
}

const unrelatedSecretsScoped = Effect.fn("unrelatedSecrets")(function* (
  env: Environment,
  n: number,
  options: UnrelatedSecretsOptions
) {
  const sim = yield* Simulator
  const kube = yield* KubeClient
  const counts = mixOf(n)
  const namespace = yield* namespaceWithConnection(yield* freshName(`bench-unrelated-${n}`), {
    url: sim.url,
    masterKey
  })
  yield* populate(namespace, counts, namespace, { concurrency: 32 })
  const count = yield* readiness(namespace)
  const args = operatorArgs(env, namespace, { workers: 4, resync: "5m" })

  /** A fresh operator on the namespace: Ready, its start-up pass done, settled; its memory. */
  const settled = Effect.scoped(
    Effect.gen(function* () {
      const started = Date.now()
      const operator = yield* spawnOperator(args, {
        entry: env.entry,
        nodeArgs: [...env.nodeOptions, "--expose-gc", "--import", probe],
        env: chartEnv
      })
      yield* operator.ready("300 seconds")
      const done = yield* awaitReady(count, total(counts), started, options.timeout, operator)
      const died = Effect.gen(function* () {
        const output = (yield* operator.outputTail).slice(-1500)
        yield* Effect.sync(() => process.stderr.write(`  the operator exited:\n${output}\n`))
        return {
          exited: true,
          exitOutput: output,
          rssBytes: Number.NaN,
          peakBytes: Number.NaN,
          liveHeapBytes: undefined,
          rssAfterGcBytes: undefined
        } satisfies SettledMemory
      })
      if (done.ms === undefined) {
        if (done.exited) return yield* died
        return yield* Effect.die(new Error(`not converged: ${done.ready} Ready`))
      }
      for (;;) {
        if ((yield* operator.exit) !== undefined) return yield* died
        // A process that is dying may not answer.
        const reconciles = yield* Effect.exit(reconcilesOf(operator))
        if (Exit.isSuccess(reconciles) && reconciles.value >= total(counts)) break
        yield* Effect.sleep("500 millis")
      }
      yield* Effect.sleep("10 seconds")
      if ((yield* operator.exit) !== undefined) return yield* died
      const memory = yield* memoryOf(operator.pid)
      const afterGc = yield* memoryAfterGc(operator)
      yield* operator.stop
      return {
        exited: false,
        rssBytes: memory.rss,
        peakBytes: memory.peak,
        liveHeapBytes: afterGc?.heapUsed,
        rssAfterGcBytes: afterGc?.rss
      } satisfies SettledMemory
    })
  )

  // The first operator creates everything; the two measured ones find it converged.
  yield* settled
  const without = yield* settled
  const creating = Date.now()
  // A few at a time: each is one etcd write of up to ~1 MiB (etcd refuses requests above 1.5 MiB).
  /** A VirtualKey of the namespace with some `secretBytes` of finalizers (about 30 bytes each as JSON). */
  const bloatedKey = (i: number) =>
    kube.create(VirtualKeys, {
      metadata: {
        namespace,
        name: `unrelated-${i}`,
        labels: { [unrelatedLabel]: "true" },
        finalizers: Array.from(
          { length: Math.floor(options.secretBytes / 30) },
          (_, f) => `tenant.example/hold-${String(f).padStart(8, "0")}`
        )
      },
      spec: { connectionRef: { secretRef: { name: "litellm" } }, keyAlias: `unrelated-${i}` }
    })
  yield* Effect.forEach(
    Array.from({ length: options.secrets }, (_, i) => i),
    (i) =>
      (options.bloated
        ? Effect.asVoid(bloatedKey(i))
        : kube
            .create(Secrets, {
              metadata: {
                namespace,
                name: `unrelated-${i}`,
                labels: { [unrelatedLabel]: "true", ...(options.posing ? managedByLabels : {}) }
              },
              type: "Opaque",
              data: options.posing
                ? {
                    key: randomBytes(options.secretBytes / 2).toString("base64"),
                    url: randomBytes(options.secretBytes / 2).toString("base64")
                  }
                : { blob: randomBytes(options.secretBytes).toString("base64") }
            })
            .pipe(Effect.asVoid)
      ).pipe(Effect.retry({ schedule: Schedule.spaced("500 millis"), times: 20, while: (e) => e.retryable })),
    { concurrency: 8, discard: true }
  )
  const createSeconds = seconds(Date.now() - creating)
  const storageBytes = yield* storageSize
  const requestsBefore = yield* apiServerRequests
  const auditBefore = yield* auditMark(env.auditLog)
  const withSecrets = yield* settled
  const apiRequestsWith = requestsSince(requestsBefore, yield* apiServerRequests)
  const operatorRequestsWith = yield* operatorRequestsSince(env.auditLog, auditBefore)
  // Out of the API server's watch cache (about their size in its memory) and, after its next compaction, of etcd's
  // quota. One at a time: a collection delete answers with every object it deleted, here more than a string holds.
  yield* Effect.forEach(
    Array.from({ length: options.secrets }, (_, i) => i),
    (i) =>
      options.bloated
        ? kube
            .mergePatch(VirtualKeys, { namespace, name: `unrelated-${i}` }, { metadata: { finalizers: null } })
            .pipe(Effect.andThen(kube.delete(VirtualKeys, { namespace, name: `unrelated-${i}` })), Effect.ignore)
        : kube.delete(Secrets, { namespace, name: `unrelated-${i}` }).pipe(Effect.ignore),
    { concurrency: 8, discard: true }
  )
  return {
    objects: total(counts),
    secrets: options.secrets,
    secretBytes: options.secretBytes,
    posing: options.posing,
    bloated: options.bloated,
    nodeOptions: env.nodeOptions,
    without,
    with: withSecrets,
    apiRequestsWith,
    operatorRequestsWith,
    createSeconds,
    storageBytes
  } satisfies UnrelatedSecretsResult
})
