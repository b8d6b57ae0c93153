/**
 * `pnpm bench`: every benchmark, written to BENCHMARKS.md at the repository
 * root with the machine, the date, the Node version and the command.
 *
 * - plan throughput per kind (packages/core/bench/plan.bench.ts);
 * - time to converge 1,000 VirtualKeys, 100 Teams, 300 Users (own keys) and
 *   300 associations with 10 ms of LiteLLM latency, at 4 workers (the
 *   default) and at 1;
 * - LiteLLM calls and API-server writes per object per hour in steady state;
 * - the operator's RSS at 1,000 and 10,000 objects, and at 1,000 with 150
 *   unrelated Secrets of 700 KiB each in the namespace;
 * - API-server requests by verb and resource while converging and in steady
 *   state (e.g. `GET secrets`).
 *
 * It starts its own control plane (tools/control-plane) and simulator, so it
 * needs nothing running. Flags: `--scale <f>` shrinks every population (a
 * quick check of the benchmark itself; the file says so), `--out <file>`,
 * `--list-max-age <duration>` (passed to every operator run; `0s`: no lists),
 * `--cpu-prof <dir>` (a V8 CPU profile of every operator run, summarised by
 * `node packages/app/bench/cpuProfile.ts <file>`),
 * `--only memory <n>` (the operator's memory at n objects, as JSON),
 * `--only live` (objects created while the operator runs, 32 at a time: time,
 * operator CPU-seconds, LiteLLM calls by endpoint, API-server requests, peak
 * RSS; printed as JSON, BENCHMARKS.md untouched),
 * `--only secrets` (only what concerns Secrets: converge at 4 workers,
 * steady state, unrelated Secrets; printed as JSON, BENCHMARKS.md untouched),
 * `--entry <operator.mjs>` (a bundle built elsewhere, e.g. from an older
 * commit, instead of bundling this checkout: a before/after comparison).
 * `BENCH_PROGRESS=1` prints convergence progress.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { cpus, loadavg, tmpdir, totalmem } from "node:os"
import { join } from "node:path"
import { KubeClient, KubeTransport } from "@litellm-operator/k8s"
import { installCrds, spawnControlPlane } from "@litellm-operator/k8s/local"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Duration, Effect, Layer, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { bundleOperator } from "../bin/bundle.ts"
import { runMain } from "../src/cli/run.ts"
import type { Counts } from "../test/support/population.ts"
import { total } from "../test/support/population.ts"
import type { ConvergeResult, MemoryResult, SteadyResult, UnrelatedSecretsResult } from "./load.ts"
import {
  chartValue,
  converge,
  inChartContainer,
  liveCreation,
  masterKey,
  memoryAt,
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
  /** `--only live`: the live-creation run alone, printed as JSON (BENCHMARKS.md untouched). */
  readonly onlyLive: boolean
  /** `--only memory <n>`: the operator's memory at n objects (the standard mix), the chart's options; JSON. */
  readonly onlyMemory: number | undefined
  readonly entry: string | undefined
  readonly cpuProf: string | undefined
  readonly nodeOptions: string | undefined
}
/** Unrelated Secrets added for the memory comparison: 150 of 700 KiB (about 100 MiB), as in the issue. */
const UNRELATED = { secrets: 150, secretBytes: 700 * 1024 }
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

interface Results {
  readonly startedAt: Date
  readonly loadBefore: string
  readonly plan: string
  readonly converge: ReadonlyArray<ConvergeResult & { readonly loadAfter: string }>
  readonly steady: SteadyResult & { readonly loadAfter: string }
  readonly memory: ReadonlyArray<MemoryResult & { readonly loadAfter: string }>
  readonly unrelated: UnrelatedSecretsResult & { readonly loadAfter: string }
  readonly finishedAt: Date
}

/** The API-server client and the simulator, with LATENCY_MS on every LiteLLM call. */
const benchLayer = (kubeconfig: string) =>
  Layer.mergeAll(
    KubeClient.layerFromFile(kubeconfig),
    Layer.effectDiscard(
      Effect.flatMap(Simulator, (sim) => sim.setFaults([{ kind: "latency", latencyMs: LATENCY_MS }]))
    ).pipe(Layer.provideMerge(Simulator.layer({ masterKey, seed: 7 })))
  )

