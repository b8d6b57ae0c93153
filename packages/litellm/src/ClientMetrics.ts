/**
 * Per-endpoint call metrics of the LiteLLM client: a counter and a timer, both
 * tagged with `endpoint` (the path) and `status` (HTTP status, `timeout` or
 * `transport`). The app exports them on /metrics.
 */
import { metricSeries } from "@litellm-operator/core"
import type { Context } from "effect"
import { type Duration, Effect, Metric } from "effect"

export const requestsTotal = Metric.counter("litellm_client_requests_total", {
  description: "LiteLLM admin API calls (attempts), by endpoint and status",
  incremental: true
})

export const requestDuration = Metric.timer("litellm_client_request_duration", {
  description: "LiteLLM admin API call latency, by endpoint and status"
})

const requestsSeries = metricSeries(requestsTotal)
const durationSeries = metricSeries(requestDuration)

/** Records one attempt: both series updated in one step, in the registry of the caller's context. */
export const recordCall = (endpoint: string, status: string, duration: Duration.Duration): Effect.Effect<void> =>
  Effect.contextWith((context: Context.Context<never>) => {
    const attributes = { endpoint, status }
    requestsSeries(attributes).updateUnsafe(1, context)
    durationSeries(attributes).updateUnsafe(duration, context)
    return Effect.void
  })
