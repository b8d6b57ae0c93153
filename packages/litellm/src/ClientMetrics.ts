/**
 * Per-endpoint call metrics of the LiteLLM client: a counter and a timer, both
 * tagged with `endpoint` (the path) and `status` (HTTP status, `timeout` or
 * `transport`). The app exports them on /metrics.
 */
import { type Duration, Effect, Metric } from "effect"

export const requestsTotal = Metric.counter("litellm_client_requests_total", {
  description: "LiteLLM admin API calls (attempts), by endpoint and status",
  incremental: true
})

export const requestDuration = Metric.timer("litellm_client_request_duration", {
  description: "LiteLLM admin API call latency, by endpoint and status"
})

/** Records one attempt. */
export const recordCall = (endpoint: string, status: string, duration: Duration.Duration) => {
  const attributes = { endpoint, status }
  return Effect.all(
    [
      Metric.update(Metric.withAttributes(requestsTotal, attributes), 1),
      Metric.update(Metric.withAttributes(requestDuration, attributes), duration)
    ],
    { discard: true }
  )
}
