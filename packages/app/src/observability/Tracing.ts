/**
 * Exports the operator's spans (one per reconcile, with its Kubernetes and
 * LiteLLM calls as children) with Effect's own OTLP/HTTP tracer, configured
 * by the standard OpenTelemetry variables:
 *
 * - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT`
 *   (`/v1/traces` is appended): no endpoint, no export, nothing changes;
 * - `OTEL_EXPORTER_OTLP_PROTOCOL` / `..._TRACES_PROTOCOL`: `http/protobuf`
 *   (the default) or `http/json`; `grpc` is refused with a clear message;
 * - `OTEL_SERVICE_NAME` (default `litellm-operator`), `OTEL_RESOURCE_ATTRIBUTES`,
 *   `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_COMPRESSION`,
 *   `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_SDK_DISABLED`, `OTEL_TRACES_EXPORTER`
 *   (default `otlp`, as the specification says; `none` turns export off).
 *
 * The exporter's own requests are not traced, and it flushes on shutdown.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { ConfigProvider, Layer, References, Schema, Tracer } from "effect"
import { OtlpExporter, OtlpSerialization, OtlpTracer } from "effect/observability"

export class TracingConfigError extends Schema.TaggedError<TracingConfigError>()("TracingConfigError", {
  message: Schema.String
}) {}

export type OtlpProtocol = "http/protobuf" | "http/json"

export interface TracingSettings {
  readonly protocol: OtlpProtocol
  /** The variables Effect's tracer reads, with the operator's defaults filled in. */
  readonly env: Readonly<Record<string, string>>
}

const present = (value: string | undefined): value is string => value !== undefined && value.trim() !== ""

/** What the environment asks for: `undefined` when traces are off (no endpoint, disabled, or another exporter). */
export const tracingSettingsFrom = (
  env: Readonly<Record<string, string | undefined>>,
  defaults: { readonly serviceName: string; readonly serviceVersion: string }
): TracingSettings | TracingConfigError | undefined => {
  const endpoint = [env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, env.OTEL_EXPORTER_OTLP_ENDPOINT].find(present)
  if (endpoint === undefined) return undefined
  if ((env.OTEL_SDK_DISABLED ?? "").trim().toLowerCase() === "true") return undefined
  const exporters = (env.OTEL_TRACES_EXPORTER ?? "otlp")
    .split(",")
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== "")
  if (!exporters.includes("otlp")) return undefined
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? "http/protobuf").trim()
  if (protocol !== "http/protobuf" && protocol !== "http/json") {
    return new TracingConfigError({
      message: `OTEL_EXPORTER_OTLP_PROTOCOL: "${protocol}" is not supported; use http/protobuf (the default) or http/json`
    })
  }
  const url = URL.parse(endpoint.trim())
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    return new TracingConfigError({
      message: `OTEL_EXPORTER_OTLP_ENDPOINT: "${endpoint}" is not an http:// or https:// URL`
    })
  }
  const filled: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) if (value !== undefined) filled[name] = value
  filled.OTEL_TRACES_EXPORTER = "otlp"
  // A service.name in OTEL_RESOURCE_ATTRIBUTES is the user's choice too; OTEL_SERVICE_NAME would win over it.
  const namedInAttributes = /(^|,)\s*service\.name\s*=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? "")
  if (!present(env.OTEL_SERVICE_NAME) && !namedInAttributes) filled.OTEL_SERVICE_NAME = defaults.serviceName
  if (!present(env.OTEL_SERVICE_VERSION)) filled.OTEL_SERVICE_VERSION = defaults.serviceVersion
  return { protocol, env: filled }
}

/**
 * The tracer for these settings. When off, spans are not made at all (a no-op
 * flusher, and Effect's tracer disabled): with nobody to export to, recording
 * a span and its attributes for every Kubernetes and LiteLLM call was garbage
 * the collector had to clear, for nothing.
 */
export const tracingLayer = (settings: TracingSettings | undefined): Layer.Layer<OtlpExporter.Flusher> =>
  settings === undefined
    ? Layer.mergeAll(
        OtlpExporter.layerFlusher,
        Layer.succeed(References.TracerEnabled, false),
        // HTTP clients skip their span bookkeeping (attributes, trace headers) only for this one.
        Layer.succeed(Tracer.DisablePropagation, true)
      )
    : OtlpTracer.layerFromConfig().pipe(
        Layer.provide(
          settings.protocol === "http/json" ? OtlpSerialization.layerJson : OtlpSerialization.layerProtobuf
        ),
        Layer.provide(NodeHttpClient.layerUndici),
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: settings.env })))
      )
