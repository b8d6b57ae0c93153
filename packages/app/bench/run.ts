/**
 * `pnpm bench`: every benchmark, written to BENCHMARKS.md at the repository
 * root with the machine, the date, the Node version and the command.
 *
 * - plan throughput per kind (packages/core/bench/plan.bench.ts);
 * - time to converge 1,000 VirtualKeys, 100 Teams, 300 Users (own keys) and
 *   300 associations with 10 ms of LiteLLM latency, at 4 workers (the
 *   default) and at 1;
 * - LiteLLM calls and API-server writes per object per hour in steady state;
 * - a size sweep (1,000 and 10,000 objects unless `--sweep-sizes` says
 *   otherwise): time to converge, the operator's CPU-seconds, RSS and live
 *   heap after a full GC; and at 1,000 objects with 1 GiB of unrelated
 *   Secrets (1 MiB each) in the namespace (`--unrelated-mib`);
 * - API-server requests by verb and resource while converging and in steady
 *   state (e.g. `GET secrets`): all clients' from the API server's /metrics,
 *   and the operator's alone from its audit log (the operator runs as a
 *   ServiceAccount of its own, see load.ts `operatorAccount`).
 *
 * It starts its own control plane (tools/control-plane) and simulator, so it
 * needs nothing running. Flags: `--scale <f>` shrinks every population (a
 * quick check of the benchmark itself; the file says so), `--out <file>`,
 * `--list-max-age <duration>` (passed to every operator run; `0s`: no lists),
 * `--cpu-prof <dir>` (a V8 CPU profile of every operator run, summarised by
 * `node packages/app/bench/cpuProfile.ts <file>`),
 * `--only memory <n>` (the operator's memory at n objects, as JSON),
 * `--only sweep [--sweep-sizes 1000,10000,50000]` (the size sweep alone, as
 * JSON; 50,000 takes long and is left out of the full run by default),
 * `--unrelated-mib <n>` (the unrelated Secrets' total, default 1024;
 * `--unrelated-posing`: labelled as the operator's, as a tenant may;
 * `--unrelated-bloated`: VirtualKeys of the namespace made that large by finalizers instead),
 * `--only live` (objects created while the operator runs, 32 at a time: time,
 * operator CPU-seconds, LiteLLM calls by endpoint, API-server requests, peak
 * RSS; printed as JSON, BENCHMARKS.md untouched; `--workers <n>`: the
 * operator's workers per kind, default 4),
 * `--only secrets` (only what concerns Secrets: converge at 4 workers,
 * steady state, unrelated Secrets; printed as JSON, BENCHMARKS.md untouched),
 * `--entry <operator.mjs>` (a bundle built elsewhere, e.g. from an older
 * commit, instead of bundling this checkout: a before/after comparison),
 * `--operator-command "<path> <args>"` with `--only live` (another operator
 * of the same API measured the same way, e.g. the Go operator; see
 * externalOperator.ts) and `--operator-crds <dir>` (CRDs that it needs
 * besides ours, installed into the benchmark's API server only).
 * `BENCH_PROGRESS=1` prints convergence progress; `BENCH_OPERATOR_LOG=<file>`
 * keeps the live run's operator output (ours or `--operator-command`'s).
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { cpus, loadavg, tmpdir, totalmem } from "node:os"
import { join } from "node:path"
import { KubeClient, KubeTransport } from "@litellm-operator/k8s"
import { installCrds, spawnControlPlane } from "@litellm-operator/k8s/local"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Duration, Effect, Layer, Logger, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { bundleOperator } from "../bin/bundle.ts"
import { runMain } from "../src/cli/run.ts"
import type { Counts } from "../test/support/population.ts"
import { total } from "../test/support/population.ts"
import type { OperatorCommand } from "./externalOperator.ts"
import { OperatorCommandError, parseOperatorCommand } from "./externalOperator.ts"
import type {
  ConvergeResult,
  Environment,
  LiveResult,
  MemoryResult,
  SteadyResult,
  UnrelatedSecretsResult
} from "./load.ts"
import {
  auditPolicy,
  chartValue,
  converge,
  inChartContainer,
  liveCreation,
  masterKey,
  memoryAt,
  operatorIdentity,
  scaled,
  standardMix,
  steadyState,
  unrelatedSecrets
} from "./load.ts"

const repoRoot = join(import.meta.dirname, "..", "..", "..")
/** The command line's values (see `pnpm bench --help`). */
interface BenchOptions {
  readonly argv: ReadonlyArray<string>
  readonly scale: number
  readonly out: string
  /** Passed to every operator run. */
  readonly operatorFlags: ReadonlyArray<string>
  readonly onlySecrets: boolean
  /** `--only live`: the operator's workers per kind. */
  readonly liveWorkers: number
  /** `--only live`: the live-creation run alone, printed as JSON (BENCHMARKS.md untouched). */
  readonly onlyLive: boolean
  /** `--only memory <n>`: the operator's memory at n objects (the standard mix), the chart's options; JSON. */
  readonly onlyMemory: number | undefined
  /** `--settle <s>` with `--only memory`: the RSS again s seconds after convergence, the operator left alone. */
  readonly settleSeconds: number | undefined
  /** `--only sweep`: the size sweep alone; JSON. */
  readonly onlySweep: boolean
  /** The sweep's sizes (objects, the standard proportions), before `--scale`. */
  readonly sweepSizes: ReadonlyArray<number>
  /** The unrelated Secrets' total in MiB (1 MiB each), before `--scale`. */
  readonly unrelatedMib: number
  /** `--unrelated-posing`: the unrelated Secrets carry the operator's label (see load.ts `unrelatedSecrets`). */
  readonly unrelatedPosing: boolean
  /** `--unrelated-bloated`: VirtualKeys made large by finalizers instead of Secrets (see load.ts `unrelatedSecrets`). */
  readonly unrelatedBloated: boolean
  /** `--sweep-steady`: after each sweep point, a steady-state window on its namespace. */
  readonly sweepSteady: boolean
  readonly entry: string | undefined
  /** `--operator-command`: measure this program instead of our bundle (with `--only live`). */
  readonly operatorCommand: OperatorCommand | undefined
  /** `--operator-crds`: a directory of CRDs the other operator needs besides ours. */
  readonly operatorCrds: string | undefined
  readonly cpuProf: string | undefined
  readonly nodeOptions: string | undefined
}
/**
 * Unrelated Secrets are 1 MiB each: etcd refuses a request above 1.5 MiB, and
 * the API server a JSON body above 3 MB (1 MiB is 1.4 MB in base64).
 */
