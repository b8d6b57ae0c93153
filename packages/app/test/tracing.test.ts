import { assert, describe, it } from "@effect/vitest"
import { Effect, Tracer } from "effect"
import { TracingConfigError, tracingLayer, tracingSettingsFrom } from "../src/observability/Tracing.ts"

const defaults = { serviceName: "litellm-operator", serviceVersion: "1.2.3" }

describe("tracing settings from the OpenTelemetry variables", () => {
  it("no endpoint: no export", () => {
    assert.isUndefined(tracingSettingsFrom({}, defaults))
    assert.isUndefined(tracingSettingsFrom({ OTEL_SERVICE_NAME: "x", OTEL_EXPORTER_OTLP_ENDPOINT: " " }, defaults))
  })

  it("an endpoint: protobuf by default, the operator's name and version unless given", () => {
    const settings = tracingSettingsFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, defaults)
    assert.deepStrictEqual(settings, {
      protocol: "http/protobuf",
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_TRACES_EXPORTER: "otlp",
        OTEL_SERVICE_NAME: "litellm-operator",
        OTEL_SERVICE_VERSION: "1.2.3"
      }
    })
    const named = tracingSettingsFrom(
      {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces",
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=prod,service.name=ops"
      },
      defaults
    )
    assert.isFalse(named instanceof TracingConfigError)
    if (named === undefined || named instanceof TracingConfigError) return
    assert.strictEqual(named.protocol, "http/json")
    assert.isUndefined(named.env.OTEL_SERVICE_NAME)
  })

  it("disabled, or another exporter: no export", () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }
    assert.isUndefined(tracingSettingsFrom({ ...endpoint, OTEL_SDK_DISABLED: "true" }, defaults))
    assert.isUndefined(tracingSettingsFrom({ ...endpoint, OTEL_TRACES_EXPORTER: "none" }, defaults))
    assert.isDefined(tracingSettingsFrom({ ...endpoint, OTEL_TRACES_EXPORTER: "console, otlp" }, defaults))
  })

  it("an endpoint that is not a URL is refused at start", () => {
    for (const endpoint of ["collector:4318", "not a url"]) {
      assert.instanceOf(tracingSettingsFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, defaults), TracingConfigError)
    }
    // An empty traces endpoint leaves the general one in force.
    const settings = tracingSettingsFrom(
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" },
      defaults
    )
    assert.isDefined(settings)
    assert.isFalse(settings instanceof TracingConfigError)
  })

  it("gRPC is refused with a message that says what works", () => {
    const settings = tracingSettingsFrom(
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" },
      defaults
    )
    assert.instanceOf(settings, TracingConfigError)
    assert.include(settings instanceof TracingConfigError ? settings.message : "", "http/protobuf")
  })
})

describe("tracing off", () => {
  /** A tracer that counts the spans it is asked for. */
  const counting = () => {
    const made: Array<string> = []
    const tracer = Tracer.make({
      span(options) {
        made.push(options.name)
        return new Tracer.NativeSpan(options)
      }
    })
    return { made, tracer }
  }
  const work = Effect.void.pipe(Effect.withSpan("reconcile"), Effect.withSpan("outer"))

  it.effect("makes no spans at all (no export, so no garbage for the collector)", () =>
    Effect.gen(function* () {
      const { made, tracer } = counting()
      yield* work.pipe(Effect.provide(tracingLayer(undefined)), Effect.withTracer(tracer))
      assert.deepStrictEqual(made, [])
      // The same work with tracing left on records both spans: the count above can fail.
      yield* work.pipe(Effect.withTracer(tracer))
      assert.deepStrictEqual(made, ["outer", "reconcile"])
    })
  )
})
