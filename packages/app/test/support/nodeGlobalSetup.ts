/**
 * Vitest global setup for the `node` tier: builds the operator's image
 * (tools/image/build.sh, cached by its inputs), starts the one-node cluster
 * (tools/node/cluster.sh) with the image imported, and stops it at teardown —
 * no container, process or mount left. Tests get the admin kubeconfig through
 * `inject("kubeconfig")` and the rest through `inject("nodeCluster")`.
 */
import { execFileSync, spawn } from "node:child_process"
import { createServer } from "node:net"
import { join } from "node:path"
import { Schema } from "effect"
import type { TestProject } from "vitest/node"

const root = join(import.meta.dirname, "..", "..", "..", "..")

/** What cluster.sh prints when the node is Ready. */
const ClusterLine = Schema.Struct({
  kubeconfig: Schema.String,
  server: Schema.String,
  stateDir: Schema.String,
  containerd: Schema.String,
  ctr: Schema.String,
  kubectl: Schema.String,
  apiServerHost: Schema.String,
  apiServerPort: Schema.Number,
  startMs: Schema.Number
})

/** What tools/image/build.sh prints. */
const ImageLine = Schema.Struct({ archive: Schema.String, image: Schema.String, bytes: Schema.Number })

export interface NodeCluster {
  readonly server: string
  readonly apiServerHost: string
  readonly apiServerPort: number
  readonly kubectl: string
  readonly helm: string
  /** The operator's image as containerd knows it: repository and tag. */
  readonly imageRepository: string
  readonly imageTag: string
  /** The operator's HTTP port on the node's network (pods share it): free when the run began. */
  readonly httpPort: number
}

declare module "vitest" {
  export interface ProvidedContext {
    kubeconfig: string
    nodeCluster: NodeCluster
  }
}

const lastLine = (text: string) => text.trim().split("\n").at(-1) ?? ""

/**
 * A port below the kernel's ephemeral range (32768 and up by default) that nothing listens on:
 * the operator's pods use the host's network, and a fixed 8080 is taken by anything else on the
 * machine that happens to use it (the first install once crash-looped on EADDRINUSE).
 */
const freeHostPort = async (): Promise<number> => {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 10000)
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer()
      server.once("error", () => resolve(false))
      server.listen(port, () => server.close(() => resolve(true)))
    })
    if (free) return port
  }
  throw new Error("no free port between 20000 and 30000")
}

export default async function setup(project: TestProject) {
  const t0 = performance.now()
  const image = Schema.decodeUnknownSync(Schema.fromJsonString(ImageLine))(
    lastLine(
      execFileSync("bash", [join(root, "tools", "image", "build.sh")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"]
      })
    )
  )
  const helm = lastLine(execFileSync("bash", [join(root, "tools", "helm", "build.sh")], { encoding: "utf8" }))
  const t1 = performance.now()

  const child = spawn(
    "bash",
    [
      join(root, "tools", "node", "cluster.sh"),
      "--exit-on-stdin-close",
      "--wait-lock",
      "1800",
      "--image",
      image.archive
    ],
    {
      stdio: ["pipe", "pipe", "inherit"]
    }
  )
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  const line = await new Promise<string>((resolve, reject) => {
    let out = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk
      const at = out.indexOf("\n")
      if (at >= 0) resolve(out.slice(0, at))
    })
    void exited.then((code) => reject(new Error(`tools/node/cluster.sh exited (${code}) before the node was Ready`)))
  })
  const cluster = Schema.decodeUnknownSync(Schema.fromJsonString(ClusterLine))(line)
  const [repository = "", tag = ""] = image.image.split(/:(?=[^:]+$)/)
  process.stderr.write(
    `node cluster: image ${image.image} (${(image.bytes / 1e6).toFixed(1)} MB archive) and helm ready in ${((t1 - t0) / 1000).toFixed(1)}s; ` +
      `cluster Ready in ${(cluster.startMs / 1000).toFixed(1)}s; ${cluster.server}\n`
  )
  project.provide("kubeconfig", cluster.kubeconfig)
  project.provide("nodeCluster", {
    server: cluster.server,
    apiServerHost: cluster.apiServerHost,
    apiServerPort: cluster.apiServerPort,
    kubectl: cluster.kubectl,
    helm,
    imageRepository: repository,
    imageTag: tag,
    httpPort: await freeHostPort()
  })
  return async () => {
    const t = performance.now()
    child.stdin.end()
    const timer = setTimeout(() => child.kill("SIGTERM"), 90_000)
    const code = await exited
    clearTimeout(timer)
    process.stderr.write(`node cluster: stopped (exit ${code}) in ${((performance.now() - t) / 1000).toFixed(1)}s\n`)
  }
}
