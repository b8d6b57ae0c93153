/**
 * A metric's series by attributes, each tagged metric made once. Effect keeps
 * a series' key on the tagged metric it was computed for, so tagging afresh at
 * every update (`Metric.withAttributes(m, attrs)`) merges, sorts and keys the
 * attributes each time: per reconcile and per call, that was a few percent of
 * everything the operator allocated. Attribute values must come from small
 * fixed sets (kinds, results, reasons, endpoints, statuses): one entry is kept
 * per combination.
 */
import { Metric } from "effect"

export const metricSeries = <In, Out>(
  metric: Metric.Metric<In, Out>
): ((attributes: Readonly<Record<string, string>>) => Metric.Metric<In, Out>) => {
  const made = new Map<string, Metric.Metric<In, Out>>()
  return (attributes) => {
    const key = JSON.stringify(attributes)
    const known = made.get(key)
    if (known !== undefined) return known
    const tagged = Metric.withAttributes(metric, attributes)
    made.set(key, tagged)
    return tagged
  }
}