const UNRELATED_SECRET_BYTES = 1024 * 1024
/** The size sweep's default: 50,000 takes long (opt in with `--sweep-sizes`). */
const SWEEP_SIZES = [1000, 10_000]
/** Bare `node` beside the chart's options only up to this size: a comparison, not the curve. */
const BARE_UP_TO = 10_000
/** Up to 15 minutes, more for a large sweep point (40 ms per object: 33 min at 50,000). */
const timeoutFor = (objects: number) => Duration.millis(Math.max(15 * 60_000, objects * 40))
const LATENCY_MS = 10
const RESYNC_SECONDS = 10
const PERIODS = 6
/**
 * The Node options the chart runs the operator with (deploy/chart/values.yaml, `operator.nodeOptions`),
 * a heap share of the memory limit given as the size it comes to under the chart's limit.
 */
const SHIPPED = inChartContainer(
  chartValue("nodeOptions")
    .split(/\s+/)
    .filter((o) => o !== "")
)
const shipped = (options: ReadonlyArray<string>) => options.join(" ") === SHIPPED.join(" ")
/** Resyncs per hour at the default period of 5 minutes with its 10% jitter (5.25 minutes on average). */
const RESYNCS_PER_HOUR = 3600 / (300 * 1.05)

const log = (line: string) => Effect.sync(() => process.stderr.write(`${line}\n`))
const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(" ")
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`
const fmt = (n: number, digits = 2) => n.toLocaleString("en-US", { maximumFractionDigits: digits })
const describeCounts = (c: Counts) =>
  `${fmt(c.keys)} VirtualKeys, ${fmt(c.teams)} Teams, ${fmt(c.users)} Users, ${fmt(c.associations)} associations`

const planBench = () => {
  const run = spawnSync(process.execPath, [join(repoRoot, "packages", "core", "bench", "plan.bench.ts")], {
    encoding: "utf8"
  })
  if (run.status !== 0) throw new Error(`plan.bench.ts failed: ${run.stderr}`)
  return run.stdout.trim()
}

/** A sweep (memory) point, with the load around it and, with `--sweep-steady`, a steady-state window after it. */
type SweepPoint = MemoryResult & {
  readonly loadBefore: string
  readonly loadAfter: string
  readonly steady?: SteadyResult
}

/**
 * The sweep's steady-state resync period: long enough for the operator to
 * get through every object (about 100 reconciles a second when nothing has
 * changed), short enough to be cheap: 10 s at 1,000 objects, 100 s at 10,000.
 */
const sweepResyncSeconds = (objects: number) => Math.max(RESYNC_SECONDS, Math.ceil(objects / 100))

/** How many times the live creation runs in the full benchmark: its spread is what says whether a figure reproduces. */
const LIVE_RUNS = 3

interface Results {
  readonly startedAt: Date
  readonly loadBefore: string
  readonly plan: string
  readonly converge: ReadonlyArray<ConvergeResult & { readonly loadAfter: string }>
  /** Objects created while the operator runs, LIVE_RUNS times (the spread is the figure). */
  readonly live: ReadonlyArray<LiveResult & { readonly loadBefore: string; readonly loadAfter: string }>
  readonly steady: SteadyResult & { readonly loadAfter: string }
  readonly memory: ReadonlyArray<SweepPoint>
  readonly unrelated: UnrelatedSecretsResult & { readonly loadAfter: string }
  readonly finishedAt: Date
}

/** The API-server client and the simulator, with LATENCY_MS on every LiteLLM call. */
const benchLayer = (kubeconfig: string) =>
  Layer.mergeAll(
    // The benchmark's own log lines (e.g. its informers listing again) to stderr: `--only` prints JSON on stdout.
    Logger.layer([Logger.withConsoleError(Logger.formatSimple)]),
    KubeClient.layerFromFile(kubeconfig),
    Layer.effectDiscard(
      Effect.flatMap(Simulator, (sim) => sim.setFaults([{ kind: "latency", latencyMs: LATENCY_MS }]))
    ).pipe(Layer.provideMerge(Simulator.layer({ masterKey, seed: 7 })))
  )

const program = (o: BenchOptions) =>
  Effect.gen(function* () {
    const startedAt = new Date()
    const loadBefore = load()
    // The `--only` runs print JSON about the operator alone: no plan throughput.
    const only = o.onlyMemory !== undefined || o.onlyLive || o.onlySweep || o.onlySecrets
    yield* log(`bench: load average ${loadBefore}${only ? "" : "; plan throughput…"}`)
    const plan = only ? "" : planBench()
    if (!only) yield* log(plan)

    yield* log("bench: starting the control plane…")
    // The API server keeps an audit log of the operator's requests (and only those): see load.ts `operatorAccount`.
    // Removed at the end: the audit log of a large run is hundreds of MB.
    const work = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "litellm-operator-bench-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    const policy = join(work, "audit-policy.json")
    const auditLog = join(work, "audit.log")
    writeFileSync(policy, auditPolicy)
    const cp = yield* Effect.acquireRelease(
      spawnControlPlane({
        args: [`--apiserver-arg=--audit-policy-file=${policy}`, `--apiserver-arg=--audit-log-path=${auditLog}`]
      }),
      (c) => c.stop(Duration.seconds(10))
    )
    const adminTransport = KubeTransport.layerFromFile(cp.kubeconfig)
    yield* installCrds(cp.kubeconfig).pipe(Effect.provide(adminTransport))
    // Kinds the other operator watches besides ours (it would not start without them); nothing creates any.
    const extraCrds = o.operatorCrds
    if (extraCrds !== undefined) yield* installCrds(cp.kubeconfig, extraCrds).pipe(Effect.provide(adminTransport))
    const operatorKubeconfig = yield* operatorIdentity(cp, join(work, "operator-kubeconfig")).pipe(
      Effect.provide(adminTransport)
    )
    // The operator as the image ships it: the esbuild bundle of src/main.ts.
    const given = o.entry
    const entry = given ?? join(work, "operator.mjs")
    if (given === undefined && o.operatorCommand === undefined) yield* Effect.promise(() => bundleOperator(entry))
    // `--cpu-prof <dir>`: every operator run writes a V8 CPU profile there (summarise with bench/cpuProfile.ts).
    const profileDir = o.cpuProf
    // `--node-options "<options>"`: run the operator with these instead of the chart's (to weigh a change of them).
    const givenNodeOptions = o.nodeOptions
    const base =
      givenNodeOptions === undefined ? SHIPPED : inChartContainer(givenNodeOptions.split(" ").filter((o) => o !== ""))
    const nodeOptions = profileDir === undefined ? base : [...base, "--cpu-prof", `--cpu-prof-dir=${profileDir}`]
    const env = {
      kubeconfig: operatorKubeconfig,
      auditLog,
      entry,
      nodeOptions,
      operatorFlags: o.operatorFlags,
      operatorCommand: o.operatorCommand
    }
    const sweepSizes = o.sweepSizes.map((n) => Math.round(n * o.scale))
    const mix = scaled(standardMix, o.scale)
    const timeout = Duration.minutes(15)

    const onlyMemory = o.onlyMemory
    if (onlyMemory !== undefined) {
      return yield* Effect.gen(function* () {
        yield* log(`bench: memory at ${onlyMemory} objects, Node options ${JSON.stringify(nodeOptions)}…`)
        const memory = yield* memoryAt(env, onlyMemory, { timeout, nodeOptions, settleSeconds: o.settleSeconds })
        process.stdout.write(`${JSON.stringify({ ...memory, loadBefore, loadAfter: load() }, null, 1)}\n`)
        return undefined
      }).pipe(Effect.provide(benchLayer(cp.kubeconfig)))
    }
    if (o.onlySweep) {
      return yield* Effect.gen(function* () {
        const points: Array<unknown> = []
        for (const n of sweepSizes) {
          const before = load()
          yield* log(`bench: sweep, ${n} objects, Node options ${JSON.stringify(nodeOptions)}…`)
          const point = yield* memoryAt(env, n, { timeout: timeoutFor(n), nodeOptions })
          const result: SweepPoint = { ...point, loadBefore: before, loadAfter: load() }
          yield* log(`  ${JSON.stringify(result)}`)
          points.push(o.sweepSteady ? yield* withSteady(env, result) : result)
        }
        process.stdout.write(`${JSON.stringify(points, null, 1)}\n`)
        return undefined
      }).pipe(Effect.provide(benchLayer(cp.kubeconfig)))
    }
    if (o.onlyLive) {
      return yield* Effect.gen(function* () {
        yield* log(
          `bench: live creation of ${describeCounts(mix)} ${o.operatorCommand === undefined ? `at ${o.liveWorkers} worker(s)` : `by ${o.operatorCommand.command}`}…`
        )
        const live = yield* liveCreation(env, mix, o.liveWorkers, { timeout })
        process.stdout.write(`${JSON.stringify({ ...live, loadBefore, loadAfter: load() }, null, 1)}\n`)
        return undefined
      }).pipe(Effect.provide(benchLayer(cp.kubeconfig)))
    }
    return yield* Effect.gen(function* () {
      const convergeResults: Array<ConvergeResult & { readonly loadAfter: string }> = []
      let steady: (SteadyResult & { readonly loadAfter: string }) | undefined
      for (const workers of o.onlySecrets ? [4] : [4, 1]) {
        yield* log(`bench: converge ${describeCounts(mix)} at ${workers} worker(s)…`)
        const { namespace, result } = yield* converge(env, mix, workers, { timeout })
        convergeResults.push({ ...result, loadAfter: load() })
        yield* log(`  ${JSON.stringify(result)}`)
        if (steady !== undefined) continue
        // Before any other namespace's objects are made: a LiteLLM list pages through every namespace's keys.
        yield* log(`bench: steady state, resync ${RESYNC_SECONDS} s, ${PERIODS} periods…`)
        const steadyResult = yield* steadyState(env, namespace, total(mix), {
          resyncSeconds: RESYNC_SECONDS,
          periods: PERIODS
        })
        steady = { ...steadyResult, loadAfter: load() }
        yield* log(`  ${JSON.stringify(steady)}`)
      }
      if (steady === undefined) return yield* Effect.die("no steady-state window was measured")
      const live: Array<LiveResult & { readonly loadBefore: string; readonly loadAfter: string }> = []
      for (let run = 1; run <= (o.onlySecrets ? 0 : LIVE_RUNS); run++) {
        const before = load()
        yield* log(`bench: live creation of ${describeCounts(mix)} at 4 workers, run ${run} of ${LIVE_RUNS}…`)
        const result = yield* liveCreation(env, mix, 4, { timeout })
        live.push({ ...result, loadBefore: before, loadAfter: load() })
        yield* log(`  ${JSON.stringify(result)}`)
      }
      const unrelatedAt = Math.round(1000 * o.scale)
      const unrelatedSecretCount = Math.max(1, Math.round(o.unrelatedMib * o.scale))
      yield* log(
        `bench: memory at ${unrelatedAt} objects without and with ${unrelatedSecretCount} unrelated ${o.unrelatedBloated ? "VirtualKeys" : "Secrets"} of 1 MiB…`
      )
      const unrelated = {
        ...(yield* unrelatedSecrets(env, unrelatedAt, {
          secrets: unrelatedSecretCount,
          secretBytes: UNRELATED_SECRET_BYTES,
          posing: o.unrelatedPosing,
          bloated: o.unrelatedBloated,
          timeout
        })),
        loadAfter: load()
      }
      yield* log(`  ${JSON.stringify(unrelated)}`)
      const memory: Array<SweepPoint> = []
      for (const n of o.onlySecrets ? [] : sweepSizes) {
        for (const nodeOptions of n <= Math.round(BARE_UP_TO * o.scale) ? [SHIPPED, []] : [SHIPPED]) {
          const before = load()
          yield* log(`bench: memory at ${n} objects, Node options ${JSON.stringify(nodeOptions)}…`)
          const result = yield* memoryAt(env, n, { timeout: timeoutFor(n), nodeOptions })
          const point: SweepPoint = { ...result, loadBefore: before, loadAfter: load() }
          yield* log(`  ${JSON.stringify(result)}`)
          memory.push(o.sweepSteady && shipped(nodeOptions) ? yield* withSteady(env, point) : point)
        }
      }
      return {
        startedAt,
        loadBefore,
        plan,
        converge: convergeResults,
        live,
        steady,
        memory,
        unrelated,
        finishedAt: new Date()
      } satisfies Results
    }).pipe(Effect.provide(benchLayer(cp.kubeconfig)))
  })

/** A steady-state window of one resync period on a converged sweep point's namespace (a fresh operator; its start-up pass left out). */
const withSteady = (env: Environment, point: SweepPoint) =>
  Effect.gen(function* () {
    if (point.convergeSeconds === undefined || point.exited) return point
    const resyncSeconds = sweepResyncSeconds(point.objects)
    yield* log(`bench: steady state at ${point.objects} objects, resync ${resyncSeconds} s, 1 period…`)
    const steady = yield* steadyState(env, point.namespace, point.objects, { resyncSeconds, periods: 1 })
    yield* log(`  ${JSON.stringify(steady)}`)
    return { ...point, steady }
  })

const verdict = (met: boolean) => (met ? "**met**" : "**missed**")

/** How a sweep point ended: its convergence time, or how far it got. */
const outcome = (m: MemoryResult) =>
  m.convergeSeconds !== undefined
    ? `${fmt(m.convergeSeconds, 1)} s`
    : `${m.exited ? "the operator died" : "not converged"} after ${fmt(m.endedAfterSeconds ?? Number.NaN, 0)} s, ${fmt(m.readyAtEnd)} of ${fmt(m.objects)} Ready`

const workTable = (work: ConvergeResult["work"]) => [
  "| kind | reconciles | of which failed | reconcile time, summed | per reconcile |",
  "| --- | ---: | ---: | ---: | ---: |",
  ...Object.entries(work)
    .sort()
    .map(
      ([kind, w]) =>
        `| ${kind} | ${fmt(w.reconciles)} | ${fmt(w.errors)} | ${fmt(w.seconds, 1)} s | ${fmt((1000 * w.seconds) / Math.max(1, w.reconciles), 0)} ms |`
    )
]

/** Single-object reads (`GET`, not `LIST` or `WATCH`). */
const gets = (requests: Readonly<Record<string, number>>) =>
  Object.entries(requests)
    .filter(([k]) => k.startsWith("GET "))
    .reduce((sum, [, n]) => sum + n, 0)
/** Reads: `GET` and `LIST` (a watch's start is counted apart). */
const reads = (requests: Readonly<Record<string, number>>) =>
  Object.entries(requests)
    .filter(([k]) => k.startsWith("GET ") || k.startsWith("LIST "))
    .reduce((sum, [, n]) => sum + n, 0)
/** Writes: `POST`, `PUT`, `PATCH`, `DELETE`. */
const writes = (requests: Readonly<Record<string, number>>) =>
  Object.entries(requests)
    .filter(([k]) => /^(POST|PUT|PATCH|DELETE) /.test(k))
    .reduce((sum, [, n]) => sum + n, 0)
const size = (bytes: number) => (bytes >= 1024 ** 3 ? `${fmt(bytes / 1024 ** 3, 2)} GiB` : mb(bytes))
const requestList = (requests: Readonly<Record<string, number>>) =>
  Object.entries(requests)
    .map(([k, n]) => `\`${k}\` ${fmt(n)}`)
    .join(", ") || "none"

