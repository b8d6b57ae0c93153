/**
 * The chart's Grafana dashboard and alert rules name only metrics the
 * operator exports: every `litellm_...` name in them is one of the metrics
 * defined in OperatorMetrics, the LiteLLM client's ClientMetrics and the
 * informers' InformerMetrics (a histogram as its _bucket, _sum and _count
 * series); and together they show what a platform team reads.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as K8s from "@litellm-operator/k8s"
import * as LiteLLM from "@litellm-operator/litellm"
import { Metric, Schema } from "effect"
import { notReadyByReason } from "../src/Operator.ts"
import * as OperatorMetrics from "../src/observability/OperatorMetrics.ts"

const chart = join(import.meta.dirname, "..", "..", "..", "deploy", "chart")
const dashboardText = readFileSync(join(chart, "dashboards", "litellm-operator.json"), "utf8")
const rulesText = readFileSync(join(chart, "files", "alerts.yaml"), "utf8")

/** The series names /metrics can hold. */
const exported = (): ReadonlySet<string> => {
  const names = new Set<string>()
  const metrics: Array<Metric.Metric<never, unknown>> = []
  for (const value of [...Object.values(OperatorMetrics), ...Object.values(LiteLLM), ...Object.values(K8s)]) {
    if (Metric.isMetric(value)) metrics.push(value)
  }
  for (const metric of metrics) {
    if (metric.type === "Histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(metric.id + suffix)
    else names.add(metric.id)
  }
  return names
}

/** Every metric name a text uses (alert names are CamelCase, so they do not match). */
const metricNamesIn = (text: string) => new Set(text.match(/\blitellm_[a-z_]+\b/g) ?? [])

const Dashboard = Schema.Struct({
  uid: Schema.String,
  panels: Schema.Array(
    Schema.Struct({
      type: Schema.String,
      title: Schema.String,
      targets: Schema.optional(Schema.Array(Schema.Struct({ expr: Schema.String })))
    })
  )
})

describe("the chart's dashboard and alert rules", () => {
  it("name only metrics the operator exports", () => {
    const known = exported()
    // The definitions are found at all: a rename of a module would otherwise make this test pass on nothing.
    assert.isTrue(known.has("litellm_operator_reconciles_total"))
    assert.isTrue(known.has("litellm_client_request_duration_bucket"))
    assert.isTrue(known.has("litellm_operator_informer_lists_total"))
    for (const [what, text] of [
      ["dashboard", dashboardText],
      ["alert rules", rulesText]
    ] as const) {
      const used = metricNamesIn(text)
      assert.isAbove(used.size, 5, what)
      for (const name of used)
        assert.isTrue(known.has(name), `${what} uses ${name}, which the operator does not export`)
    }
  })

  it("show reconciles, errors, refusals, queue depth, LiteLLM calls, objects not Ready and leadership", () => {
    const dashboard = Schema.decodeUnknownSync(Schema.fromJsonString(Dashboard))(dashboardText)
    const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr))
    for (const panel of dashboard.panels) {
      if (panel.type !== "row") assert.isAbove(panel.targets?.length ?? 0, 0, `panel ${panel.title} has a query`)
    }
    const inDashboard = metricNamesIn(queries.join("\n"))
    for (const name of [
      "litellm_operator_reconciles_total",
      "litellm_operator_reconcile_errors_total",
      "litellm_operator_refusals_total",
      "litellm_operator_workqueue_depth",
      "litellm_operator_objects_not_ready",
      "litellm_operator_leader",
      "litellm_client_requests_total",
      "litellm_client_request_duration_bucket",
      "litellm_operator_informer_last_sync_timestamp_seconds"
    ]) {
      assert.isTrue(inDashboard.has(name), `the dashboard shows ${name}`)
    }
    const inRules = metricNamesIn(rulesText)
    for (const name of [
      "litellm_operator_reconcile_errors_total",
      "litellm_operator_objects_not_ready",
      "litellm_operator_leader",
      "litellm_client_requests_total"
    ]) {
      assert.isTrue(inRules.has(name), `an alert watches ${name}`)
    }
  })

  it("count objects not Ready by their Ready reason, Pending before the first reconcile", () => {
    const condition = (status: "True" | "False", reason: string) => ({
      type: "Ready",
      status,
      reason,
      message: "",
      lastTransitionTime: "2026-01-01T00:00:00Z"
    })
    const counts = notReadyByReason([
      { status: { conditions: [condition("True", "Synced")] } },
      { status: { conditions: [condition("False", "LiteLLMUnavailable")] } },
      { status: { conditions: [condition("False", "LiteLLMUnavailable")] } },
      { status: { conditions: [condition("False", "InvalidSpec")] } },
      {},
      { status: {} }
    ])
    assert.deepStrictEqual([...counts].sort(), [
      ["InvalidSpec", 1],
      ["LiteLLMUnavailable", 2],
      ["Pending", 2]
    ])
  })
})
