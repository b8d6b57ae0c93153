/**
 * HTTP to the API server, through client-node's kubeconfig handling (TLS,
 * client certificates, bearer tokens that rotate on disk). Every request is
 * raw JSON in and out, so one schema decodes an object however it arrived
 * (get, list, watch); the generated client-node APIs would turn some fields
 * into `Date`s and others not.
 *
 * Requests carry an AbortSignal, so interrupting the Effect aborts the HTTP
 * request; every request has a timeout. One connection pool (dispatcher) is
 * shared by all requests and closed with the layer.
 */
import { HttpMethod, IsomorphicFetchHttpLibrary, KubeConfig, RequestContext } from "@kubernetes/client-node"
import { Context, Duration, Effect, Layer, Schema, Stream } from "effect"
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
  /** Per request; default 30 seconds. For `lines`, the time to the response headers. */
  readonly timeout?: Duration.Input
}

/** A kubeconfig that cannot be loaded, or names no cluster. */
export class KubeConfigError extends Schema.TaggedError<KubeConfigError>()("KubeConfigError", {
  message: Schema.String
}) {}

const defaultTimeout = Duration.seconds(30)

type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

const make = Effect.fnUntraced(function* (kc: KubeConfig) {
  const server = kc.getCurrentCluster()?.server.replace(/\/+$/, "")
  if (server === undefined || server === "") {
    return yield* new KubeConfigError({ message: "the kubeconfig names no current cluster" })
  }
  const http = new IsomorphicFetchHttpLibrary()
  // client-node builds a new connection pool per request; keep the first and reuse it.
  let shared: Dispatcher | undefined
  yield* Effect.addFinalizer(() =>
    shared === undefined ? Effect.void : Effect.promise(() => shared?.close() ?? Promise.resolve())
  )

  const send = async (request: KubeRequest, signal: AbortSignal) => {
    const url = new URL(server + request.path)
    for (const [k, v] of Object.entries(request.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v))
    const ctx = new RequestContext(url.toString(), methodOf(request.method))
    ctx.setHeaderParam("Accept", request.accept ?? "application/json")
    if (request.body !== undefined) {
      ctx.setHeaderParam("Content-Type", request.contentType ?? ContentType.json)
      ctx.setBody(JSON.stringify(request.body))
    }
    // Adds the credential (re-read when it rotates) and TLS settings.
    await kc.applySecurityAuthentication(ctx)
    const fresh = ctx.getDispatcher()
    if (shared === undefined) shared = fresh
    else if (fresh !== undefined && fresh !== shared) {
      ctx.setDispatcher(shared)
      void fresh.close()
    }
    ctx.setSignal(signal)
    return http.send(ctx).toPromise()
  }

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

  const request = Effect.fnUntraced(function* (request: KubeRequest) {
    const timeout = timeoutOf(request)
    const { status, text } = yield* Effect.tryPromise({
      try: async (signal) => {
        const response = await send(request, signal)
        return { status: response.httpStatusCode, text: await response.body.text() }
      },
      catch: (cause) => unavailable(request, describe(cause))
    }).pipe(
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () => Effect.fail(unavailable(request, `no answer within ${Duration.format(timeout)}`))
      })
    )
    if (status >= 200 && status < 300) return text
    return yield* failFor(request, status, text)
  })

  const lines = (request: KubeRequest): Stream.Stream<string, KubeError> =>
    Stream.unwrap(
      Effect.gen(function* () {
        // Aborted when the stream ends or is interrupted: closes the connection.
        const controller = yield* Effect.acquireRelease(
          Effect.sync(() => new AbortController()),
          (c) => Effect.sync(() => c.abort())
        )
        const timeout = timeoutOf(request)
        const response = yield* Effect.tryPromise({
          try: (signal) => send(request, AbortSignal.any([signal, controller.signal])),
          catch: (cause) => unavailable(request, describe(cause))
        }).pipe(
          Effect.timeoutOrElse({
            duration: timeout,
            orElse: () => Effect.fail(unavailable(request, `no answer within ${Duration.format(timeout)}`))
          })
        )
        if (response.httpStatusCode !== 200) {
          const text = yield* Effect.tryPromise({
            try: () => response.body.text(),
            catch: (cause) => unavailable(request, describe(cause))
          })
          return yield* failFor(request, response.httpStatusCode, text)
        }
        const body = response.body.stream()
        if (body === null) return Stream.empty
        return Stream.fromReadableStream({
          evaluate: () => body,
          onError: (cause) => unavailable(request, describe(cause))
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

const methodOf = (method: Method): HttpMethod => {
  switch (method) {
    case "GET":
      return HttpMethod.GET
    case "POST":
      return HttpMethod.POST
    case "PUT":
      return HttpMethod.PUT
    case "PATCH":
      return HttpMethod.PATCH
    case "DELETE":
      return HttpMethod.DELETE
  }
}