const report = (r: Results, o: BenchOptions): string => {
  const { argv: args, operatorFlags, scale } = o
  const command = `pnpm bench${args.length > 0 ? ` ${args.join(" ")}` : ""}`
  const cpu = cpus()[0]?.model ?? "unknown"
  const [four, one] = r.converge
  const s = r.steady
  const perReconcile = (n: number) => (s.reconciles === 0 ? Number.NaN : n / s.reconciles)
  const litellmReadsPerResync = perReconcile(s.litellmCalls - s.litellmWrites)
  const ops = s.operatorRequests
  const mix = four?.counts ?? standardMix
  const rows: Array<string> = []
  const lines = (...xs: ReadonlyArray<string>) => rows.push(...xs)
  lines(
    "# Benchmarks",
    "",
    `Written by \`${command}\` (packages/app/bench/run.ts) on ${r.startedAt.toISOString()}; it took ${fmt((r.finishedAt.getTime() - r.startedAt.getTime()) / 60000, 1)} min.`,
    "",
    `- machine: ${cpus().length} CPUs (\`nproc\`), ${cpu}, ${mb(totalmem())} memory; Node ${process.version}`,
    "- kube-apiserver v1.36.3 + etcd 3.6 (tools/control-plane) on the same machine; the LiteLLM simulator in the benchmark's process, " +
      `with ${LATENCY_MS} ms added to every call`,
    `- load average (1, 5, 15 min) before: ${r.loadBefore}; after: ${r.memory.at(-1)?.loadAfter ?? "?"}`,
    "- the operator: the production bundle of `src/main.ts` (what the image ships; packages/app/bin/bundle.ts) as a child process, " +
      `\`--leader-elect=false --log-level Error${operatorFlags.length === 0 ? "" : ` ${operatorFlags.join(" ")}`}\`, default flags otherwise unless said` +
      (o.entry === undefined ? "" : ` (the bundle given with --entry, not this checkout's)`),
    scale === 1
      ? ""
      : `- **scaled by ${scale}**: a check of the benchmark itself, not the numbers the targets are about`,
    "",
    "## Plan throughput per kind",
    "",
    r.plan,
    "",
    "## Time to converge",
    "",
    `${describeCounts(mix)} (${fmt(total(mix))} objects) already in the API server, then the operator started; ` +
      "timed from its spawn until every object is Ready for its current generation (the benchmark watches them with informers of its own).",
    "",
    "| workers | start to /readyz | converged in | objects/s | LiteLLM calls (per object) | operator RSS after (peak) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |"
  )
  for (const c of r.converge) {
    const n = total(c.counts)
    lines(
      `| ${c.workers} | ${fmt(c.startSeconds, 1)} s | ${c.convergeSeconds === undefined ? `not within 15 min (${c.readyAtEnd} Ready)` : `${fmt(c.convergeSeconds, 1)} s`} | ${c.convergeSeconds === undefined ? "–" : fmt(n / c.convergeSeconds, 0)} | ${fmt(c.litellmCalls)} (${fmt(c.litellmCalls / n, 2)}) | ${mb(c.rssBytes)} (${mb(c.peakBytes)}) |`
    )
  }
  const speedup =
    four?.convergeSeconds !== undefined && one?.convergeSeconds !== undefined
      ? one.convergeSeconds / four.convergeSeconds
      : undefined
  lines(
    "",
    speedup === undefined
      ? ""
      : `4 workers converge ${fmt(speedup, 1)}× as fast as 1 (creating the objects took ${fmt(four?.createSeconds ?? 0, 1)} s, 32 requests at a time, before the operator started).`,
    "",
    "Where the time goes at 4 workers (from the operator's /metrics; a reconcile's time includes its waits on the API server and LiteLLM):",
    "",
    ...workTable(four?.work ?? {}),
    "",
    `Failed reconciles by reason: ${JSON.stringify(four?.errorReasons ?? {})} (an association waits for its Team and User: DependencyNotReady, retried when they change).`,
    "",
    ...liveSection(r.live),
    "## Steady state",
    "",
    `The converged namespace above under an operator with \`--resync-period ${s.resyncPeriodSeconds}s\`; after its start-up pass and one period, ` +
      `${fmt(s.windowSeconds)} s (${PERIODS} periods) counted: ${fmt(s.reconciles)} reconciles (${fmt(s.reconciles / s.objects, 2)} per object), ` +
      "every LiteLLM call the simulator received, and every watch event on the four kinds, Secrets and Events of the namespace (= API-server writes). " +
      `Per reconcile = per object per resync; per hour = at the default 5 min period (${fmt(RESYNCS_PER_HOUR, 2)} resyncs an hour with the 10% jitter).`,
    "",
    "| | per object per resync | per object per hour (5 min period) | in the window |",
    "| --- | ---: | ---: | ---: |",
    `| LiteLLM reads | ${fmt(litellmReadsPerResync, 3)} | ${fmt(litellmReadsPerResync * RESYNCS_PER_HOUR, 2)} | ${fmt(s.litellmCalls - s.litellmWrites)} |`,
    `| LiteLLM writes | ${fmt(perReconcile(s.litellmWrites), 3)} | ${fmt(perReconcile(s.litellmWrites) * RESYNCS_PER_HOUR, 2)} | ${fmt(s.litellmWrites)} |`,
    `| API-server writes | ${fmt(perReconcile(s.apiWrites), 3)} | ${fmt(perReconcile(s.apiWrites) * RESYNCS_PER_HOUR, 2)} | ${fmt(s.apiWrites)} |`,
    ...(ops === undefined
      ? []
      : [
          `| API-server reads by the operator (GET, LIST; audit log) | ${fmt(perReconcile(reads(ops)), 3)} | ${fmt(perReconcile(reads(ops)) * RESYNCS_PER_HOUR, 2)} | ${fmt(reads(ops))} |`,
          `| API-server writes by the operator (audit log) | ${fmt(perReconcile(writes(ops)), 3)} | ${fmt(perReconcile(writes(ops)) * RESYNCS_PER_HOUR, 2)} | ${fmt(writes(ops))} |`
        ]),
    `| API-server GETs, every client (/metrics) | ${fmt(perReconcile(gets(s.apiRequests)), 3)} | ${fmt(perReconcile(gets(s.apiRequests)) * RESYNCS_PER_HOUR, 2)} | ${fmt(gets(s.apiRequests))} |`,
    "",
    `The operator's API-server requests in the window (the API server's audit log; the operator runs as a ServiceAccount of its own): ${ops === undefined ? "not recorded" : requestList(ops)}. ` +
      "Every client's (the API server's /metrics, which has no client label): " +
      `${requestList(s.apiRequests)}; the benchmark's own LIST and WATCH of what it counts are among them, and the API server's requests to itself ` +
      "(its loopback client, user `system:apiserver`: `GET /openapi/v3` every 5 s, its identity lease renewed every 10 s; seen in the audit log of a control plane with no client at all). " +
      `While converging at 4 workers: ${requestList(four?.apiRequests ?? {})}.`,
    "",
    `LiteLLM calls in the window by endpoint: ${Object.entries(s.litellmByEndpoint)
      .sort()
      .map(([e, n]) => `\`${e}\` ${fmt(n)}`)
      .join(", ")}. ` +
      "List pages are `/key/list`, `/user/list` and `/team/list` (one call, all teams with their membership rows); reads by id (`/key/info`, `/user/info`, `/team/info`) are " +
      "what no list answered: the reads that show a list is worth taking again (10 of a kind), and objects written since the last list. " +
      `A list pages through everything LiteLLM holds, every namespace's: ${fmt(s.litellmHeld.keys)} keys, ${fmt(s.litellmHeld.users)} users and ${fmt(s.litellmHeld.teams)} teams in this window, measured before the benchmark's other namespaces are made.`,
    "",
    "## Memory and size sweep",
    "",
    "N objects (the same proportions) already in the API server, then the operator started; once every object is Ready and 10 s have passed: the operator's RSS (`VmRSS`) and peak (`VmHWM`) from /proc; " +
      "then, after a full garbage collection (the operator runs with `--expose-gc` and a preloaded probe, bench/memoryProbe.mjs), its live heap and RSS. " +
      "Its CPU-seconds (user + system, /proc) from its spawn until every object was Ready; the machine is shared, so the load average is given. " +
      `The operator runs as the chart runs it (\`${SHIPPED.join(" ")}\`, values.yaml \`operator.nodeOptions\`), then, up to ${fmt(BARE_UP_TO)} objects, with bare \`node\` for comparison; every other run above uses the chart's options too. ` +
      "50,000 objects are left out unless asked for (`pnpm bench --only sweep --sweep-sizes 1000,10000,50000`).",
    "",
    "| objects | Node options | converged in | operator CPU (per object) | RSS | peak RSS | live heap after GC | RSS after GC | load average before → after |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  )
  for (const m of r.memory)
    lines(
      `| ${fmt(m.objects)} | ${shipped(m.nodeOptions) ? `the chart's: \`${m.nodeOptions.join(" ")}\`` : m.nodeOptions.length === 0 ? "none (bare node)" : `\`${m.nodeOptions.join(" ")}\``} | ${outcome(m)} | ${fmt(m.cpuSeconds, 1)} s (${fmt((1000 * m.cpuSeconds) / m.objects, 1)} ms) | ${mb(m.rssBytes)} | ${mb(m.peakBytes)} | ${m.liveHeapBytes === undefined ? "?" : mb(m.liveHeapBytes)} | ${m.rssAfterGcBytes === undefined ? "?" : mb(m.rssAfterGcBytes)} | ${m.loadBefore} → ${m.loadAfter} |`
    )
  const steadyPoints = r.memory.flatMap((m) => (m.steady === undefined ? [] : [m.steady]))
  if (steadyPoints.length > 0) {
    lines(
      "",
      "Steady state by size (`--sweep-steady`): after each point above with the chart's options, a fresh operator on its namespace with a resync period of N/100 s (at least 10 s); " +
        "its start-up pass and one period left out, then one period counted. Per reconcile = per object per resync. " +
        "API-server reads and writes are the operator's own (the audit log); watch events count every write to the four kinds, Secrets and Events of the namespace.",
      "",
      "| objects | resync period | reconciles in the window | API-server reads (GET, LIST) per object per resync | API-server writes (operator; watch events) | LiteLLM reads | LiteLLM writes |",
      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for (const st of steadyPoints) {
      const per = (n: number) => fmt(st.reconciles === 0 ? Number.NaN : n / st.reconciles, 3)
      const own = st.operatorRequests
      lines(
        `| ${fmt(st.objects)} | ${st.resyncPeriodSeconds} s | ${fmt(st.reconciles)} | ${own === undefined ? "?" : per(reads(own))} | ${own === undefined ? "?" : per(writes(own))}; ${per(st.apiWrites)} | ${per(st.litellmCalls - st.litellmWrites)} | ${per(st.litellmWrites)} |`
      )
    }
  }
  const u = r.unrelated
  const change = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? "?" : `${b >= a ? "+" : ""}${fmt((100 * (b - a)) / a, 1)} %`
  lines(
    "",
    `### With unrelated Secrets`,
    "",
    `A converged namespace of ${fmt(u.objects)} objects, measured by a freshly started operator (settled, then a full GC), then again after ` +
      `${u.bloated ? `${fmt(u.secrets)} VirtualKeys of ${fmt(u.secretBytes / 1024, 0)} KiB of a tenant's finalizers each` : `${fmt(u.secrets)} unrelated Secrets of ${fmt(u.secretBytes / 1024, 0)} KiB of random data each`}${u.posing ? ", labelled as the operator's with their data under a key Secret's entry names," : ""} were added to it (${size(u.secrets * u.secretBytes)}; ` +
      `created 8 at a time in ${fmt(u.createSeconds, 0)} s; etcd's database then ${u.storageBytes === undefined ? "?" : size(u.storageBytes)}; deleted again afterwards).`,
    "",
    "| | RSS | peak RSS | live heap after GC | RSS after GC |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...(
      [
        ["without", u.without],
        ["with", u.with]
      ] as const
    ).map(
      ([label, m]) =>
        `| ${label}${m.exited ? " (the operator died)" : ""} | ${mb(m.rssBytes)} | ${mb(m.peakBytes)} | ${m.liveHeapBytes === undefined ? "?" : mb(m.liveHeapBytes)} | ${m.rssAfterGcBytes === undefined ? "?" : mb(m.rssAfterGcBytes)} |`
    ),
    `| change | ${change(u.without.rssBytes, u.with.rssBytes)} | ${change(u.without.peakBytes, u.with.peakBytes)} | ${change(u.without.liveHeapBytes, u.with.liveHeapBytes)} | ${change(u.without.rssAfterGcBytes, u.with.rssAfterGcBytes)} |`,
    "",
    `The operator's API-server requests while the second operator started and settled (audit log): ${u.operatorRequestsWith === undefined ? "not recorded" : requestList(u.operatorRequestsWith)}; every client's (/metrics): ${requestList(u.apiRequestsWith)}.`
  )
  const largest = Math.max(...r.memory.map((m) => m.objects))
  const bigRun = r.memory.find((m) => m.objects === largest && shipped(m.nodeOptions))
  // The RSS target is about 10,000 objects (scaled with --scale), whatever else the sweep measured.
  const tenThousand = Math.round(10_000 * scale)
  const asShipped = r.memory.find((m) => m.objects === tenThousand && shipped(m.nodeOptions))
  const bare = r.memory.find((m) => m.objects === tenThousand && m.nodeOptions.length === 0)
  const fiftyThousand = r.memory.find((m) => m.objects === Math.round(50_000 * scale) && shipped(m.nodeOptions))
  const operatorReads = ops === undefined ? gets(s.apiRequests) : reads(ops)
  lines(
    "",
    bigRun === undefined ? "" : `Where the time goes at ${fmt(largest)} objects:`,
    "",
    ...(bigRun === undefined ? [] : workTable(bigRun.work)),
    "",
    "## Targets",
    "",
    "| target | measured | verdict |",
    "| --- | --- | --- |",
    `| ${fmt(total(mix))} objects converge in < 60 s (default workers) | ${four?.convergeSeconds === undefined ? "not within 15 min" : `${fmt(four.convergeSeconds, 1)} s`} | ${verdict(four?.convergeSeconds !== undefined && four.convergeSeconds < 60)} |`,
    `| 0 writes per object in steady state | ${fmt(perReconcile(s.apiWrites), 3)} API-server, ${fmt(perReconcile(s.litellmWrites), 3)} LiteLLM per object per resync | ${verdict(s.apiWrites === 0 && s.litellmWrites === 0)} |`,
    `| ≤ 1 LiteLLM read per object per resync | ${fmt(litellmReadsPerResync, 3)} | ${verdict(litellmReadsPerResync <= 1)} |`,
    `| ≤ 0.05 with list-based observation | ${fmt(litellmReadsPerResync, 3)} (lists up to half a resync period old) | ${verdict(litellmReadsPerResync <= 0.05)} |`,
    `| RSS unchanged (± 5 %) by ${size(u.secrets * u.secretBytes)} of unrelated Secrets | ${change(u.without.rssAfterGcBytes, u.with.rssAfterGcBytes)} RSS after GC, ${change(u.without.rssBytes, u.with.rssBytes)} RSS | ${verdict(u.without.rssAfterGcBytes !== undefined && u.with.rssAfterGcBytes !== undefined && Math.abs(u.with.rssAfterGcBytes / u.without.rssAfterGcBytes - 1) <= 0.05)} |`,
    `| 0 API-server reads per object in steady state | ${fmt(perReconcile(operatorReads), 3)} ${ops === undefined ? "GETs (every client: no audit log)" : "GETs and LISTs by the operator"} per object per resync | ${verdict(operatorReads === 0)} |`,
    ...liveTargets(r.live),
    `| RSS ≤ 150 MiB at ${fmt(tenThousand)} objects | ${asShipped === undefined ? "?" : `${mb(asShipped.rssBytes)} (peak ${mb(asShipped.peakBytes)}, live heap ${asShipped.liveHeapBytes === undefined ? "?" : mb(asShipped.liveHeapBytes)})`} as the chart runs it; ${bare === undefined ? "?" : `${mb(bare.rssBytes)} (peak ${mb(bare.peakBytes)})`} with bare node | ${verdict(asShipped !== undefined && !asShipped.exited && asShipped.rssBytes <= 150 * 1024 * 1024)} |`,
    fiftyThousand === undefined
      ? `| ${fmt(Math.round(50_000 * scale))} objects converge without error under the chart's memory limit | not in this run (\`--sweep-sizes 1000,10000,50000\`) | not measured |`
      : `| ${fmt(fiftyThousand.objects)} objects converge without error under the chart's memory limit | ${outcome(fiftyThousand)}; peak RSS ${mb(fiftyThousand.peakBytes)} | ${verdict(fiftyThousand.convergeSeconds !== undefined && !fiftyThousand.exited)} |`,
    "",
    "## Raw results",
    "",
    "```json",
    JSON.stringify(
      { converge: r.converge, live: r.live, steady: r.steady, memory: r.memory, unrelated: r.unrelated },
      null,
      1
    ),
    "```",
    ""
  )
  return `${rows.filter((line, i, all) => !(line === "" && all[i - 1] === "")).join("\n")}\n`
}

