/**
 * The local main job (`bash scripts/start.sh`):
 *
 *   node packages/app/src/local/startLocal.ts [--once] [--timeout 90s]
 *
 * Starts the local control plane (a real kube-apiserver + etcd) and the
 * LiteLLM simulator in-process — or uses a real LiteLLM when LITELLM_URL and
 * LITELLM_MASTER_KEY are set — installs the CRDs, runs the operator
 * in-process (with a Lease, as in a cluster), applies examples/ with the
 * connection Secret pointed at the proxy in use, waits until every example is
 * Ready, and prints their state and the LiteLLM objects they produced. Then it
 * runs until Ctrl-C (or exits at once with --once). Stopping stops the
 * operator (in-flight reconciles finish, the Lease is released), the
 * simulator and the control plane, whose temporary data is removed. With a
 * real LiteLLM the examples are deleted first, so the operator removes what
 * it created there.
 *
 * Operator logs go to stderr (LOG_LEVEL, default Error); the report to stdout.
 * Neither ever shows a key or the master key.
 */
import { randomBytes } from "node:crypto"
import { existsSync } from "node:fs"
import { relative } from "node:path"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { parseDuration } from "@litellm-operator/core"
import type { Manifest } from "@litellm-operator/k8s"
import { KubeClient, KubeTransport, readManifestDirectory } from "@litellm-operator/k8s"
import type { ControlPlaneHandle } from "@litellm-operator/k8s/local"
import { applyManifests, crdDirectory, installCrds, spawnControlPlane } from "@litellm-operator/k8s/local"
import { LiteLLMClient } from "@litellm-operator/litellm"
import { Simulator } from "@litellm-operator/litellm/simulator"
import {
  Cause,
  Clock,
  Deferred,
  Duration,
  Effect,
  Fiber,
  Layer,
  Logger,
  Redacted,
  References,
  Schedule,
  Schema
} from "effect"
import { Command, Flag } from "effect/cli"
import packageJson from "../../package.json" with { type: "json" }
import { runMain } from "../cli/run.ts"
import { loadOperatorConfig } from "../config/OperatorConfig.ts"
import { runOperatorProcess } from "../OperatorProcess.ts"
import type { ObservedObject } from "./localRun.ts"
import {
  deleteObject,
  examplesDirectory,
  inventory,
  isGone,
  observe,
  operatorObjects,
  pointConnectionSecrets
} from "./localRun.ts"
import { keysTable, notReadyLines, objectsTable, teamsTable, usersTable } from "./report.ts"

class LocalRunError extends Schema.TaggedError<LocalRunError>()("LocalRunError", { message: Schema.String }) {}

const say = (line = "") => Effect.sync(() => void process.stdout.write(`${line}\n`))

const shown = (path: string) => `${relative(process.cwd(), path) || path}/`

const seconds = (millis: number) => `${(millis / 1000).toFixed(1)}s`

interface Args {
  readonly once: boolean
  readonly timeout: Duration.Duration
}

/** `--timeout`: seconds, minutes or hours in the API's notation (90s, 5m). */
const timeoutOf = (text: string): Effect.Effect<Duration.Duration, LocalRunError> => {
  const parsed = parseDuration(text.trim())
  const unit = parsed?.unit === "s" ? 1 : parsed?.unit === "m" ? 60 : parsed?.unit === "h" ? 3600 : undefined
  return parsed === undefined || unit === undefined
    ? Effect.fail(new LocalRunError({ message: `--timeout must be a duration such as 90s or 5m (got ${text})` }))
    : Effect.succeed(Duration.seconds(parsed.amount * unit))
}

interface Proxy {
  readonly url: string
  readonly masterKey: Redacted.Redacted<string>
  readonly real: boolean
}

/** A real LiteLLM from the environment, or the simulator for this run (stopped with the scope). */
const startProxy = Effect.gen(function* () {
  const url = process.env.LITELLM_URL?.trim() ?? ""
  const key = process.env.LITELLM_MASTER_KEY?.trim() ?? ""
  if (url !== "" || key !== "") {
    if (url === "" || key === "") {
      return yield* new LocalRunError({
        message: "set both LITELLM_URL and LITELLM_MASTER_KEY to use a real LiteLLM, or neither to use the simulator"
      })
    }
    const proxy: Proxy = { url: url.replace(/\/+$/, ""), masterKey: Redacted.make(key), real: true }
    const client = yield* LiteLLMClient.make(proxy).pipe(Effect.provide(NodeHttpClient.dispatcherLayerGlobal))
    yield* client.readiness.pipe(
      Effect.mapError(
        (error) => new LocalRunError({ message: `LiteLLM at ${proxy.url} is not usable: ${error.message}` })
      )
    )
    yield* say(`  LiteLLM         ${proxy.url} (from LITELLM_URL)`)
    return proxy
  }
  const masterKey = Redacted.make(`sk-local-${randomBytes(24).toString("base64url")}`)
  const simulator = yield* Simulator.make({ masterKey })
  yield* say(`  LiteLLM         simulator at ${simulator.url} (in-process; a master key made for this run)`)
  return { url: simulator.url, masterKey, real: false } satisfies Proxy
})