const program = (o: BenchOptions) =>
  Effect.gen(function* () {
    const startedAt = new Date()
    const loadBefore = load()
    yield* log(`bench: load average ${loadBefore}; plan throughput…`)
    const plan = planBench()
    yield* log(plan)

    yield* log("bench: starting the control plane…")
    const cp = yield* Effect.acquireRelease(spawnControlPlane(), (c) => c.stop(Duration.seconds(10)))
    yield* installCrds(cp.kubeconfig).pipe(Effect.provide(KubeTransport.layerFromFile(cp.kubeconfig)))
    // The operator as the image ships it: the esbuild bundle of src/main.ts.
    const given = o.entry
    const entry = given ?? join(mkdtempSync(join(tmpdir(), "litellm-operator-bench-")), "operator.mjs")
    if (given === undefined) yield* Effect.promise(() => bundleOperator(entry))
    // `--cpu-prof <dir>`: every operator run writes a V8 CPU profile there (summarise with bench/cpuProfile.ts).
    const profileDir = o.cpuProf
    // `--node-options "<options>"`: run the operator with these instead of the chart's (to weigh a change of them).
    const givenNodeOptions = o.nodeOptions
    const base =
      givenNodeOptions === undefined ? SHIPPED : inChartContainer(givenNodeOptions.split(" ").filter((o) => o !== ""))
    const nodeOptions = profileDir === undefined ? base : [...base, "--cpu-prof", `--cpu-prof-dir=${profileDir}`]
    const env = { kubeconfig: cp.kubeconfig, entry, nodeOptions, operatorFlags: o.operatorFlags }
    const mix = scaled(standardMix, o.scale)
    const timeout = Duration.minutes(15)

    const onlyMemory = o.onlyMemory
    if (onlyMemory !== undefined) {
      return yield* Effect.gen(function* () {
        yield* log(`bench: memory at ${onlyMemory} objects, Node options ${JSON.stringify(nodeOptions)}…`)
        const memory = yield* memoryAt(env, onlyMemory, { timeout, nodeOptions })
        process.stdout.write(`${JSON.stringify({ ...memory, loadBefore, loadAfter: load() }, null, 1)}\n`)
        return undefined
      }).pipe(Effect.provide(benchLayer(cp.kubeconfig)))
    }
    if (o.onlyLive) {
      return yield* Effect.gen(function* () {
        yield* log(`bench: live creation of ${describeCounts(mix)} at 4 workers…`)
        const live = yield* liveCreation(env, mix, 4, { timeout })
        process.stdout.write(`${JSON.stringify({ ...live, loadBefore, loadAfter: load() }, null, 1)}\n`)
        return undefined
      }).pipe(Effect.provide(benchLayer(cp.kubeconfig)))
    }
    return yield* Effect.gen(function* () {
      const convergeResults: Array<ConvergeResult & { readonly loadAfter: string }> = []
      let steadyNamespace = ""
      for (const workers of o.onlySecrets ? [4] : [4, 1]) {
        yield* log(`bench: converge ${describeCounts(mix)} at ${workers} worker(s)…`)
        const { namespace, result } = yield* converge(env, mix, workers, { timeout })
        if (workers === 4) steadyNamespace = namespace
        convergeResults.push({ ...result, loadAfter: load() })
        yield* log(`  ${JSON.stringify(result)}`)
      }
      yield* log(`bench: steady state, resync ${RESYNC_SECONDS} s, ${PERIODS} periods…`)
      const steadyResult = yield* steadyState(env, steadyNamespace, total(mix), {
        resyncSeconds: RESYNC_SECONDS,
        periods: PERIODS
      })
      const steady = { ...steadyResult, loadAfter: load() }
      yield* log(`  ${JSON.stringify(steady)}`)
      const unrelatedAt = Math.round(1000 * o.scale)
      yield* log(
        `bench: memory at ${unrelatedAt} objects without and with ${UNRELATED.secrets} unrelated Secrets of ${UNRELATED.secretBytes / 1024} KiB…`
      )
      const unrelated = { ...(yield* unrelatedSecrets(env, unrelatedAt, { ...UNRELATED, timeout })), loadAfter: load() }
      yield* log(`  ${JSON.stringify(unrelated)}`)
      const memory: Array<MemoryResult & { readonly loadAfter: string }> = []
      for (const n of o.onlySecrets ? [] : [1000, 10_000].map((x) => Math.round(x * o.scale))) {
        for (const nodeOptions of [SHIPPED, []]) {
          yield* log(`bench: memory at ${n} objects, Node options ${JSON.stringify(nodeOptions)}…`)
          const result = yield* memoryAt(env, n, { timeout, nodeOptions })
          memory.push({ ...result, loadAfter: load() })
          yield* log(`  ${JSON.stringify(result)}`)
        }
      }
      return {
        startedAt,
        loadBefore,
        plan,
        converge: convergeResults,
        steady,
        memory,
        unrelated,
        finishedAt: new Date()
      } satisfies Results
    }).pipe(Effect.provide(benchLayer(cp.kubeconfig)))
  })

