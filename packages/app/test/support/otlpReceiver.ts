/**
 * A small OTLP/HTTP trace receiver on 127.0.0.1 for tests: it keeps every
 * request as it arrived (path, content type, raw body) and decodes OTLP/JSON
 * trace bodies into spans. It closes with the scope.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Schema } from "effect"

export interface ReceivedRequest {
  readonly path: string
  readonly contentType: string
  readonly body: Buffer
}

const AnyValue = Schema.Struct({
  stringValue: Schema.optional(Schema.String),
  boolValue: Schema.optional(Schema.Boolean),
  intValue: Schema.optional(Schema.Union([Schema.String, Schema.Number])),
  doubleValue: Schema.optional(Schema.Number)
})
const KeyValue = Schema.Struct({ key: Schema.String, value: AnyValue })

const OtlpSpan = Schema.Struct({
  traceId: Schema.String,
  spanId: Schema.String,
  parentSpanId: Schema.optional(Schema.String),
  name: Schema.String,
  attributes: Schema.optional(Schema.Array(KeyValue))
})
export type OtlpSpan = typeof OtlpSpan.Type

/** The OTLP/JSON ExportTraceServiceRequest, as far as the tests read it. */
const TracesData = Schema.Struct({
  resourceSpans: Schema.Array(
    Schema.Struct({
      resource: Schema.optional(Schema.Struct({ attributes: Schema.optional(Schema.Array(KeyValue)) })),
      scopeSpans: Schema.Array(Schema.Struct({ spans: Schema.Array(OtlpSpan) }))
    })
  )
})
const decodeTraces = Schema.decodeUnknownSync(Schema.fromJsonString(TracesData))

export interface ExportedSpan extends OtlpSpan {
  /** The exporting resource's `service.name`. */
  readonly serviceName: string | undefined
}

/** Every span of every OTLP/JSON trace request received so far. */
export const spansOf = (requests: ReadonlyArray<ReceivedRequest>): ReadonlyArray<ExportedSpan> =>
  requests
    .filter((r) => r.path === "/v1/traces" && r.contentType.startsWith("application/json"))
    .flatMap((r) =>
      decodeTraces(r.body.toString("utf8")).resourceSpans.flatMap((rs) => {
        const serviceName = rs.resource?.attributes?.find((a) => a.key === "service.name")?.value.stringValue
        return rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ ...span, serviceName })))
      })
    )

/** The spans below `root` in its trace (children, their children, ...). */
export const descendantsOf = (spans: ReadonlyArray<OtlpSpan>, root: OtlpSpan): ReadonlyArray<OtlpSpan> => {
  const inTrace = spans.filter((s) => s.traceId === root.traceId)
  const out: Array<OtlpSpan> = []
  let frontier = [root.spanId]
  while (frontier.length > 0) {
    const next = inTrace.filter((s) => s.parentSpanId !== undefined && frontier.includes(s.parentSpanId))
    out.push(...next)
    frontier = next.map((s) => s.spanId)
  }
  return out
}

/** Starts the receiver; `url` is its base (the exporter appends `/v1/traces`). */
export const startOtlpReceiver = Effect.acquireRelease(
  Effect.callback<{ readonly url: string; readonly requests: Array<ReceivedRequest>; readonly close: () => void }>(
    (resume) => {
      const requests: Array<ReceivedRequest> = []
      const server = createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          requests.push({
            path: req.url ?? "",
            contentType: req.headers["content-type"] ?? "",
            body: Buffer.concat(chunks)
          })
          res.writeHead(200, { "content-type": "application/json" })
          res.end("{}")
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(
          Effect.succeed({
            url: `http://127.0.0.1:${port}`,
            requests,
            close: () => {
              server.closeAllConnections()
              server.close()
            }
          })
        )
      })
    }
  ),
  (receiver) => Effect.sync(receiver.close)
)
