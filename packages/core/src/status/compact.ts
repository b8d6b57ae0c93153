/**
 * Drops the keys whose value is null or undefined: LiteLLM reports "unset" as
 * null, a Kubernetes status leaves the field out.
 */
export const compact = <A extends Record<string, unknown>>(
  record: A
): { [K in keyof A]?: Exclude<A[K], null | undefined> } => {
  const out: { [K in keyof A]?: Exclude<A[K], null | undefined> } = {}
  for (const key of Object.keys(record) as Array<keyof A>) {
    const value = record[key]
    if (value !== null && value !== undefined) out[key] = value as Exclude<A[keyof A], null | undefined>
  }
  return out
}
