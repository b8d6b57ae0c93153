/**
 * Who is calling, as LiteLLM's auth layer decides it (litellm/proxy/auth/):
 * the master key, or any stored virtual key looked up by its sha256 token.
 * A key is refused when it is blocked, expired or its team is blocked; a key
 * whose user has the `proxy_admin` role is an admin credential. Non-admin keys
 * may read only their own key, user and team (SIMULATOR.md §1).
 */
import { type SimResponse, shapeA } from "./Envelopes.ts"
import { iso, MASTER_USER_ID, type Row, type State, sha256, stringField } from "./State.ts"

export type Caller =
  | { readonly _tag: "Master" }
  | {
      readonly _tag: "Key"
      readonly token: string
      readonly key: Row
      readonly user: Row | undefined
      /** The key's user has the `proxy_admin` role. */
      readonly admin: boolean
    }

export const MASTER: Caller = { _tag: "Master" }

export const isAdmin = (caller: Caller): boolean => caller._tag === "Master" || caller.admin

/** The user id LiteLLM records as `created_by` and adds as team admin: the key's user, or none. */
export const callerUserId = (caller: Caller): string | null =>
  caller._tag === "Master" ? MASTER_USER_ID : (stringField(caller.key, "user_id") ?? null)

const authError = (status: number, message: string, type = "auth_error", param: string | null = "None") =>
  shapeA(status, message, type, param)

/** `sk-...` plus the last four characters, as LiteLLM abbreviates a key in `param`. */
const abbreviate = (raw: string) => `sk-...${raw.slice(-4)}`

/** The credential presented: `x-litellm-api-key` wins over `Authorization` (§1). */
export const presentedKey = (headers: {
  readonly authorization?: string | undefined
  readonly "x-litellm-api-key"?: string | Array<string> | undefined
}): { ok: true; key: string } | { ok: false; response: SimResponse } => {
  const litellmHeader = headers["x-litellm-api-key"]
  const authorization = headers.authorization
  if (typeof litellmHeader === "string") return { ok: true, key: litellmHeader.replace(/^[Bb]earer /, "") }
  if (typeof authorization === "string") {
    if (!/^[Bb]earer /.test(authorization))
      return {
        ok: false,
        response: authError(401, "Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix.")
      }
    return { ok: true, key: authorization.slice("Bearer ".length) }
  }
  return { ok: false, response: authError(401, "Authentication Error, No api key passed in.") }
}

/** The master key, or a live virtual key; otherwise LiteLLM's refusal for that key. */
export const identify = (state: State, masterKey: string, presented: string, now: number): Caller | SimResponse => {
  if (presented === masterKey) return MASTER
  // A hash sent as the credential is not a key (§1): only raw keys are hashed and looked up.
  const token = sha256(presented)
  const key = state.keys.get(token)
  if (key === undefined)
    return authError(
      401,
      "Authentication Error, Invalid proxy server token passed. Received API Key = " +
        `${abbreviate(presented)}, Key Hash (Token) =${token}. Unable to find token in cache or \`LiteLLM_VerificationTokenTable\``,
      "token_not_found_in_db",
      "key"
    )
  if (key.blocked === true)
    return authError(401, "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.")
  const expires = stringField(key, "expires")
  if (expires !== undefined && Date.parse(expires) < now)
    return authError(
      400,
      `Authentication Error - Expired Key. Key Expiry time ${expires} and current time ${iso(now)}`,
      "expired_key",
      abbreviate(presented)
    )
  const teamId = stringField(key, "team_id")
  const team = teamId === undefined ? undefined : state.teams.get(teamId)
  if (team !== undefined && team.blocked === true)
    return authError(
      401,
      `Authentication Error, Team=${teamId} is blocked. Update via \`/team/unblock\` if you're an admin.`
    )
  const userId = stringField(key, "user_id")
  const user = userId === undefined ? undefined : state.users.get(userId)
  return { _tag: "Key", token, key, user, admin: user?.user_role === "proxy_admin" }
}

/**
 * LiteLLM masks the caller's id in its admin-route refusal: `***` up to four
 * characters, otherwise the first six, one `*` per character between, the last
 * two (ids of five to eight characters are all stars: derived, not confirmed).
 */
const maskUserId = (id: string) =>
  id.length <= 4
    ? "***"
    : id.length <= 8
      ? "*".repeat(id.length)
      : `${id.slice(0, 6)}${"*".repeat(id.length - 8)}${id.slice(-2)}`

/** The 401 a non-admin key gets on an admin-only route. */
export const onlyProxyAdmin = (route: string, caller: Caller): SimResponse => {
  const user = caller._tag === "Key" ? caller.user : undefined
  const role = (user === undefined ? undefined : stringField(user, "user_role")) ?? "unknown"
  const userId = (user === undefined ? undefined : stringField(user, "user_id")) ?? "unknown"
  return authError(
    401,
    "Authentication Error, Only proxy admin can be used to generate, delete, update info for new keys/users/teams. " +
      `Route=${route}. Your role=${role}. Your user_id=${maskUserId(userId)}`
  )
}

/** The auth layer's own checks on the info routes a non-admin key may call (403 otherwise). */
export const infoRouteCheck = (route: string, query: URLSearchParams, caller: Caller): SimResponse | undefined => {
  if (caller._tag === "Master" || caller.admin) return undefined
  if (route === "/key/info") {
    const sent = query.get("key")
    if (sent !== null && sha256(sent) !== caller.token)
      return authError(403, "user not allowed to access this key's info")
  }
  if (route === "/user/info") {
    const asked = query.get("user_id")
    const own = stringField(caller.key, "user_id") ?? null
    if (asked !== null && asked !== "" && asked !== own)
      return authError(403, `key not allowed to access this user's info. user_id=${asked}, key's user_id=${own}`)
  }
  return undefined
}
