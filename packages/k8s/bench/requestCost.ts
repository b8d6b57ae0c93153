/**
 * What one API-server request costs the operator's process, layer by layer: CPU
 * microseconds and kilobytes allocated per request, from Node's own HTTP client up to
 * `KubeClient.mergePatch` (which decodes the answer as a VirtualKey). The server is a
 * plain Node HTTP server in a child process (its CPU is not counted) answering every
 * request with the same VirtualKey, some 1 KB of JSON, as a merge patch's answer is.
 *
 *   node packages/k8s/bench/requestCost.ts [--requests 4000] [--concurrency 8] [--rounds 2]
 *
 * The layers: `node:http` (a keep-alive Agent), the undici dispatcher (its `request`),
 * `KubeTransport.request` over that dispatcher (credential headers, timeout, errors), and
 * `KubeClient.mergePatch` over the transport (JSON and Schema decoding of the object);
 * beside them, for comparison, effect/http's client over the same dispatcher (the body
 * read as text), which the transport used to go through. Allocation is V8's
 * sampling heap profiler counting what the collector freed too; the collector's work
 * follows it. Tracing is off, as the operator runs without a trace exporter.
 */
import { fork } from "node:child_process"
import { Agent, createServer, request as httpRequest } from "node:http"
import { Session } from "node:inspector"
import { fileURLToPath } from "node:url"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { KubeConfig } from "@kubernetes/client-node"
import { Effect, Layer, References, Schema } from "effect"
import { HttpClientRequest } from "effect/http"
import { VirtualKeys } from "../src/api/CustomResources.ts"
import { KubeClient } from "../src/client/KubeClient.ts"
import { KubeTransport } from "../src/client/KubeTransport.ts"

const answer = JSON.stringify({
  apiVersion: "auth.litellm.ai/v1alpha1",
  kind: "VirtualKey",
  metadata: {
    name: "key-1",
    namespace: "bench",
    resourceVersion: "12345",
    uid: "8c1b7e1e-0000-4000-8000-000000000001",
    generation: 1,
    creationTimestamp: "2026-12-03T10:00:00Z",
    finalizers: ["auth.litellm.ai/finalizer"],
    managedFields: [
      { manager: "kubectl", operation: "Update", fieldsType: "FieldsV1", fieldsV1: { "f:spec": { "f:keyAlias": {} } } },
      { manager: "litellm-operator", operation: "Update", fieldsType: "FieldsV1", fieldsV1: { "f:status": {} } }
    ]
  },
  spec: {
    connectionRef: { secretRef: { name: "litellm" } },
    keyAlias: "key-1",
    models: ["gpt-4o", "gpt-4o-mini"],
    maxBudget: "10",
    teamID: "team-1"
  },
  status: {
    keyID: "0123456789abcdef",
    observedGeneration: 1,
    conditions: [
      {
        type: "Ready",
        status: "True",
        reason: "Reconciled",
        message: "in sync with LiteLLM",
        lastTransitionTime: "2026-12-03T10:00:00Z",
        observedGeneration: 1
      }
    ]
  }
})