const callsOf = (l: LiveResult) => Object.values(l.litellmCalls).reduce((sum, n) => sum + n, 0)
const spread = (xs: ReadonlyArray<number>, digits: number, unit: string) =>
  xs.length === 0
    ? "?"
    : `${fmt(Math.min(...xs), digits)}${Math.min(...xs) === Math.max(...xs) ? "" : `-${fmt(Math.max(...xs), digits)}`}${unit}`

/** Objects created while the operator runs: each run, the spread, and where the first run's calls went. */
const liveSection = (live: Results["live"]): ReadonlyArray<string> => {
  const first = live[0]
  if (first === undefined) return []
  const n = total(first.counts)
  return [
    "## Objects created while the operator runs",
    "",
    `The operator (4 workers) starts on an empty namespace; then ${describeCounts(first.counts)} are created 32 at a time, as GitOps applies them; ` +
      `timed from the first create until every object is Ready for its generation; ${LIVE_RUNS} runs. Operator CPU is user + system time from /proc over the same span.`,
    "",
    "| run | load before → after | every object Ready in | operator CPU | per object | LiteLLM calls (per object) | peak RSS |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ...live.map(
      (l, i) =>
        `| ${i + 1} | ${l.loadBefore} → ${l.loadAfter} | ${l.convergeSeconds === undefined ? `not within 15 min (${fmt(l.readyAtEnd)} Ready)` : `${fmt(l.convergeSeconds, 1)} s`} | ${fmt(l.cpuSeconds, 1)} s | ${fmt((1000 * l.cpuSeconds) / n, 1)} ms | ${fmt(callsOf(l))} (${fmt(callsOf(l) / n, 2)}) | ${mb(l.peakBytes)} |`
    ),
    "",
    `Spread: ${spread(
      live.flatMap((l) => (l.convergeSeconds === undefined ? [] : [l.convergeSeconds])),
      1,
      " s"
    )} to converge, ${spread(
      live.map((l) => (1000 * l.cpuSeconds) / n),
      1,
      " ms"
    )} of CPU per object, ${spread(
      live.map((l) => l.peakBytes / 1024 / 1024),
      0,
      " MiB"
    )} peak RSS.`,
    "",
    `LiteLLM calls of run 1 by endpoint: ${requestList(first.litellmCalls)}.`,
    "",
    `API-server requests of run 1 by verb and resource (the API server's /metrics, every client: the benchmark's own creates included): ${requestList(first.apiRequests)}.`,
    "",
    ...workTable(first.work),
    ""
  ]
}

