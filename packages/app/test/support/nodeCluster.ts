/**
 * Test support for the `node` tier: Helm and the operator's pods on the
 * one-node cluster that nodeGlobalSetup.ts starts. Helm runs as a process
 * (the real one, built by tools/helm); pods, Deployments and Leases are read
 * through the API server with the admin kubeconfig.
 */
import { execFile } from "node:child_process"
import { join } from "node:path"
import { ContentType, KubeTransport } from "@litellm-operator/k8s"
import { Effect, Schema } from "effect"
import { inject } from "vitest"

export const repoRoot = join(import.meta.dirname, "..", "..", "..", "..")
export const chartDir = join(repoRoot, "deploy", "chart")

export class CommandError extends Schema.TaggedError<CommandError>()("CommandError", { message: Schema.String }) {}

/** Runs `helm <args>` against the node cluster; fails with its output. */
export const helm = (...args: ReadonlyArray<string>) =>
  Effect.callback<string, CommandError>((resume) => {
    const cluster = inject("nodeCluster")
    execFile(
      cluster.helm,
      [...args, "--kubeconfig", inject("kubeconfig")],
      { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resume(
          error === null
            ? Effect.succeed(stdout)
            : Effect.fail(
                new CommandError({ message: `helm ${args.slice(0, 2).join(" ")}: ${stderr || String(error)}` })
              )
        )
    )
  })

/**
 * The values every install on this cluster needs: the image built from this
 * repository (already in containerd, never pulled), the node's network (pods
 * have no other), and the API server on loopback (no kube-proxy routes the
 * kubernetes Service).
 */
export const clusterValues = (): ReadonlyArray<string> => {
  const cluster = inject("nodeCluster")
  return [
    `image.repository=${cluster.imageRepository}`,
    `image.tag=${cluster.imageTag}`,
    "image.pullPolicy=Never",
    "hostNetwork=true",
    `httpPort=${cluster.httpPort}`,
    `apiServer.host=${cluster.apiServerHost}`,
    `apiServer.port=${cluster.apiServerPort}`
  ]
}

/** `helm upgrade --install` of the chart with the cluster's values and `sets`; does not wait (the test does). */
export const installChart = (release: string, namespace: string, sets: ReadonlyArray<string> = []) =>
  helm(
    "upgrade",
    "--install",
    release,
    chartDir,
    "--namespace",
    namespace,
    "--create-namespace",
    ...[...clusterValues(), ...sets].flatMap((s) => ["--set", s])
  )

const ContainerStatus = Schema.Struct({
  name: Schema.String,
  ready: Schema.Boolean,
  restartCount: Schema.Number,
  containerID: Schema.optionalKey(Schema.String),
  state: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)),
  lastState: Schema.optionalKey(
    Schema.Struct({ terminated: Schema.optionalKey(Schema.Struct({ reason: Schema.optionalKey(Schema.String) })) })
  )
})

export const Pod = Schema.Struct({
  metadata: Schema.Struct({
    name: Schema.String,
    uid: Schema.String,
    deletionTimestamp: Schema.optionalKey(Schema.String),
    labels: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
  }),
  spec: Schema.Struct({ nodeName: Schema.optionalKey(Schema.String) }),
  status: Schema.Struct({
    phase: Schema.optionalKey(Schema.String),
    qosClass: Schema.optionalKey(Schema.String),
    containerStatuses: Schema.optionalKey(Schema.Array(ContainerStatus))
  })
})
export type Pod = typeof Pod.Type

const PodList = Schema.Struct({ items: Schema.Array(Pod) })

const getJson = <S extends Schema.Top>(schema: S, path: string, query?: Record<string, string>) =>
  Effect.gen(function* () {
    const transport = yield* KubeTransport
    const body = yield* transport.request({ method: "GET", path, ...(query === undefined ? {} : { query }) })
    return yield* Schema.decodeUnknownEffect(Schema.fromJsonString(schema))(body)
  })

/** The operator's pods of a release. */
export const operatorPods = (namespace: string, release: string) =>
  getJson(PodList, `/api/v1/namespaces/${namespace}/pods`, {
    labelSelector: `app.kubernetes.io/instance=${release}`
  }).pipe(Effect.map((list) => list.items))

export const getPod = (namespace: string, name: string) => getJson(Pod, `/api/v1/namespaces/${namespace}/pods/${name}`)

export const isRunningReady = (pod: Pod): boolean =>
  pod.metadata.deletionTimestamp === undefined &&
  pod.status.phase === "Running" &&
  (pod.status.containerStatuses ?? []).every((c) => c.ready)

const LeaseView = Schema.Struct({
  spec: Schema.Struct({ holderIdentity: Schema.optionalKey(Schema.NullOr(Schema.String)) })
})

/** Who holds the leader-election Lease ("" when nobody). */
export const leaseHolder = (namespace: string, name = "litellm-operator") =>
  getJson(LeaseView, `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`).pipe(
    Effect.map((lease) => lease.spec.holderIdentity ?? "")
  )

/** Whether GET `path` answers 404. */
export const isGone = (path: string) =>
  Effect.gen(function* () {
    const transport = yield* KubeTransport
    return yield* transport.request({ method: "GET", path }).pipe(
      Effect.as(false),
      Effect.catchIf(
        (e) => e.reason._tag === "NotFound",
        () => Effect.succeed(true)
      )
    )
  })

/** Sends a request with a JSON body (create, patch, delete). */
export const send = (method: "POST" | "PATCH" | "DELETE" | "PUT", path: string, body?: unknown) =>
  Effect.gen(function* () {
    const transport = yield* KubeTransport
    return yield* transport.request({
      method,
      path,
      ...(body === undefined ? {} : { body }),
      ...(method === "PATCH" ? { contentType: ContentType.mergePatch } : {})
    })
  })
