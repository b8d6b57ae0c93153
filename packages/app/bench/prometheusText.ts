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