/** Deletes the examples and waits until the operator has let them go (it removes what it created in LiteLLM). */
const removeExamples = (objects: ReadonlyArray<Manifest>) =>
  Effect.gen(function* () {
    yield* say("removing the examples, so that the operator deletes what it created in LiteLLM ...")
    for (const manifest of [...objects].reverse()) yield* deleteObject(manifest)
    yield* Effect.forEach(objects, (manifest) =>
      isGone(manifest).pipe(Effect.repeat({ schedule: Schedule.spaced("200 millis"), until: (gone) => gone }))
    )
  }).pipe(
    Effect.timeout("30 seconds"),
    Effect.catchCause((cause) => say(`could not remove every example: ${Cause.pretty(cause).split("\n")[0]}`))
  )

const runLocal = Effect.fnUntraced(function* (args: Args, cp: ControlPlaneHandle, proxy: Proxy, started: number) {
  const transport = yield* KubeTransport
  const version = yield* transport.request({ method: "GET", path: "/version" }).pipe(
    Effect.flatMap(Schema.decodeUnknownEffect(Schema.fromJsonString(Schema.Struct({ gitVersion: Schema.String })))),
    Effect.map((v) => v.gitVersion),
    Effect.orElseSucceed(() => "(version unknown)")
  )
  yield* say(
    `  control plane   kube-apiserver ${version} at ${cp.server} (pid ${cp.pid}), ready in ${seconds(cp.startupMillis)}`
  )

  const crds = yield* installCrds(cp.kubeconfig)
  yield* say(`  CRDs            ${crds.length} installed from ${shown(crdDirectory)}`)

  // The operator, in-process, with a Lease as in a cluster.
  const loaded = yield* loadOperatorConfig(
    ["--kubeconfig", cp.kubeconfig, "--identity", "local", "--lease-namespace", "default"],
    {
      RESYNC_PERIOD: "30s",
      LOG_LEVEL: "Error",
      ...Object.fromEntries(
        ["LOG_LEVEL", "WORKERS", "RESYNC_PERIOD", "LITELLM_TIMEOUT", "HTTP_PORT"].flatMap((name) => {
          const value = process.env[name]
          return value === undefined ? [] : [[name, value]]
        })
      )
    }
  )
  const config = { ...loaded, httpPort: process.env.HTTP_PORT === undefined ? 0 : loaded.httpPort }
  const listening = yield* Deferred.make<string>()
  const operator = yield* Effect.forkScoped(
    runOperatorProcess(config, { identity: "local", onListening: (url) => Deferred.succeed(listening, url) }).pipe(
      Effect.provideService(References.MinimumLogLevel, config.logLevel)
    )
  )
  const operatorStopped = Fiber.join(operator).pipe(
    Effect.flatMap(() => Effect.fail(new LocalRunError({ message: "the operator stopped" })))
  )
  const opsUrl = yield* Effect.raceFirst(Deferred.await(listening), operatorStopped)
  const port = new URL(opsUrl).port
  yield* say(
    `  operator        in-process, leader election on; http://127.0.0.1:${port}/metrics, /readyz; logs on stderr (LOG_LEVEL=${config.logLevel})`
  )

  // The examples, with the connection Secret pointed at the proxy in use.
  const all = yield* readManifestDirectory(examplesDirectory)
  const pointed = pointConnectionSecrets(all, proxy.url, proxy.masterKey)
  const objects = operatorObjects(pointed.manifests)
  if (proxy.real) yield* Effect.addFinalizer(() => removeExamples(objects))
  yield* applyManifests(cp.kubeconfig, pointed.manifests, { fieldManager: "litellm-operator-local" })
  const applied = yield* Clock.currentTimeMillis
  yield* say(
    `  examples        ${pointed.manifests.length} objects applied from ${shown(examplesDirectory)}` +
      (pointed.rewritten.length === 0
        ? ""
        : ` (Secret ${pointed.rewritten.join(", ")} pointed at ${proxy.real ? "LiteLLM" : "the simulator"})`)
  )

  // Every example Ready, or a clear failure naming what is not and why.
  const waitReady = Effect.gen(function* () {
    const deadline = applied + Duration.toMillis(args.timeout)
    while (true) {
      const observed: ReadonlyArray<ObservedObject> = yield* Effect.forEach(objects, observe)
      if (observed.every((o) => o.row.ready === "True")) return observed
      if ((yield* Clock.currentTimeMillis) > deadline) {
        const rows = observed.map((o) => o.row)
        return yield* new LocalRunError({
          message:
            `not every example became Ready within ${Duration.format(args.timeout)}:\n  ` +
            `${notReadyLines(rows).join("\n  ")}\n\n${objectsTable(rows)}`
        })
      }
      yield* Effect.sleep("200 millis")
    }
  })
  const observed = yield* Effect.raceFirst(waitReady, operatorStopped)
  const ready = yield* Clock.currentTimeMillis

  const client = yield* LiteLLMClient.make(proxy).pipe(Effect.provide(NodeHttpClient.dispatcherLayerGlobal))
  const produced = yield* inventory(client, observed)
  yield* say()
  yield* say(
    `Every example is Ready, ${seconds(ready - applied)} after it was applied (${seconds(ready - started)} after start):`
  )
  yield* say()
  yield* say(objectsTable(observed.map((o) => o.row)))
  yield* say()
  yield* say(`LiteLLM teams (${produced.teams.length}):`)
  yield* say(teamsTable(produced.teams))
  yield* say()
  yield* say(`LiteLLM users (${produced.users.length}):`)
  yield* say(usersTable(produced.users))
  yield* say()
  yield* say(`LiteLLM keys (${produced.keys.length}; sha256 tokens shortened, each key only in its Secret):`)
  yield* say(keysTable(produced.keys))
  yield* say()
  yield* say("Look around with kubectl (while this runs):")
  yield* say(`  kubectl --kubeconfig ${cp.kubeconfig} get teams,users,virtualkeys,teammemberassociations -A`)
  yield* say()
  if (args.once) {
    yield* say("--once: stopping.")
    return
  }
  yield* say("Running. Press Ctrl-C to stop the operator, the simulator and the control plane.")
  yield* operatorStopped
})

