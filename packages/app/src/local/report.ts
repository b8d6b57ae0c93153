/**
 * What the local main job prints: the examples' Ready state and the LiteLLM
 * objects they produced, as aligned text tables. Pure; never given a raw key
 * or a master key (keys appear only as abbreviated sha256 tokens).
 */

/** Aligned columns, two spaces apart; the last column is not padded. */
export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd()
  return [line(headers), ...rows.map(line)].join("\n")
}

/** A key's sha256 token, shortened for display. */
export const abbreviateToken = (token: string): string => (token.length > 12 ? `${token.slice(0, 12)}…` : token)

const dash = (value: string | number | null | undefined): string =>
  value === null || value === undefined || value === "" ? "-" : String(value)

const list = (values: ReadonlyArray<string> | null | undefined): string =>
  values === null || values === undefined || values.length === 0 ? "-" : values.join(",")

export interface ObjectRow {
  readonly kind: string
  readonly namespace: string
  readonly name: string
  /** The Ready condition's status, or "-" when there is none yet. */
  readonly ready: string
  readonly reason: string
  readonly message: string
  /** What the object points at in LiteLLM, e.g. `team_id k8s-…`. */
  readonly produced: string
}

export interface TeamRow {
  readonly teamId: string
  readonly alias: string | null | undefined
  readonly models: ReadonlyArray<string> | null | undefined
  readonly maxBudget: number | null | undefined
  readonly members: ReadonlyArray<string>
}

export interface UserRow {
  readonly userId: string
  readonly email: string | null | undefined
  readonly role: string | null | undefined
  readonly maxBudget: number | null | undefined
  readonly teams: ReadonlyArray<string> | null | undefined
}

export interface KeyRow {
  readonly token: string
  readonly alias: string | null | undefined
  readonly userId: string | null | undefined
  readonly teamId: string | null | undefined
  readonly models: ReadonlyArray<string> | null | undefined
  readonly maxBudget: number | null | undefined
  /** The Secret that holds the key, `namespace/name`. */
  readonly secret: string | undefined
}

export const objectsTable = (rows: ReadonlyArray<ObjectRow>): string =>
  table(
    ["KIND", "NAMESPACE/NAME", "READY", "REASON", "LITELLM"],
    rows.map((r) => [r.kind, `${r.namespace}/${r.name}`, r.ready, dash(r.reason), r.produced])
  )

/** Why objects are not Ready, one line each (empty when all are). */
export const notReadyLines = (rows: ReadonlyArray<ObjectRow>): ReadonlyArray<string> =>
  rows
    .filter((r) => r.ready !== "True")
    .map((r) => `${r.kind} ${r.namespace}/${r.name}: Ready=${r.ready} ${dash(r.reason)}: ${dash(r.message)}`)

export const teamsTable = (rows: ReadonlyArray<TeamRow>): string =>
  table(
    ["TEAM_ID", "ALIAS", "MODELS", "MAX_BUDGET", "MEMBERS"],
    rows.map((r) => [r.teamId, dash(r.alias), list(r.models), dash(r.maxBudget), list(r.members)])
  )

export const usersTable = (rows: ReadonlyArray<UserRow>): string =>
  table(
    ["USER_ID", "EMAIL", "ROLE", "MAX_BUDGET", "TEAMS"],
    rows.map((r) => [r.userId, dash(r.email), dash(r.role), dash(r.maxBudget), list(r.teams)])
  )

export const keysTable = (rows: ReadonlyArray<KeyRow>): string =>
  table(
    ["TOKEN (sha256)", "ALIAS", "USER_ID", "TEAM_ID", "MODELS", "MAX_BUDGET", "SECRET"],
    rows.map((r) => [
      abbreviateToken(r.token),
      dash(r.alias),
      dash(r.userId),
      dash(r.teamId),
      list(r.models),
      dash(r.maxBudget),
      dash(r.secret)
    ])
  )
