/** The operations endpoints: `/healthz` (the process runs), `/readyz` (see Readiness) and Prometheus `/metrics`. */
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import { Readiness } from "./Readiness.ts"

const probes = Layer.effectDiscard(
  Effect.gen(function* () {
    const router = yield* HttpRouter.HttpRouter
    const readiness = yield* Readiness
    yield* router.add("GET", "/healthz", Effect.succeed(HttpServerResponse.text("ok")))
    yield* router.add(
      "GET",
      "/readyz",
      Effect.map(readiness.state, (state) =>
        state.ready
          ? HttpServerResponse.text("ok")
          : HttpServerResponse.text(`waiting for: ${state.waitingFor.join(", ") || "start-up"}`, { status: 503 })
      )
    )
  })
)

/** The routes; serve them with `HttpRouter.serve` on a Node server (see main). */
export const opsRoutes = Layer.mergeAll(probes, PrometheusMetrics.layerHttp())
