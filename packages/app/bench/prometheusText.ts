/** Reading Prometheus text (a `/metrics` answer) in the benchmarks. */

/** The samples of a metric by the value of one label, added up over the other labels. */
export const byLabel = (text: string, metric: string, label: string): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${metric}{`)) continue
    const value = new RegExp(`${label}="([^"]*)"`).exec(line)?.[1] ?? ""
    out[value] = (out[value] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1))
  }
  return out
}

/** A work table (reconciles, failed ones, the seconds they took) by one label, from three counters' names. */
export const workByLabel = (
  text: string,
  label: string,
  metrics: { readonly reconciles: string; readonly errors: string; readonly seconds: string }
): Readonly<Record<string, { readonly reconciles: number; readonly errors: number; readonly seconds: number }>> => {
  const errors = byLabel(text, metrics.errors, label)
  const seconds = byLabel(text, metrics.seconds, label)
  return Object.fromEntries(
    Object.entries(byLabel(text, metrics.reconciles, label)).map(([value, n]) => [
      value,
      { reconciles: n, errors: errors[value] ?? 0, seconds: seconds[value] ?? 0 }
    ])
  )
}
