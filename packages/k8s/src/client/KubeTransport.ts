/**
 * HTTP to the API server, straight to an undici connection pool (the
 * Dispatcher of @effect/platform-node, the pool under effect/http's Node
 * client). Each API-server call is an HTTP client span (method, path, status)
 * under the KubeClient span that made it; headers, the credential among them,
 * are not recorded. Not through effect/http's client: over the same pool it
 * cost as much again per request (CPU, allocation, fiber hops), and these
 * requests are most of what the operator does. client-node contributes
 * only its kubeconfig handling: the TLS settings (CA, client certificate) and
 * the credential headers (bearer tokens re-read as they rotate on disk, exec
 * plugins), via `applySecurityAuthentication`: at most every 10 seconds (it
 * reads files and builds a connection pool each time; a rotated token is
 * picked up a little later, as client-go's cache does) and again at once after
 * a 401.
 *
 * Every request is raw JSON in and out, so one schema decodes an object
 * however it arrived (get, list, watch); the generated client-node APIs would
 * turn some fields into `Date`s and others not. Interrupting the Effect aborts
 * the HTTP request. Every request has a timeout, kept by the connection pool
 * (undici's own timers, as client-go's transport keeps its timeouts): the
 * answer's headers within it, then each piece of the body within it; a watch's
 * body has none (the informer's watchdog notices a silent watch). One
 * connection pool is shared by all requests and closed with the layer:
 * client-node makes a new one per request, the first is kept and the others
 * closed unused. Unlike client-node's fetch, no Accept-Encoding is sent, so
 * large lists arrive uncompressed (more bytes on the wire, no inflating in the
 * operator).
 */

import type { AgentOptions } from "node:https"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeStream from "@effect/platform-node/NodeStream"
import { type ConnectOptions, HttpMethod, KubeConfig, RequestContext } from "@kubernetes/client-node"
import { clientSpan } from "@litellm-operator/core"
import { Context, Duration, Effect, Layer, Predicate, Schema, Stream } from "effect"
import { HttpTraceContext } from "effect/http"
import { KubeError, reasonFromResponse, Unavailable } from "./KubeError.ts"

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE"

export const ContentType = {
  json: "application/json",
  mergePatch: "application/merge-patch+json",
  jsonPatch: "application/json-patch+json",
  applyPatch: "application/apply-patch+yaml"
} as const
export type ContentType = (typeof ContentType)[keyof typeof ContentType]

export interface KubeRequest {
  readonly method: Method
  /** Path below the server URL, e.g. `/api/v1/namespaces/a/secrets/b`. */
  readonly path: string
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>
  /** Sent as JSON. */
  readonly body?: unknown
  readonly contentType?: ContentType
  /** Default `application/json`; e.g. PartialObjectMetadata for metadata-only reads. */
  readonly accept?: string
  /** Leave the server's messages out of errors (Secrets). */
  readonly sensitive?: boolean
  /**
   * Per request; default 30 seconds: for the answer's headers, and then for each piece of its body. For
   * `lines`, only the time to the headers.
   */
  readonly timeout?: Duration.Input
}

/** A kubeconfig that cannot be loaded, or names no cluster. */
export class KubeConfigError extends Schema.TaggedError<KubeConfigError>()("KubeConfigError", {
  message: Schema.String
}) {}

const defaultTimeout = Duration.seconds(30)

export interface TransportOptions {
  /** How long credential headers are reused before client-node is asked again (default 10 seconds). */
  readonly credentialTtl?: Duration.Input
}

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** The TLS and TCP settings client-node derives from a kubeconfig, as undici takes them (no unset keys). */
const connectOptions = (connect: ConnectOptions) => {
  const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername, keepAlive, keepAliveInitialDelay } = connect
  return {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(pfx === undefined ? {} : { pfx }),
    ...(passphrase === undefined ? {} : { passphrase }),
    ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }),
    ...(servername === undefined ? {} : { servername }),
    ...(keepAlive === undefined ? {} : { keepAlive }),
    ...(keepAliveInitialDelay === undefined ? {} : { keepAliveInitialDelay })
  }
}

type Pool = NodeHttpClient.Dispatcher["Service"]
/** undici's answer: status, headers, and the body as a stream. */
type Answer = Awaited<ReturnType<Pool["request"]>>

