import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Metric } from "effect"
import { HttpClient, HttpRouter } from "effect/http"
import { reconcilesTotal } from "../src/observability/OperatorMetrics.ts"
import { opsRoutes } from "../src/observability/OpsServer.ts"
import { Readiness } from "../src/observability/Readiness.ts"

const server = HttpRouter.serve(opsRoutes, { disableLogger: true, disableListenLog: true }).pipe(
  Layer.provideMerge(Readiness.layer),
  Layer.provideMerge(NodeHttpServer.layerTest)
)

describe("ops server", () => {
  it.live("answers /healthz, and /readyz only once everything expected is ready", () =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const readiness = yield* Readiness
      assert.strictEqual((yield* client.get("/healthz")).status, 200)
      yield* readiness.expect("informer/Team")
      yield* readiness.expect("leader-election")
      const waiting = yield* client.get("/readyz")
      assert.strictEqual(waiting.status, 503)
      assert.include(yield* waiting.text, "informer/Team")
      yield* readiness.ready("informer/Team")
      yield* readiness.ready("leader-election")
      assert.strictEqual((yield* client.get("/readyz")).status, 200)
      yield* readiness.unready("leader-election")
      assert.strictEqual((yield* client.get("/readyz")).status, 503)
    }).pipe(Effect.provide(server))
  )

  it.live("serves Prometheus metrics", () =>
    Effect.gen(function* () {
      yield* Metric.update(Metric.withAttributes(reconcilesTotal, { kind: "Team", result: "success" }), 1)
      const body = yield* (yield* (yield* HttpClient.HttpClient).get("/metrics")).text
      assert.include(body, "litellm_operator_reconciles_total")
      assert.include(body, 'kind="Team"')
    }).pipe(Effect.provide(server))
  )
})
