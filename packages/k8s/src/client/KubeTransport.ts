/**
 * HTTP to the API server through the same `effect/http` client as every other
 * call the operator makes (its undici flavour, from @effect/platform-node), so
 * each API-server call is an HTTP client span (method, URL, status) under the
 * KubeClient span that made it; headers, the credential among them, are not
 * recorded. client-node contributes
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
 * body has none (the informer's watchdog notices a silent watch). One connection pool (an undici dispatcher) is shared by all
 * requests and closed with the layer: client-node makes a new one per request,
 * the first is kept and the others closed unused. Unlike client-node's fetch,
 * no Accept-Encoding is sent, so large lists arrive uncompressed (more bytes on
 * the wire, no inflating in the operator).
 */

import type { AgentOptions } from "node:https"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { type ConnectOptions, HttpMethod, KubeConfig, RequestContext } from "@kubernetes/client-node"
import { Clock, Context, Duration, Effect, Layer, Predicate, Schema, Stream } from "effect"
import { type HttpClient, type HttpClientError, HttpClientRequest } from "effect/http"
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
  let shared: NodeHttpClient.Dispatcher["Service"] | undefined
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
  let credential: { readonly headers: Record<string, string>; readonly at: number } | undefined
  /** Forgets the credential headers (after a 401): the next request asks client-node again. */
  const rejected = (status: number) => {
    if (status === 401) credential = undefined
  }

  /** The credential headers, re-read when older than the TTL; through a proxy the first read also keeps its dispatcher. */
  const credentials = Effect.fnUntraced(function* (request: KubeRequest) {
    const now = yield* Clock.currentTimeMillis
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

  type Dispatcher = NodeHttpClient.Dispatcher["Service"]
  /**
   * A client whose requests time out in the connection pool: undici's timers, where `Effect.timeout` would
   * race two more fibers per request. effect/http sets the two timeouts on every request it sends (to leave
   * them to Effect); the interceptor puts the request's own back.
   */
  const timedClient = (dispatcher: Dispatcher, millis: number, body: boolean) =>
    NodeHttpClient.makeUndici.pipe(
      Effect.provideService(
        NodeHttpClient.Dispatcher,
        dispatcher.compose(
          (dispatch) => (options, handler) =>
            dispatch({ ...options, headersTimeout: millis, bodyTimeout: body ? millis : 0 }, handler)
        )
      )
    )
  // One client per dispatcher and timeout (through a proxy, its dispatcher is known after the first credential
  // read), not one per request; all of them share the dispatcher's connections.
  let clients: { readonly dispatcher: Dispatcher; readonly byTimeout: Map<string, HttpClient.HttpClient> } | undefined
  const clientFor = Effect.fnUntraced(function* (dispatcher: Dispatcher, millis: number, body: boolean) {
    if (clients?.dispatcher !== dispatcher) clients = { dispatcher, byTimeout: new Map() }
    const key = `${millis}/${body}`
    const known = clients.byTimeout.get(key)
    if (known !== undefined) return known
    const made = yield* timedClient(dispatcher, millis, body)
    clients.byTimeout.set(key, made)
    return made
  })

  /** What a failed exchange says: the timeout by its length, anything else by its cause. */
  const failure = (request: KubeRequest, error: HttpClientError.HttpClientError) => {
    const cause = error.cause ?? error
    const code = Predicate.hasProperty(cause, "code") ? cause.code : undefined
    return code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT"
      ? unavailable(request, `no answer within ${Duration.format(timeoutOf(request))}`)
      : unavailable(request, describe(cause))
  }

  /** Sends the request; the response's status, headers and body are left to the caller. */
  const send = Effect.fnUntraced(function* (request: KubeRequest, body: boolean) {
    const headers = yield* credentials(request)
    const http = yield* clientFor(shared ?? plain, Duration.toMillis(timeoutOf(request)), body)
    const urlParams = Object.entries(request.query ?? {}).flatMap(([k, v]) =>
      v === undefined ? [] : [[k, String(v)] as const]
    )
    const base = HttpClientRequest.make(request.method)(server + request.path, {
      urlParams,
      headers: { ...headers, accept: request.accept ?? "application/json" }
    })
    const outgoing =
      request.body === undefined
        ? base
        : HttpClientRequest.bodyText(base, JSON.stringify(request.body), request.contentType ?? ContentType.json)
    return yield* http
      .execute(outgoing)
      .pipe(Effect.catchTag("HttpClientError", (error) => Effect.fail(failure(request, error))))
  })

  const request = Effect.fnUntraced(function* (request: KubeRequest) {
    const response = yield* send(request, true)
    const text = yield* response.text.pipe(
      Effect.catchTag("HttpClientError", (error) => Effect.fail(failure(request, error)))
    )
    const { status } = response
    if (status >= 200 && status < 300) return text
    rejected(status)
    return yield* failFor(request, status, text)
  })

  const lines = (request: KubeRequest): Stream.Stream<string, KubeError> =>
    Stream.unwrap(
      Effect.gen(function* () {
        const response = yield* send(request, false)
        if (response.status !== 200) {
          rejected(response.status)
          const text = yield* response.text.pipe(
            Effect.catchTag("HttpClientError", (error) => Effect.fail(failure(request, error)))
          )
          return yield* failFor(request, response.status, text)
        }
        // Ending or interrupting the stream aborts the request: the connection closes.
        return response.stream.pipe(
          Stream.mapError((error) => failure(request, error)),
          Stream.decodeText,
          Stream.splitLines
        )
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