const make = Effect.fnUntraced(function* (kc: KubeConfig, options: TransportOptions = {}) {
  const server = kc.getCurrentCluster()?.server.replace(/\/+$/, "")
  if (server === undefined || server === "") {
    return yield* new KubeConfigError({ message: "the kubeconfig names no current cluster" })
  }
  // The connection pool, closed with the layer: HTTP/1.1 with the kubeconfig's TLS settings (CA, client
  // certificate), as client-node derives them. Not HTTP/2: undici's HTTP/2 client, tearing down a session
  // left idle after watches were cut, delivered an error to an emitter with no listener, an uncaught
  // exception that ends the process (seen in the API-server fault test under load, undici 8.13).
  const tls = yield* Effect.tryPromise({
    try: async () => {
      const agentOptions: AgentOptions = {}
      await kc.applyToHTTPSOptions(agentOptions)
      return kc.createDispatcherOptions(kc.getCurrentCluster(), agentOptions)
    },
    catch: (cause) => new KubeConfigError({ message: `the kubeconfig's TLS settings: ${describe(cause)}` })
  })
  const plain =
    tls.type === "agent"
      ? yield* NodeHttpClient.makeDispatcherOptions({ connect: connectOptions(tls.connect), allowH2: false })
      : yield* NodeHttpClient.makeDispatcher
  // Through a proxy, the dispatcher client-node makes (it carries the proxy), the first one kept for every request.
  const viaProxy = tls.type === "proxy" || tls.type === "socks"
  let shared: Pool | undefined
  yield* Effect.addFinalizer(() =>
    shared === undefined ? Effect.void : Effect.promise(() => shared?.close() ?? Promise.resolve())
  )

  const operationOf = (request: KubeRequest) => `${request.method} ${request.path}`
  const unavailable = (request: KubeRequest, message: string) =>
    new KubeError({ operation: operationOf(request), reason: new Unavailable({ message }) })
  const timeoutOf = (request: KubeRequest) => Duration.fromInputUnsafe(request.timeout ?? defaultTimeout)
  const failFor = (request: KubeRequest, status: number, text: string) =>
    new KubeError({
      operation: operationOf(request),
      status,
      reason: reasonFromResponse(status, text, { sensitive: request.sensitive === true })
    })

  const credentialTtl = Duration.toMillis(Duration.fromInputUnsafe(options.credentialTtl ?? Duration.seconds(10)))
  // Read in place on every request (two runtime steps fewer than `Clock.currentTimeMillis` each time).
  const clock = yield* Effect.clockWith(Effect.succeed)
  let credential: { readonly headers: Record<string, string>; readonly at: number } | undefined
  /** Forgets the credential headers (after a 401): the next request asks client-node again. */
  const rejected = (status: number) => {
    if (status === 401) credential = undefined
  }

  /** The credential headers, re-read when older than the TTL; through a proxy the first read also keeps its dispatcher. */
  const credentials = Effect.fnUntraced(function* (request: KubeRequest) {
    const now = clock.currentTimeMillisUnsafe()
    if (credential !== undefined && now - credential.at < credentialTtl) return credential.headers
    const headers = yield* Effect.tryPromise({
      try: async () => {
        const ctx = new RequestContext(server, HttpMethod.GET)
        await kc.applySecurityAuthentication(ctx)
        const fresh = ctx.getDispatcher()
        if (viaProxy && shared === undefined) shared = fresh
        else if (fresh !== undefined && fresh !== shared) void fresh.close()
        return ctx.getHeaders()
      },
      catch: (cause) => unavailable(request, describe(cause))
    })
    credential = { headers, at: now }
    return headers
  })

  const origin = new URL(server)
  const basePath = origin.pathname.replace(/\/+$/, "")
  const scheme = origin.protocol.slice(0, -1)
  const port = origin.port === "" ? (scheme === "https" ? 443 : 80) : Number(origin.port)

  /** What a failed exchange says: a timeout by its length, anything else by its cause. */
  const failure = (request: KubeRequest, cause: unknown) => {
    const code = Predicate.hasProperty(cause, "code") ? cause.code : undefined
    return code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT"
      ? unavailable(request, `no answer within ${Duration.format(timeoutOf(request))}`)
      : unavailable(request, describe(cause))
  }

  /** The request as the connection pool takes it: the query in the path, the credential among the headers. */
  const dispatchOptions = (request: KubeRequest, headers: Record<string, string>, watch: boolean) => {
    const query = new URLSearchParams()
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) query.set(name, String(value))
    }
    const search = query.size === 0 ? "" : `?${query}`
    const body = request.body === undefined ? undefined : JSON.stringify(request.body)
    const millis = Duration.toMillis(timeoutOf(request))
    return {
      origin: origin.origin,
      path: `${basePath}${request.path}${search}`,
      method: request.method,
      headers: {
        ...headers,
        accept: request.accept ?? "application/json",
        ...(body === undefined ? {} : { "content-type": request.contentType ?? ContentType.json })
      },
      ...(body === undefined ? {} : { body }),
      // The pool keeps the timeouts (its own timers, as client-go's transport does): the answer's headers, then
      // each piece of its body, within the request's timeout; a watch's body may stay quiet (the informer's
      // watchdog notices a silent watch).
      headersTimeout: millis,
      bodyTimeout: watch ? 0 : millis
    }
  }

  /**
   * One exchange with the API server as an HTTP client span (method, path, status; no header, so no
   * credential). Straight to the connection pool: effect/http's client, over the same pool, cost as much
   * again per request (its response wrapper, a cached body effect, a fiber hop per step) in a process whose
   * work is mostly these requests. Interrupting aborts the request.
   */
  const exchange = <A>(
    request: KubeRequest,
    watch: boolean,
    read: (response: Answer) => Promise<A>
  ): Effect.Effect<A, KubeError> =>
    Effect.flatMap(credentials(request), (headers) => {
      const options = dispatchOptions(request, headers, watch)
      let status = 0
      const call = (sent: typeof options) =>
        Effect.callback<A, KubeError>((resume, signal) => {
          ;(shared ?? plain)
            .request({ ...sent, signal })
            .then((response) => {
              status = response.statusCode
              return read(response)
            })
            .then(
              (value) => resume(Effect.succeed(value)),
              (cause: unknown) => resume(Effect.fail(failure(request, cause)))
            )
        })
      return clientSpan({
        method: request.method,
        attributes: () => ({
          "server.address": origin.hostname,
          "server.port": port,
          "url.scheme": scheme,
          "url.path": `${basePath}${request.path}`
        }),
        send: (propagate) =>
          call(
            propagate === undefined
              ? options
              : { ...options, headers: { ...options.headers, ...HttpTraceContext.toHeaders(propagate) } }
          ),
        statusOf: () => status
      })
    })

  const request = Effect.fnUntraced(function* (request: KubeRequest) {
    const { status, text } = yield* exchange(request, false, async (response) => ({
      status: response.statusCode,
      text: await response.body.text()
    }))
    if (status >= 200 && status < 300) return text
    rejected(status)
    return yield* failFor(request, status, text)
  })

  const lines = (request: KubeRequest): Stream.Stream<string, KubeError> =>
    Stream.unwrap(
      Effect.gen(function* () {
        const response = yield* exchange(request, true, async (response) => response)
        if (response.statusCode !== 200) {
          rejected(response.statusCode)
          const text = yield* Effect.tryPromise({
            try: () => response.body.text(),
            catch: (cause) => failure(request, cause)
          })
          return yield* failFor(request, response.statusCode, text)
        }
        // Ending or interrupting the stream destroys the body: the connection closes.
        return NodeStream.fromReadable({
          evaluate: () => response.body,
          onError: (cause) => failure(request, cause)
        }).pipe(Stream.decodeText, Stream.splitLines)
      })
    )

  return KubeTransport.of({ server, request, lines })
})