if (process.argv[2] === "--serve") {
  const server = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) })
      res.end(answer)
    })
  })
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    if (address !== null && typeof address === "object") process.send?.(address.port)
  })
  process.on("disconnect", () => process.exit(0))
} else {
  const print = (line: string) => process.stdout.write(`${line}\n`)
  const flag = (name: string, fallback: number) => {
    const at = process.argv.indexOf(name)
    const value = at < 0 ? Number.NaN : Number(process.argv[at + 1])
    return Number.isFinite(value) && value > 0 ? value : fallback
  }
  const requests = flag("--requests", 4000)
  const concurrency = flag("--concurrency", 8)
  const rounds = flag("--rounds", 2)

  const server = fork(fileURLToPath(import.meta.url), ["--serve"], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
  const port = await new Promise<number>((resolve) => server.once("message", (m) => resolve(Number(m))))
  const url = `http://127.0.0.1:${port}`
  const path = "/apis/auth.litellm.ai/v1alpha1/namespaces/bench/virtualkeys/key-1"
  const patch = JSON.stringify({ metadata: { finalizers: ["auth.litellm.ai/finalizer"] } })
  const kubeconfig = new KubeConfig()
  kubeconfig.loadFromOptions({
    clusters: [{ name: "bench", server: url, skipTLSVerify: true }],
    users: [{ name: "bench", token: "bench" }],
    contexts: [{ name: "bench", cluster: "bench", user: "bench" }],
    currentContext: "bench"
  })

  // The sampling heap profiler of this process, counting what the collector freed too.
  const session = new Session()
  session.connect()
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (error, result) => (error === null ? resolve(result) : reject(error)))
    )
  const SampledNode = Schema.Struct({
    selfSize: Schema.Number,
    children: Schema.Array(Schema.suspend((): Schema.Codec<SampledTree> => SampledNode))
  })
  interface SampledTree {
    readonly selfSize: number
    readonly children: ReadonlyArray<SampledTree>
  }
  const Sampled = Schema.Struct({ profile: Schema.Struct({ head: SampledNode }) })
  const bytesOf = (node: SampledTree): number => node.children.reduce((sum, c) => sum + bytesOf(c), node.selfSize)

  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const viaNodeHttp = () =>
    new Promise<unknown>((resolve, reject) => {
      const req = httpRequest(
        `${url}${path}`,
        {
          method: "PATCH",
          agent,
          headers: { authorization: "Bearer bench", "content-type": "application/merge-patch+json" }
        },
        (res) => {
          const chunks: Array<Buffer> = []
          res.on("data", (chunk: Buffer) => chunks.push(chunk))
          res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))))
          res.on("error", reject)
        }
      )
      req.on("error", reject)
      req.end(patch)
    })

  const measure = Effect.fnUntraced(function* (name: string, one: Effect.Effect<unknown, unknown>) {
    const all = (n: number) => Effect.forEach(Array.from({ length: n }), () => one, { concurrency, discard: true })
    yield* all(Math.min(500, requests))
    const cpu = process.cpuUsage()
    const started = performance.now()
    yield* all(requests)
    const spent = process.cpuUsage(cpu)
    const wall = performance.now() - started
    yield* Effect.promise(() =>
      post("HeapProfiler.startSampling", {
        samplingInterval: 4096,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true
      })
    )
    yield* all(requests)
    const sampled = Schema.decodeUnknownSync(Sampled)(yield* Effect.promise(() => post("HeapProfiler.stopSampling")))
    const micros = (spent.user + spent.system) / requests
    return { name, micros, kib: bytesOf(sampled.profile.head) / requests / 1024, wall: wall / 1000 }
  })

  const program = Effect.gen(function* () {
    yield* Effect.promise(() => post("HeapProfiler.enable"))
    const dispatcher = yield* NodeHttpClient.makeDispatcher
    const http = yield* NodeHttpClient.makeUndici.pipe(Effect.provideService(NodeHttpClient.Dispatcher, dispatcher))
    const transport = yield* KubeTransport
    const kube = yield* KubeClient
    const layers: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
      ["node:http", Effect.promise(viaNodeHttp)],
      [
        "undici dispatcher",
        Effect.promise(async () => {
          const response = await dispatcher.request({
            origin: url,
            path,
            method: "PATCH",
            headers: { authorization: "Bearer bench", "content-type": "application/merge-patch+json" },
            body: patch
          })
          return JSON.parse(await response.body.text())
        })
      ],
      [
        "effect/http",
        Effect.flatMap(
          http.execute(
            HttpClientRequest.bodyText(
              HttpClientRequest.patch(`${url}${path}`, { headers: { authorization: "Bearer bench" } }),
              patch,
              "application/merge-patch+json"
            )
          ),
          (response) => Effect.map(response.text, (text) => JSON.parse(text))
        )
      ],
      [
        "KubeTransport.request",
        Effect.map(
          transport.request({
            method: "PATCH",
            path,
            body: JSON.parse(patch),
            contentType: "application/merge-patch+json"
          }),
          (text) => JSON.parse(text)
        )
      ],
      ["KubeClient.mergePatch", kube.mergePatch(VirtualKeys, { namespace: "bench", name: "key-1" }, JSON.parse(patch))]
    ]
    const rows: Array<{ name: string; micros: Array<number>; kib: Array<number>; wall: Array<number> }> = layers.map(
      ([name]) => ({ name, micros: [], kib: [], wall: [] })
    )
    for (let round = 0; round < rounds; round++) {
      for (const [i, [name, one]] of layers.entries()) {
        const result = yield* measure(name, one)
        rows[i]?.micros.push(result.micros)
        rows[i]?.kib.push(result.kib)
        rows[i]?.wall.push(result.wall)
      }
    }
    const fmt = (values: ReadonlyArray<number>, digits: number) => values.map((v) => v.toFixed(digits)).join(", ")
    print(
      `one PATCH answered with a VirtualKey (${answer.length} bytes), ${requests} requests ${concurrency} at a time, ${rounds} rounds (node ${process.version})\n`
    )
    print("| layer | CPU per request (µs) | allocated per request (KiB) | wall time (s) |")
    print("| --- | ---: | ---: | ---: |")
    for (const row of rows) print(`| ${row.name} | ${fmt(row.micros, 0)} | ${fmt(row.kib, 1)} | ${fmt(row.wall, 2)} |`)
  })

  try {
    await Effect.runPromise(
      program.pipe(
        Effect.provide(KubeClient.layerNoDeps.pipe(Layer.provideMerge(KubeTransport.layerFromKubeConfig(kubeconfig)))),
        Effect.provideService(References.TracerEnabled, false),
        Effect.scoped
      )
    )
  } finally {
    server.disconnect()
    agent.destroy()
    session.disconnect()
  }
}