/** The live-creation targets of issue 16, judged on the worst run. */
const liveTargets = (live: Results["live"]): ReadonlyArray<string> => {
  const first = live[0]
  if (first === undefined) return []
  const n = total(first.counts)
  const cpu = live.map((l) => (1000 * l.cpuSeconds) / n)
  const calls = live.map((l) => callsOf(l) / n)
  const peaks = live.map((l) => l.peakBytes)
  const converged = live.every((l) => l.convergeSeconds !== undefined)
  return [
    `| live creation of ${fmt(n)} objects: operator CPU ≤ 6 ms per object | ${spread(cpu, 1, " ms")} (${live.length} runs) | ${verdict(converged && Math.max(...cpu) <= 6)} |`,
    `| live creation: LiteLLM calls ≤ 2.5 per object | ${spread(calls, 2, "")} | ${verdict(converged && Math.max(...calls) <= 2.5)} |`,
    `| live creation: peak RSS ≤ 100 MiB | ${spread(
      peaks.map((b) => b / 1024 / 1024),
      0,
      " MiB"
    )} | ${verdict(converged && Math.max(...peaks) <= 100 * 1024 * 1024)} |`
  ]
}

/** Sections written by the other benchmarks (refused.ts, the deployment tier) follow this line and are kept. */
const keptMarker = "<!-- Below: sections written by other benchmarks; pnpm bench keeps them. -->"