export class KubeTransport extends Context.Service<
  KubeTransport,
  {
    /** The API server URL. */
    readonly server: string
    /** Sends one request and returns the body of a 2xx answer; anything else fails with its reason. */
    request(request: KubeRequest): Effect.Effect<string, KubeError>
    /** A streaming GET (a watch): the body's lines as they arrive. */
    lines(request: KubeRequest): Stream.Stream<string, KubeError>
  }
>()("litellm-operator/k8s/KubeTransport") {
  /** From a loaded kubeconfig. */
  static readonly layerFromKubeConfig = (kc: KubeConfig, options?: TransportOptions) =>
    Layer.effect(KubeTransport, make(kc, options))

  /** From a kubeconfig file (the test control plane writes one). */
  static readonly layerFromFile = (path: string) =>
    Layer.effect(
      KubeTransport,
      Effect.flatMap(
        Effect.try({
          try: () => {
            const kc = new KubeConfig()
            kc.loadFromFile(path)
            return kc
          },
          catch: (cause) => new KubeConfigError({ message: `cannot load kubeconfig ${path}: ${describe(cause)}` })
        }),
        make
      )
    )

  /** In-cluster service account, else `$KUBECONFIG`, else `~/.kube/config`. */
  static readonly layerDefault = Layer.effect(
    KubeTransport,
    Effect.flatMap(
      Effect.try({
        try: () => {
          const kc = new KubeConfig()
          kc.loadFromDefault()
          return kc
        },
        catch: (cause) => new KubeConfigError({ message: `cannot load kubeconfig: ${describe(cause)}` })
      }),
      make
    )
  )
}