const program = Effect.fnUntraced(function* (args: Args) {
  const started = yield* Clock.currentTimeMillis
  yield* say("litellm-operator, local run")
  let dataDir: string | undefined
  const stopped = ["operator"]
  let running = false
  yield* Effect.scoped(
    Effect.gen(function* () {
      const proxy = yield* startProxy
      if (!proxy.real) stopped.push("LiteLLM simulator")
      const cp = yield* Effect.acquireRelease(spawnControlPlane({ buildOutput: "inherit" }), (handle) => handle.stop())
      dataDir = cp.dataDir
      stopped.push("control plane")
      running = true
      // Built in this scope, so it outlives the run: the finalizers that remove the examples still use it.
      const kube = yield* Layer.build(KubeClient.layerFromFile(cp.kubeconfig))
      yield* runLocal(args, cp, proxy, started).pipe(Effect.provide(kube))
    })
  ).pipe(
    Effect.onExit(() =>
      say(
        `stopped: ${(running ? stopped : stopped.slice(1)).join(", ") || "nothing was running"}` +
          (dataDir === undefined ? "." : existsSync(dataDir) ? ` (${dataDir} is left).` : ` (${dataDir} removed).`)
      )
    )
  )
})

const start = Command.make(
  "start",
  {
    once: Flag.Boolean("once").pipe(
      Flag.withDescription("stop right after printing the report (default: run until Ctrl-C)"),
      Flag.withDefault(false)
    ),
    timeout: Flag.String("timeout").pipe(
      Flag.withDescription("how long to wait for every example to be Ready (default 90s)"),
      Flag.withDefault("90s")
    )
  },
  (flags) =>
    Effect.flatMap(timeoutOf(flags.timeout), (timeout) => program({ once: flags.once, timeout })).pipe(
      Effect.provide(Logger.layer([Logger.withConsoleError(Logger.formatLogFmt)]))
    )
).pipe(
  Command.withDescription(
    "The local run: a kube-apiserver, the LiteLLM simulator (or the LiteLLM of LITELLM_URL and LITELLM_MASTER_KEY), the operator and the examples, until Ctrl-C. Operator logs on stderr (LOG_LEVEL, default Error)."
  )
)

// Exit 0 on Ctrl-C (stopping is the normal end); 1 with `start: <message>` on a failure or a bad flag.
runMain(start, { version: packageJson.version, usageExitCode: () => 1 })