const keptSections = (file: string): string => {
  const text = (() => {
    try {
      return readFileSync(file, "utf8")
    } catch {
      return ""
    }
  })()
  const at = text.indexOf(keptMarker)
  return `\n${at === -1 ? `${keptMarker}\n` : text.slice(at)}`
}

const bench = Command.make(
  "bench",
  {
    scale: Flag.Finite("scale").pipe(
      Flag.withDescription("shrinks every population (a quick check of the benchmark itself; the file says so)"),
      Flag.filter(
        (n) => n > 0,
        (n) => `--scale must be above 0 (got ${n})`
      ),
      Flag.withDefault(1)
    ),
    out: Flag.String("out").pipe(
      Flag.withDescription("the file to write (default BENCHMARKS.md at the repository root)"),
      Flag.withDefault(join(repoRoot, "BENCHMARKS.md"))
    ),
    listMaxAge: Flag.String("list-max-age").pipe(
      Flag.withDescription("passed to every operator run (0s: no lists)"),
      Flag.optional
    ),
    only: Flag.Literals("only", ["memory", "live", "secrets", "sweep"]).pipe(
      Flag.withDescription(
        "memory <n>: the operator's memory at n objects; live: objects created while it runs; secrets: what concerns Secrets; sweep: the size sweep (each prints JSON, BENCHMARKS.md untouched)"
      ),
      Flag.optional
    ),
    sweepSizes: Flag.String("sweep-sizes").pipe(
      Flag.withDescription(
        "the size sweep's object counts, comma-separated (default 1000,10000; e.g. 1000,10000,50000)"
      ),
      Flag.filter(
        (text) => text.split(",").every((n) => /^\d+$/.test(n.trim()) && Number(n) > 0),
        (text) => `--sweep-sizes takes positive integers separated by commas (got ${text})`
      ),
      Flag.optional
    ),
    sweepSteady: Flag.Boolean("sweep-steady").pipe(
      Flag.withDescription(
        "after each sweep point (the chart's options), a steady-state window of one resync period (n/100 s) on it"
      ),
      Flag.withDefault(false)
    ),
    unrelatedMib: Flag.Int("unrelated-mib").pipe(
      Flag.withDescription("the unrelated Secrets' total in MiB, 1 MiB each (default 1024)"),
      Flag.filter(
        (n) => n > 0,
        (n) => `--unrelated-mib must be above 0 (got ${n})`
      ),
      Flag.withDefault(1024)
    ),
    unrelatedPosing: Flag.Boolean("unrelated-posing").pipe(
      Flag.withDescription(
        "the unrelated Secrets carry the operator's managed-by label, their data under a key Secret's entry names"
      ),
      Flag.withDefault(false)
    ),
    unrelatedBloated: Flag.Boolean("unrelated-bloated").pipe(
      Flag.withDescription(
        "instead of Secrets, VirtualKeys of the namespace each made 1 MiB large by a tenant's finalizers"
      ),
      Flag.withDefault(false)
    ),
    settle: Flag.Int("settle").pipe(
      Flag.withDescription(
        "with --only memory: also the RSS this many seconds after convergence (above 10), before the full GC"
      ),
      Flag.optional
    ),
    objects: Argument.Int("objects").pipe(
      Argument.withDescription("with --only memory: how many objects (default 10000)"),
      Argument.optional
    ),
    entry: Flag.String("entry").pipe(
      Flag.withDescription("a bundle built elsewhere (e.g. an older commit) instead of bundling this checkout"),
      Flag.optional
    ),
    cpuProf: Flag.String("cpu-prof").pipe(
      Flag.withDescription("a directory for a V8 CPU profile of every operator run"),
      Flag.optional
    ),
    nodeOptions: Flag.String("node-options").pipe(
      Flag.withDescription("run the operator with these Node options instead of the chart's"),
      Flag.optional
    ),
    operatorCommand: Flag.String("operator-command").pipe(
      Flag.withDescription(
        "with --only live: measure this program instead of our operator, split on spaces; {port} becomes the port where it answers GET /readyz, {metricsPort} one for its /metrics; it gets KUBECONFIG"
      ),
      Flag.filterMap(
        (text) => {
          const parsed = parseOperatorCommand(text)
          return parsed instanceof OperatorCommandError ? Option.none() : Option.some(parsed)
        },
        (text) => {
          const parsed = parseOperatorCommand(text)
          return parsed instanceof OperatorCommandError ? parsed.message : text
        }
      ),
      Flag.optional
    ),
    liveWorkers: Flag.Int("workers").pipe(
      Flag.withDescription("with --only live: the operator's workers per kind (default 4, the operator's default)"),
      Flag.withDefault(4)
    ),
    operatorCrds: Flag.String("operator-crds").pipe(
      Flag.withDescription(
        "with --operator-command: a directory of CRDs it needs besides ours (e.g. kinds it watches)"
      ),
      Flag.optional
    )
  },
  (flags) => {
    const o: BenchOptions = {
      argv: process.argv.slice(2),
      scale: flags.scale,
      out: flags.out,
      operatorFlags: Option.match(flags.listMaxAge, { onNone: () => [], onSome: (age) => ["--list-max-age", age] }),
      onlySecrets: Option.contains(flags.only, "secrets"),
      onlyLive: Option.contains(flags.only, "live"),
      onlyMemory: Option.contains(flags.only, "memory") ? Option.getOrElse(flags.objects, () => 10_000) : undefined,
      onlySweep: Option.contains(flags.only, "sweep"),
      settleSeconds: Option.getOrUndefined(flags.settle),
      sweepSizes: Option.match(flags.sweepSizes, {
        onNone: () => SWEEP_SIZES,
        onSome: (text) => text.split(",").map((n) => Number(n.trim()))
      }),
      unrelatedMib: flags.unrelatedMib,
      unrelatedPosing: flags.unrelatedPosing,
      unrelatedBloated: flags.unrelatedBloated,
      sweepSteady: flags.sweepSteady,
      entry: Option.getOrUndefined(flags.entry),
      operatorCommand: Option.getOrUndefined(flags.operatorCommand),
      operatorCrds: Option.getOrUndefined(flags.operatorCrds),
      liveWorkers: flags.liveWorkers,
      cpuProf: Option.getOrUndefined(flags.cpuProf),
      nodeOptions: Option.getOrUndefined(flags.nodeOptions)
    }
    // Only the live creation knows how to measure another program (no ops server of ours to read).
    if (o.operatorCommand !== undefined && !o.onlyLive)
      return Effect.die(new Error("--operator-command needs --only live"))
    return Effect.scoped(program(o)).pipe(
      Effect.flatMap((results) =>
        Effect.sync(() => {
          // `--only live` printed its result already.
          if (results === undefined) return
          if (o.onlySecrets) {
            process.stdout.write(
              `${JSON.stringify({ converge: results.converge, steady: results.steady, unrelated: results.unrelated }, null, 1)}\n`
            )
            return
          }
          writeFileSync(o.out, report(results, o) + keptSections(o.out))
          process.stderr.write(`bench: wrote ${o.out}\n`)
        })
      )
    )
  }
).pipe(
  Command.withDescription(
    "Every benchmark, written to BENCHMARKS.md (its own control plane and simulator; BENCH_PROGRESS=1 prints convergence progress)."
  )
)

runMain(bench, { version: "", usageExitCode: () => 2 })