const verdict = (met: boolean) => (met ? "**met**" : "**missed**")

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
    `| API-server reads (GET) | ${fmt(perReconcile(gets(s.apiRequests)), 3)} | ${fmt(perReconcile(gets(s.apiRequests)) * RESYNCS_PER_HOUR, 2)} | ${fmt(gets(s.apiRequests))} |`,
    "",
    `API-server requests in the window (from its /metrics; the benchmark's own LIST and WATCH of what it counts included): ${requestList(s.apiRequests)}. ` +
      `While converging at 4 workers: ${requestList(four?.apiRequests ?? {})}.`,
    "",
    `LiteLLM calls in the window by endpoint: ${Object.entries(s.litellmByEndpoint)
      .sort()
      .map(([e, n]) => `\`${e}\` ${fmt(n)}`)
      .join(", ")}. ` +
      "List pages are `/key/list`, `/user/list` and `/team/list` (one call, all teams with their membership rows); reads by id (`/key/info`, `/user/info`, `/team/info`) are " +
      "what no list answered: the reads that show a list is worth taking again (10 of a kind), and objects written since the last list.",
    "",
    "## Memory",
    "",
    "Once a namespace of N objects (the same proportions) has converged and 10 s have passed: the operator's RSS (`VmRSS`) and peak (`VmHWM`) from /proc; " +
      "then, after a full garbage collection (the operator runs with `--expose-gc` and a preloaded probe, bench/memoryProbe.mjs), its live heap and RSS. " +
      `The operator runs as the chart runs it (\`${SHIPPED.join(" ")}\`, values.yaml \`operator.nodeOptions\`), then with bare \`node\` for comparison; every other run above uses the chart's options too.`,
    "",
    "| objects | Node options | converged in | RSS | peak RSS | live heap after GC | RSS after GC |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"
  )
  for (const m of r.memory)
    lines(
      `| ${fmt(m.objects)} | ${shipped(m.nodeOptions) ? `the chart's: \`${m.nodeOptions.join(" ")}\`` : m.nodeOptions.length === 0 ? "none (bare node)" : `\`${m.nodeOptions.join(" ")}\``} | ${m.exited ? "the operator exited" : m.convergeSeconds === undefined ? "not within 15 min" : `${fmt(m.convergeSeconds, 1)} s`} | ${mb(m.rssBytes)} | ${mb(m.peakBytes)} | ${m.liveHeapBytes === undefined ? "?" : mb(m.liveHeapBytes)} | ${m.rssAfterGcBytes === undefined ? "?" : mb(m.rssAfterGcBytes)} |`
    )
  const u = r.unrelated
  const change = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? "?" : `${b >= a ? "+" : ""}${fmt((100 * (b - a)) / a, 1)} %`
  lines(
    "",
    `### With unrelated Secrets`,
    "",
    `A converged namespace of ${fmt(u.objects)} objects, measured by a freshly started operator (settled, then a full GC), then again after ` +
      `${u.secrets} unrelated Secrets of ${fmt(u.secretBytes / 1024, 0)} KiB of random data each were added to it (${mb(u.secrets * u.secretBytes)}).`,
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
    `API-server requests while the second operator started and settled: ${requestList(u.apiRequestsWith)}.`
  )
  const largest = Math.max(...r.memory.map((m) => m.objects))
  const atLargest = r.memory.filter((m) => m.objects === largest)
  const asShipped = atLargest.find((m) => shipped(m.nodeOptions))
  const bare = atLargest.find((m) => m.nodeOptions.length === 0)
  const bigRun = asShipped
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
    `| RSS unchanged (± 5 %) by ${mb(u.secrets * u.secretBytes)} of unrelated Secrets | ${change(u.without.rssAfterGcBytes, u.with.rssAfterGcBytes)} RSS after GC, ${change(u.without.rssBytes, u.with.rssBytes)} RSS | ${verdict(u.without.rssAfterGcBytes !== undefined && u.with.rssAfterGcBytes !== undefined && Math.abs(u.with.rssAfterGcBytes / u.without.rssAfterGcBytes - 1) <= 0.05)} |`,
    `| 0 API-server reads per object in steady state | ${fmt(perReconcile(gets(s.apiRequests)), 3)} GETs per object per resync | ${verdict(gets(s.apiRequests) === 0)} |`,
    `| RSS ≤ 150 MiB at ${fmt(largest)} objects | ${asShipped === undefined ? "?" : `${mb(asShipped.rssBytes)} (peak ${mb(asShipped.peakBytes)}, live heap ${asShipped.liveHeapBytes === undefined ? "?" : mb(asShipped.liveHeapBytes)})`} as the chart runs it; ${bare === undefined ? "?" : `${mb(bare.rssBytes)} (peak ${mb(bare.peakBytes)})`} with bare node | ${verdict(asShipped !== undefined && !asShipped.exited && asShipped.rssBytes <= 150 * 1024 * 1024)} |`,
    "",
    "## Raw results",
    "",
    "```json",
    JSON.stringify({ converge: r.converge, steady: r.steady, memory: r.memory, unrelated: r.unrelated }, null, 1),
    "```",
    ""
  )
  return `${rows.filter((line, i, all) => !(line === "" && all[i - 1] === "")).join("\n")}\n`
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
    only: Flag.Literals("only", ["memory", "live", "secrets"]).pipe(
      Flag.withDescription(
        "memory <n>: the operator's memory at n objects; live: objects created while it runs; secrets: what concerns Secrets (each prints JSON, BENCHMARKS.md untouched)"
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
      entry: Option.getOrUndefined(flags.entry),
      cpuProf: Option.getOrUndefined(flags.cpuProf),
      nodeOptions: Option.getOrUndefined(flags.nodeOptions)
    }
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
