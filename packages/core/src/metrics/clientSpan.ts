/**
 * An HTTP client call as a span, when traces are kept: named and attributed as
 * effect/http names its client spans (the method; then address, path, status),
 * for the operator's two HTTP clients (the API server's, LiteLLM's), which send
 * straight to a connection pool. With traces off it is the call alone: a span
 * that records nothing still costs some forty runtime steps per call. No header
 * and no query go into a span (credentials, a key's token).
 */
import { Effect, References, Tracer } from "effect"

export interface ClientSpanOptions<A, E, R> {
  readonly method: string
  /** Besides the method; made only when traces are kept. */
  readonly attributes: () => Readonly<Record<string, unknown>>
  /** The call; `propagate` is the span whose trace context the request should carry, if any. */
  readonly send: (propagate: Tracer.Span | undefined) => Effect.Effect<A, E, R>
  /** The answer's HTTP status, when there was one. */
  readonly statusOf: (answer: A) => number | undefined
}

export const clientSpan = <A, E, R>(options: ClientSpanOptions<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    if (!fiber.getRef(References.TracerEnabled)) return options.send(undefined)
    const attributes = { "http.request.method": options.method, ...options.attributes() }
    return Effect.useSpan(options.method, { kind: "client", attributes }, (span) =>
      options.send(fiber.getRef(Tracer.DisablePropagation) ? undefined : span).pipe(
        Effect.tap((answer) =>
          Effect.sync(() => {
            const status = options.statusOf(answer)
            if (status !== undefined) span.attribute("http.response.status_code", status)
          })
        ),
        Effect.withParentSpan(span)
      )
    )
  })
