/**
 * The operator's typed client for LiteLLM's admin API (litellm-api.md). One
 * method per endpoint the operator uses, plus `execute` for a core plan
 * action with the idempotency rules that make retries and repeats safe.
 *
 * Every call has a timeout; retryable failures (Unavailable, RateLimited) are
 * retried with backoff. A LiteLLM that takes connections and never answers
 * would hold every caller for all its attempts; once a call found it so, calls
 * fail at once for a quiet period, then one call at a time tries it again.
 * Every call is safe to repeat: reads are, and all of the operator's creates
 * carry a caller-chosen id or key (a repeat finds it). The master key and raw
 * keys stay `Redacted`; LiteLLM's messages are scrubbed before they reach an
 * error, and a call's span records no header and no query (a key's token can
 * be in it). Calls go to an undici connection pool (`NodeHttpClient.Dispatcher`
 * of @effect/platform-node), as the API server's do (KubeTransport.ts).
 */

import { createHash } from "node:crypto"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type { LiteLLMAction } from "@litellm-operator/core"
import {
  clientSpan,
  JsonObject,
  ObservedKey,
  ObservedTeam,
  ObservedUser,
  parseJson,
  retryAfterFailure,
  spanIfTraced
} from "@litellm-operator/core"
import {
  Cause,
  Clock,
  Context,
  Duration,
  Effect,
  Exit,
  Layer,
  Option,
  Predicate,
  Redacted,
  Schema,
  Stream
} from "effect"
import { HttpTraceContext } from "effect/http"
import { recordCall } from "./ClientMetrics.ts"
import { classify, parseErrorBody, parseRetryAfter } from "./ErrorEnvelope.ts"
import { Invalid, LiteLLMError, type LiteLLMErrorReason, NotFound, Unavailable } from "./LiteLLMError.ts"
import {
  DataResponse,
  HasUserId,
  KeyGenerateStored,
  KeyInfoResponse,
  KeyListResponse,
  ReadinessResponse,
  TeamInfoResponse,
  TeamListResponse,
  UserInfoResponse,
  UserListResponse
} from "./Responses.ts"
import { defaultRetryOptions, type RetryOptions, retrySchedule } from "./RetryPolicy.ts"
import { scrub } from "./Secrets.ts"

export interface LiteLLMConnection {
  /** Base URL, e.g. `http://litellm:4000` (including any `SERVER_ROOT_PATH`). */
  readonly url: string
  readonly masterKey: Redacted.Redacted<string>
  /** Per attempt; default 10 seconds. */
  readonly timeout?: Duration.Input
  readonly retry?: Partial<RetryOptions>
  /** How long calls are not sent after one found no answer on every attempt: first, and at most (doubling between). */
  readonly quiet?: { readonly first?: Duration.Input; readonly max?: Duration.Input }
  /** The largest answer read, in bytes; default 8 MiB (a longer one is cut off and the attempt fails). */
  readonly maxAnswerBytes?: number
}

export type MemberRole = "admin" | "user"

export interface TeamListFilter {
  /** Exact alias: LiteLLM matches a case-insensitive substring; the client keeps exact matches only. */
  readonly teamAlias?: string
  readonly teamId?: string
  readonly userId?: string
  readonly organizationId?: string
}

export interface UserListFilter {
  /** Matched case-insensitively, as LiteLLM's own uniqueness check does; substrings are dropped. */
  readonly userEmail?: string
  /** Exact id: LiteLLM matches a single id as a substring. */
  readonly userId?: string
  /** Users whose `teams` contain this team. */
  readonly team?: string
}

export interface KeyListFilter {
  readonly keyAlias?: string
  readonly teamId?: string
  readonly userId?: string
}

export interface MemberInput {
  readonly teamId: string
  readonly userId: string
  readonly role: MemberRole
  readonly maxBudgetInTeam?: number
}

type Fields = JsonObject
type Result<A> = Effect.Effect<A, LiteLLMError>

/**
 * What the answer to a plan action showed of the object it wrote, when it
 * showed all that a read would: the caller need not read it again.
 */
export interface WriteAnswer {
  /** The key as `/key/info` would show it (a `/key/generate` answer, or the read that found a repeat). */
  readonly key?: ObservedKey
}

export class LiteLLMClient extends Context.Service<
  LiteLLMClient,
  {
    teamNew(teamId: string, fields?: Fields): Result<ObservedTeam>
    /** The team with its membership rows; `None` when it does not exist. */
    teamInfo(teamId: string): Result<Option.Option<ObservedTeam>>
    teamUpdate(teamId: string, fields: Fields): Result<ObservedTeam>
    teamDelete(teamIds: ReadonlyArray<string>): Result<void>
    teamBlock(teamId: string): Result<ObservedTeam>
    teamUnblock(teamId: string): Result<ObservedTeam>
    teamMemberAdd(member: MemberInput): Result<void>
    teamMemberUpdate(member: MemberInput): Result<void>
    teamMemberDelete(teamId: string, userId: string): Result<void>
    teamPermissionsUpdate(teamId: string, permissions: ReadonlyArray<string>): Result<void>
    /** Every page of `/v2/team/list`, filtered exactly. */
    teamList(filter?: TeamListFilter): Result<ReadonlyArray<ObservedTeam>>
    /**
     * Every team with its membership rows, in one call (the legacy, unpaginated
     * `/team/list`): what `teamInfo` says of each team, for all of them at once.
     */
    teamListWithMemberships(): Result<ReadonlyArray<ObservedTeam>>
    /** `/user/new` with `auto_create_key: false` unless `fields` say otherwise. */
    userNew(userId: string, fields?: Fields): Result<ObservedUser>
    userInfo(userId: string): Result<Option.Option<ObservedUser>>
    /** `/user/update` (an upsert). Fields that are not user columns are dropped: LiteLLM fails the call on them. */
    userUpdate(userId: string, fields: Fields): Result<ObservedUser>
    userDelete(userIds: ReadonlyArray<string>): Result<void>
    userList(filter?: UserListFilter): Result<ReadonlyArray<ObservedUser>>
    /**
     * `/user/list` one page at a time, as LiteLLM filters it (not exactly, unlike `userList`): a caller that
     * keeps a few rows of many never holds all of them.
     */
    userPages(filter?: UserListFilter): Stream.Stream<ReadonlyArray<ObservedUser>, LiteLLMError>
    /** `/key/generate` with a caller-chosen raw key; returns the row (the raw key is the caller's already). */
    keyGenerate(key: Redacted.Redacted<string>, fields?: Fields): Result<ObservedKey>
    /** By token (sha256 hex); a raw key is hashed first so it never travels in a URL. */
    keyInfo(token: string): Result<Option.Option<ObservedKey>>
    keyUpdate(token: string, fields: Fields): Result<ObservedKey>
    keyDelete(tokens: ReadonlyArray<string>): Result<void>
    keyBlock(token: string): Result<ObservedKey>
    keyUnblock(token: string): Result<ObservedKey>
    keyList(filter?: KeyListFilter): Result<ReadonlyArray<ObservedKey>>
    /** `/key/list` one page at a time, as LiteLLM filters it (see `userPages`). */
    keyPages(filter?: KeyListFilter): Stream.Stream<ReadonlyArray<ObservedKey>, LiteLLMError>
    readonly readiness: Result<ReadinessResponse>
    /** Runs one plan action; repeats of an action that already took effect succeed. */
    execute(action: LiteLLMAction): Result<WriteAnswer>
  }
>()("litellm-operator/litellm/LiteLLMClient") {
  static readonly make = (connection: LiteLLMConnection) => make(connection)

  /** The client over undici's process-wide connection pool (the one `fetch` uses). */
  static readonly layer = (connection: LiteLLMConnection) =>
    Layer.effect(LiteLLMClient, make(connection)).pipe(Layer.provide(NodeHttpClient.dispatcherLayerGlobal))

  /** The client over whatever connection pool (`NodeHttpClient.Dispatcher`) the caller provides. */
  static readonly layerNoDeps = (connection: LiteLLMConnection) => Layer.effect(LiteLLMClient, make(connection))
}

/** Items per page the list methods ask for (LiteLLM's maximum): a list of n items takes ceil(n / this) calls. */
export const LIST_PAGE_SIZE = 100
const MAX_PAGES = 1000

/**
 * Fields `/user/update` rejects with a 400 because users have no such column (litellm-api.md §6.2).
 * `guardrails` is not one: LiteLLM's source moves it into the user's metadata, like `model_rpm_limit`.
 */
const NOT_USER_COLUMNS = ["blocked", "aliases", "config", "permissions", "key_alias", "duration", "prompts"]

const TOKEN = /^[0-9a-f]{64}$/

/** The sha256 token of a raw key; a token (64 hex digits) passes through. */
export const tokenOfKeyOrToken = (keyOrToken: string): string =>
  TOKEN.test(keyOrToken) ? keyOrToken : createHash("sha256").update(keyOrToken).digest("hex")

interface Call {
  readonly operation: string
  readonly method: "GET" | "POST"
  readonly path: string
  readonly urlParams?: Readonly<Record<string, string>>
  readonly body?: unknown
  /** Secrets in this request besides the master key, scrubbed from anything LiteLLM sends back. */
  readonly secrets?: ReadonlyArray<Redacted.Redacted<string>>
}

const utf8 = new TextDecoder()

type Pool = NodeHttpClient.Dispatcher["Service"]
/** undici's answer: status, headers, and the body as a stream. */
type Answer = Awaited<ReturnType<Pool["request"]>>

/** How one exchange with LiteLLM ended. */
type Outcome =
  | {
      readonly _tag: "Answer"
      readonly status: number
      readonly retryAfter: string | ReadonlyArray<string> | undefined
      readonly text: string
    }
  | { readonly _tag: "TimedOut" }
  | { readonly _tag: "TooLong" }
  | { readonly _tag: "Transport"; readonly message: string }

const make = Effect.fnUntraced(function* (connection: LiteLLMConnection) {
  const timeout = Duration.fromInputUnsafe(connection.timeout ?? Duration.seconds(10))
  const schedule = retrySchedule({ ...defaultRetryOptions, ...connection.retry })
  const timeoutMillis = Duration.toMillis(timeout)
  const baseUrl = connection.url.replace(/\/+$/, "")
  const pool = yield* NodeHttpClient.Dispatcher
  // Read in place, several times a call (two runtime steps fewer than `Clock.currentTimeMillis` each time).
  const clock = yield* Effect.clockWith(Effect.succeed)

  const fail = (call: Call, reason: LiteLLMErrorReason, status?: number) =>
    status === undefined
      ? new LiteLLMError({ operation: call.operation, reason })
      : new LiteLLMError({ operation: call.operation, status, reason })

  const clean = (call: Call, text: string) => scrub(text, [connection.masterKey, ...(call.secrets ?? [])])

  // LiteLLM's answers are far smaller (a page of 100 keys is some 150 KB); a URL that answers without end
  // (a tenant's own "LiteLLM") must not fill the operator's memory.
  const maxAnswerBytes = connection.maxAnswerBytes ?? 8 * 1024 * 1024
  /**
   * The body as text, up to `maxAnswerBytes`: past that the transfer is stopped and `undefined` says so. An
   * answer with a length (LiteLLM's always have one) is read whole when short enough, which is cheaper than
   * chunk by chunk.
   */
  const boundedText = async (answer: Answer): Promise<string | undefined> => {
    const declared = Number(answer.headers["content-length"] ?? Number.NaN)
    if (Number.isFinite(declared)) {
      if (declared <= maxAnswerBytes) return answer.body.text()
      answer.body.destroy()
      return undefined
    }
    const chunks: Array<Uint8Array> = []
    let size = 0
    for await (const chunk of answer.body) {
      if (!(chunk instanceof Uint8Array)) continue
      size += chunk.length
      if (size > maxAnswerBytes) {
        answer.body.destroy()
        return undefined
      }
      chunks.push(chunk)
    }
    const all = new Uint8Array(size)
    let at = 0
    for (const chunk of chunks) {
      all.set(chunk, at)
      at += chunk.length
    }
    return utf8.decode(all)
  }

  const describe = (cause: unknown) => (Predicate.hasProperty(cause, "message") ? String(cause.message) : String(cause))

  /**
   * One exchange: straight to the connection pool, not through effect/http's client over it, which cost as
   * much again per call (its response wrapper, a cached body effect, fiber hops) and raced two more fibers
   * for its timeout. The timeout here is one timer for the whole exchange (connecting, the headers, the body:
   * a URL that drips its answer is cut off too); interrupting aborts it. Never fails: what went wrong is in
   * the outcome.
   */
  const exchange = (call: Call): Effect.Effect<Outcome> =>
    Effect.suspend(() => {
      let url: URL
      try {
        url = new URL(`${baseUrl}${call.path}`)
      } catch (cause) {
        return Effect.succeed<Outcome>({ _tag: "Transport", message: `not a URL: ${describe(cause)}` })
      }
      for (const [name, value] of Object.entries(call.urlParams ?? {})) url.searchParams.set(name, value)
      const body = call.body === undefined ? undefined : JSON.stringify(call.body)
      const headers: Record<string, string> = {
        authorization: `Bearer ${Redacted.value(connection.masterKey)}`,
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" })
      }
      const send = (sent: Record<string, string>) =>
        Effect.callback<Outcome>((resume, signal) => {
          const controller = new AbortController()
          const abort = () => controller.abort()
          signal.addEventListener("abort", abort, { once: true })
          let timedOut = false
          const timer = setTimeout(() => {
            timedOut = true
            controller.abort()
          }, timeoutMillis)
          pool
            .request({
              origin: url.origin,
              path: `${url.pathname}${url.search}`,
              method: call.method,
              headers: sent,
              ...(body === undefined ? {} : { body }),
              signal: controller.signal,
              // The one timer above keeps the time; undici's own would only cut pieces of it.
              headersTimeout: 0,
              bodyTimeout: 0
            })
            .then(async (answer): Promise<Outcome> => {
              const text = await boundedText(answer)
              return text === undefined
                ? { _tag: "TooLong" }
                : { _tag: "Answer", status: answer.statusCode, retryAfter: answer.headers["retry-after"], text }
            })
            .then(
              (outcome) => resume(Effect.succeed(outcome)),
              (cause: unknown) =>
                resume(
                  Effect.succeed<Outcome>(
                    timedOut ? { _tag: "TimedOut" } : { _tag: "Transport", message: describe(cause) }
                  )
                )
            )
            .finally(() => {
              clearTimeout(timer)
              signal.removeEventListener("abort", abort)
            })
        })
      return clientSpan({
        method: call.method,
        attributes: () => ({
          "server.address": url.hostname,
          "url.scheme": url.protocol.slice(0, -1),
          "url.path": url.pathname
        }),
        send: (propagate) =>
          send(propagate === undefined ? headers : { ...headers, ...HttpTraceContext.toHeaders(propagate) }),
        statusOf: (outcome) => (outcome._tag === "Answer" ? outcome.status : undefined)
      })
    })

  /** One attempt: send, read the body, turn a non-2xx answer into a LiteLLMError. */
  const attempt = Effect.fnUntraced(function* (call: Call) {
    const started = clock.currentTimeMillisUnsafe()
    const record = (status: string) =>
      recordCall(call.path, status, Duration.millis(clock.currentTimeMillisUnsafe() - started))
    const outcome = yield* exchange(call)
    switch (outcome._tag) {
      case "TimedOut":
        yield* record("timeout")
        return yield* fail(
          call,
          new Unavailable({ message: `no answer within ${Duration.format(timeout)}`, timedOut: true })
        )
      case "Transport":
        yield* record("transport")
        return yield* fail(call, new Unavailable({ message: clean(call, outcome.message) }))
      case "TooLong":
        return yield* fail(
          call,
          new Unavailable({ message: `the answer is longer than ${maxAnswerBytes} bytes; not read further` })
        )
    }
    const { status, text } = outcome
    yield* record(String(status))
    const body = Option.getOrUndefined(parseJson(text))
    if (status >= 200 && status < 300) return body
    const now = yield* Clock.currentTimeMillis
    const parsed = parseErrorBody(body, text)
    const retryAfter = Array.isArray(outcome.retryAfter) ? outcome.retryAfter[0] : outcome.retryAfter
    const reason = classify(
      status,
      { ...parsed, message: clean(call, parsed.message) },
      parseRetryAfter(retryAfter, now)
    )
    yield* Effect.logDebug("LiteLLM call failed").pipe(
      Effect.annotateLogs({ endpoint: call.path, status, reason: reason._tag })
    )
    return yield* fail(call, reason, status)
  })

  // Every call is retried: reads are safe to repeat, and every write the operator sends is too (see the header).
  const retried = (call: Call): Result<unknown> => retryAfterFailure(attempt(call), schedule)

  // After a call found no answer on every attempt: no call is sent until `until`, the period doubling (to `max`)
  // while LiteLLM stays silent; then one call at a time tries (`trying`), and any answer, even a refusal, ends it.
  const quietFirst = Duration.toMillis(Duration.fromInputUnsafe(connection.quiet?.first ?? Duration.seconds(1)))
  const quietMax = Duration.toMillis(Duration.fromInputUnsafe(connection.quiet?.max ?? Duration.minutes(1)))
  const quiet = { until: 0, period: 0, trying: false }

  const send = (call: Call): Result<unknown> =>
    Effect.suspend(() => {
      const now = clock.currentTimeMillisUnsafe()
      if (quiet.period > 0 && (now < quiet.until || quiet.trying)) {
        const left = Math.max(0, quiet.until - now)
        const message = `LiteLLM did not answer lately (a call found no answer within ${Duration.format(timeout)} on every attempt); no call is sent to it ${left > 0 ? `for ${Math.ceil(left / 1000)} s more` : "while another call tries it"}`
        return Effect.fail(fail(call, new Unavailable({ message })))
      }
      const trial = quiet.period > 0
      if (trial) quiet.trying = true
      return Effect.onExit(retried(call), (exit) =>
        Effect.sync(() => {
          const at = clock.currentTimeMillisUnsafe()
          if (trial) quiet.trying = false
          if (Exit.hasInterrupts(exit)) return
          const error = Option.getOrUndefined(Exit.findErrorOption(exit))
          if (error === undefined || error.reason._tag !== "Unavailable" || error.reason.timedOut !== true) {
            quiet.period = 0
          } else if (trial || at >= quiet.until) {
            quiet.period = quiet.period === 0 ? quietFirst : Math.min(2 * quiet.period, quietMax)
            quiet.until = at + quiet.period
          }
        })
      )
    })

  const decode = <S extends Schema.Top & { readonly DecodingServices: never }>(
    operation: string,
    schema: S,
    value: unknown
  ): Exit.Exit<S["Type"], LiteLLMError> => {
    // Synchronous, an Exit: one runtime step for an answer, where decoding as an effect took a dozen.
    const decoded = Schema.decodeUnknownExit(schema)(value)
    if (Exit.isSuccess(decoded)) return Exit.succeed(decoded.value)
    const issue = Exit.findErrorOption(decoded)
    // Anything but a schema's error (a transformation that threw) is a bug: it stays a defect.
    if (Option.isNone(issue)) return Exit.die(Cause.squash(decoded.cause))
    return Exit.fail(
      new LiteLLMError({
        operation,
        reason: new Invalid({ message: scrub(`unexpected response: ${issue.value.message}`, [connection.masterKey]) })
      })
    )
  }

  const get = (operation: string, path: string, urlParams: Readonly<Record<string, string>>) =>
    send({ operation, method: "GET", path, urlParams })

  const post = (operation: string, path: string, body: unknown, secrets?: ReadonlyArray<Redacted.Redacted<string>>) =>
    send({ operation, method: "POST", path, body, ...(secrets === undefined ? {} : { secrets }) })

  /** `Some` unless the call failed with NotFound. */
  const optional = <A>(effect: Result<A>): Result<Option.Option<A>> =>
    effect.pipe(
      Effect.map(Option.some),
      Effect.catchReason("LiteLLMError", "NotFound", () => Effect.succeed(Option.none<A>()))
    )

  /** A list endpoint's pages until LiteLLM says there are no more, as a stream: each is fetched and decoded when pulled. */
  const pages = <A>(
    pageOf: (page: number) => Result<{ readonly items: ReadonlyArray<A>; readonly totalPages: number | undefined }>
  ): Stream.Stream<ReadonlyArray<A>, LiteLLMError> =>
    Stream.paginate(1, (page: number) =>
      Effect.map(pageOf(page), ({ items, totalPages }) => {
        const last = items.length === 0 || totalPages === undefined || page >= totalPages || page >= MAX_PAGES
        return [[items], last ? Option.none<number>() : Option.some(page + 1)] as const
      })
    )

  const allPages = <A>(stream: Stream.Stream<ReadonlyArray<A>, LiteLLMError>) =>
    Stream.runFold(
      stream,
      (): Array<A> => [],
      (all, page) => {
        all.push(...page)
        return all
      }
    )

  // Teams

  const teamNew = Effect.fnUntraced(function* (teamId: string, fields: Fields = {}) {
    yield* Effect.annotateCurrentSpan({ team_id: teamId })
    const body = yield* post("teamNew", "/team/new", { ...fields, team_id: teamId })
    return yield* decode("teamNew", ObservedTeam, body)
  }, spanIfTraced("LiteLLMClient.teamNew"))

  const teamInfo = Effect.fnUntraced(function* (teamId: string) {
    yield* Effect.annotateCurrentSpan({ team_id: teamId })
    const body = yield* optional(get("teamInfo", "/team/info", { team_id: teamId }))
    if (Option.isNone(body)) return Option.none<ObservedTeam>()
    const info = yield* decode("teamInfo", TeamInfoResponse, body.value)
    // The membership rows sit beside `team_info`; the core reads them from the team.
    const team = yield* decode("teamInfo", ObservedTeam, {
      ...info.team_info,
      team_memberships: info.team_memberships ?? []
    })
    return Option.some(team)
  }, spanIfTraced("LiteLLMClient.teamInfo"))

  const teamUpdate = Effect.fnUntraced(function* (teamId: string, fields: Fields) {
    yield* Effect.annotateCurrentSpan({ team_id: teamId })
    const body = yield* post("teamUpdate", "/team/update", { ...fields, team_id: teamId })
    const { data } = yield* decode("teamUpdate", DataResponse, body)
    return yield* decode("teamUpdate", ObservedTeam, data)
  }, spanIfTraced("LiteLLMClient.teamUpdate"))

  const teamDelete = Effect.fnUntraced(function* (teamIds: ReadonlyArray<string>) {
    yield* Effect.annotateCurrentSpan({ team_ids: teamIds.join(",") })
    yield* post("teamDelete", "/team/delete", { team_ids: teamIds })
  }, spanIfTraced("LiteLLMClient.teamDelete"))

  const teamBlocking = (operation: "teamBlock" | "teamUnblock", path: string) =>
    Effect.fnUntraced(
      function* (teamId: string) {
        yield* Effect.annotateCurrentSpan({ team_id: teamId })
        const body = yield* post(operation, path, { team_id: teamId })
        return yield* decode(operation, ObservedTeam, body)
      },
      spanIfTraced(`LiteLLMClient.${operation}`)
    )

  const teamBlock = teamBlocking("teamBlock", "/team/block")
  const teamUnblock = teamBlocking("teamUnblock", "/team/unblock")

  const memberBody = (member: MemberInput) => ({
    team_id: member.teamId,
    ...(member.maxBudgetInTeam === undefined ? {} : { max_budget_in_team: member.maxBudgetInTeam })
  })

  const teamMemberAdd = Effect.fnUntraced(function* (member: MemberInput) {
    yield* Effect.annotateCurrentSpan({ team_id: member.teamId, user_id: member.userId })
    yield* post("teamMemberAdd", "/team/member_add", {
      ...memberBody(member),
      member: { user_id: member.userId, role: member.role }
    })
  }, spanIfTraced("LiteLLMClient.teamMemberAdd"))

  const teamMemberUpdate = Effect.fnUntraced(function* (member: MemberInput) {
    yield* Effect.annotateCurrentSpan({ team_id: member.teamId, user_id: member.userId })
    yield* post("teamMemberUpdate", "/team/member_update", {
      ...memberBody(member),
      user_id: member.userId,
      role: member.role
    })
  }, spanIfTraced("LiteLLMClient.teamMemberUpdate"))

  const teamMemberDelete = Effect.fnUntraced(function* (teamId: string, userId: string) {
    yield* Effect.annotateCurrentSpan({ team_id: teamId, user_id: userId })
    yield* post("teamMemberDelete", "/team/member_delete", { team_id: teamId, user_id: userId })
  }, spanIfTraced("LiteLLMClient.teamMemberDelete"))

  const teamPermissionsUpdate = Effect.fnUntraced(function* (teamId: string, permissions: ReadonlyArray<string>) {
    yield* Effect.annotateCurrentSpan({ team_id: teamId })
    yield* post("teamPermissionsUpdate", "/team/permissions_update", {
      team_id: teamId,
      team_member_permissions: permissions
    })
  }, spanIfTraced("LiteLLMClient.teamPermissionsUpdate"))

  const teamList = Effect.fnUntraced(function* (filter: TeamListFilter = {}) {
    const params: Record<string, string> = { page_size: String(LIST_PAGE_SIZE) }
    if (filter.teamAlias !== undefined) params.team_alias = filter.teamAlias
    if (filter.teamId !== undefined) params.team_id = filter.teamId
    if (filter.userId !== undefined) params.user_id = filter.userId
    if (filter.organizationId !== undefined) params.organization_id = filter.organizationId
    const teams = yield* allPages(
      pages((page) =>
        get("teamList", "/v2/team/list", { ...params, page: String(page) }).pipe(
          Effect.flatMap((body) => decode("teamList", TeamListResponse, body)),
          Effect.map((r) => ({ items: r.teams, totalPages: r.total_pages }))
        )
      )
    )
    return teams.filter(
      (t) =>
        (filter.teamAlias === undefined || t.team_alias === filter.teamAlias) &&
        (filter.teamId === undefined || t.team_id === filter.teamId)
    )
  }, spanIfTraced("LiteLLMClient.teamList"))

  const teamListWithMemberships = Effect.fnUntraced(function* () {
    const body = yield* get("teamListWithMemberships", "/team/list", {})
    return yield* decode("teamListWithMemberships", Schema.Array(ObservedTeam), body)
  }, spanIfTraced("LiteLLMClient.teamListWithMemberships"))

  // Users

  const userNew = Effect.fnUntraced(function* (userId: string, fields: Fields = {}) {
    yield* Effect.annotateCurrentSpan({ user_id: userId })
    const body = yield* post("userNew", "/user/new", { auto_create_key: false, ...fields, user_id: userId })
    return yield* decode("userNew", ObservedUser, body)
  }, spanIfTraced("LiteLLMClient.userNew"))

  const userInfo = Effect.fnUntraced(function* (userId: string) {
    yield* Effect.annotateCurrentSpan({ user_id: userId })
    const body = yield* optional(get("userInfo", "/user/info", { user_id: userId }))
    if (Option.isNone(body)) return Option.none<ObservedUser>()
    const info = (yield* decode("userInfo", UserInfoResponse, body.value)).user_info
    // Before ~1.80.8 an unknown user is a 200 whose `user_info` has no id.
    if (info === undefined || info === null || Option.isNone(Schema.decodeUnknownOption(HasUserId)(info)))
      return Option.none<ObservedUser>()
    return Option.some(yield* decode("userInfo", ObservedUser, info))
  }, spanIfTraced("LiteLLMClient.userInfo"))

  const userUpdate = Effect.fnUntraced(function* (userId: string, fields: Fields) {
    yield* Effect.annotateCurrentSpan({ user_id: userId })
    const dropped = NOT_USER_COLUMNS.filter((name) => name in fields)
    if (dropped.length > 0)
      yield* Effect.logWarning("dropping fields /user/update cannot take").pipe(
        Effect.annotateLogs({ user_id: userId, fields: dropped.join(",") })
      )
    const kept = Object.fromEntries(Object.entries(fields).filter(([name]) => !NOT_USER_COLUMNS.includes(name)))
    const body = yield* post("userUpdate", "/user/update", { ...kept, user_id: userId })
    const { data } = yield* decode("userUpdate", DataResponse, body)
    return yield* decode("userUpdate", ObservedUser, data)
  }, spanIfTraced("LiteLLMClient.userUpdate"))

  const userDelete = Effect.fnUntraced(function* (userIds: ReadonlyArray<string>) {
    yield* Effect.annotateCurrentSpan({ user_ids: userIds.join(",") })
    yield* post("userDelete", "/user/delete", { user_ids: userIds })
  }, spanIfTraced("LiteLLMClient.userDelete"))

  const userPages = (filter: UserListFilter = {}) => {
    const params: Record<string, string> = { page_size: String(LIST_PAGE_SIZE) }
    if (filter.userEmail !== undefined) params.user_email = filter.userEmail
    if (filter.userId !== undefined) params.user_ids = filter.userId
    if (filter.team !== undefined) params.team = filter.team
    return pages((page) =>
      get("userList", "/user/list", { ...params, page: String(page) }).pipe(
        Effect.flatMap((body) => decode("userList", UserListResponse, body)),
        Effect.map((r) => ({ items: r.users, totalPages: r.total_pages }))
      )
    )
  }

  const userList = Effect.fnUntraced(function* (filter: UserListFilter = {}) {
    const users = yield* allPages(userPages(filter))
    const email = filter.userEmail?.trim().toLowerCase()
    return users.filter(
      (u) =>
        (email === undefined || u.user_email?.trim().toLowerCase() === email) &&
        (filter.userId === undefined || u.user_id === filter.userId)
    )
  }, spanIfTraced("LiteLLMClient.userList"))

  // Keys

  /** The generated row, and the same as `/key/info` would show it when the answer says all of that. */
  const generate = Effect.fnUntraced(function* (key: Redacted.Redacted<string>, fields: Fields = {}) {
    const token = tokenOfKeyOrToken(Redacted.value(key))
    yield* Effect.annotateCurrentSpan({ token })
    const body = yield* post("keyGenerate", "/key/generate", { ...fields, key: Redacted.value(key) }, [key])
    // The answer repeats the raw key; keep only the row, under the token we computed.
    const { key: _raw, token_id: _id, ...answer } = yield* decode("keyGenerate", JsonObject, body)
    const row = yield* decode("keyGenerate", ObservedKey, { ...answer, token })
    return { row, asRead: asRead(answer, row) }
  }, spanIfTraced("LiteLLMClient.keyGenerate"))

  /**
   * A `/key/generate` answer as a `/key/info` read of the new key, or none when
   * it does not say everything the read would (litellm-api.md §7.1):
   * - the stored row's timestamps must be there (older builds leave them out);
   * - `budget_reset_at` never is: LiteLLM sets it only from a `budget_duration`,
   *   so it is null when that is, and unknown otherwise;
   * - the joined budget row (`litellm_budget_table`) is there in newer builds;
   *   without it, it is null when the key links no budget, and unknown otherwise.
   */
  const asRead = (answer: JsonObject, row: ObservedKey): Option.Option<ObservedKey> => {
    if (Option.isNone(Schema.decodeUnknownOption(KeyGenerateStored)(answer))) return Option.none()
    if (row.budget_duration !== undefined && row.budget_duration !== null) return Option.none()
    const budgetRowSaid = "litellm_budget_table" in answer
    if (!budgetRowSaid && row.budget_id !== undefined && row.budget_id !== null) return Option.none()
    return Option.some({
      ...row,
      budget_reset_at: null,
      litellm_budget_table: budgetRowSaid ? (row.litellm_budget_table ?? null) : null
    })
  }

  const keyGenerate = (key: Redacted.Redacted<string>, fields?: Fields) =>
    Effect.map(generate(key, fields), ({ row }) => row)

  const keyInfo = Effect.fnUntraced(function* (keyOrToken: string) {
    const token = tokenOfKeyOrToken(keyOrToken)
    yield* Effect.annotateCurrentSpan({ token })
    const body = yield* optional(get("keyInfo", "/key/info", { key: token }))
    if (Option.isNone(body)) return Option.none<ObservedKey>()
    const { info } = yield* decode("keyInfo", KeyInfoResponse, body.value)
    // `/key/info` leaves out the token; put back the one we asked for.
    return Option.some(yield* decode("keyInfo", ObservedKey, { ...info, token }))
  }, spanIfTraced("LiteLLMClient.keyInfo"))

  /**
   * Before ~1.82 an unknown key on `/key/update`, `/key/block` and `/key/unblock`
   * is a 401 "Invalid proxy server token" — the same answer as a wrong master
   * key. `/key/info` tells them apart: it answers 404 for an unknown key.
   */
  const unknownKeyOr401 = (operation: string, token: string) => (error: LiteLLMError) =>
    error.reason._tag === "Unauthorized" && /invalid proxy server token|token_not_found/i.test(error.reason.message)
      ? Effect.flatMap(keyInfo(token), (found) =>
          Option.isNone(found)
            ? Effect.fail(
                new LiteLLMError({
                  operation,
                  status: 404,
                  reason: new NotFound({ message: `key ${token} not found` })
                })
              )
            : Effect.fail(error)
        )
      : Effect.fail(error)

  const keyRow = Effect.fnUntraced(function* (operation: string, token: string, body: unknown) {
    const row = yield* decode(operation, JsonObject, body)
    const { key: _selector, ...rest } = row
    return yield* decode(operation, ObservedKey, { ...rest, token })
  })

  const keyUpdate = Effect.fnUntraced(function* (keyOrToken: string, fields: Fields) {
    const token = tokenOfKeyOrToken(keyOrToken)
    yield* Effect.annotateCurrentSpan({ token })
    const body = yield* post("keyUpdate", "/key/update", { ...fields, key: token }).pipe(
      Effect.catch(unknownKeyOr401("keyUpdate", token))
    )
    return yield* keyRow("keyUpdate", token, body)
  }, spanIfTraced("LiteLLMClient.keyUpdate"))

  const keyDelete = Effect.fnUntraced(function* (keysOrTokens: ReadonlyArray<string>) {
    const tokens = keysOrTokens.map(tokenOfKeyOrToken)
    yield* Effect.annotateCurrentSpan({ tokens: tokens.join(",") })
    yield* post("keyDelete", "/key/delete", { keys: tokens })
  }, spanIfTraced("LiteLLMClient.keyDelete"))

  const keyBlocking = (operation: "keyBlock" | "keyUnblock", path: string) =>
    Effect.fnUntraced(
      function* (keyOrToken: string) {
        const token = tokenOfKeyOrToken(keyOrToken)
        yield* Effect.annotateCurrentSpan({ token })
        const body = yield* post(operation, path, { key: token }).pipe(Effect.catch(unknownKeyOr401(operation, token)))
        return yield* keyRow(operation, token, body)
      },
      spanIfTraced(`LiteLLMClient.${operation}`)
    )

  const keyBlock = keyBlocking("keyBlock", "/key/block")
  const keyUnblock = keyBlocking("keyUnblock", "/key/unblock")

  const keyPages = (filter: KeyListFilter = {}) => {
    const params: Record<string, string> = { size: String(LIST_PAGE_SIZE), return_full_object: "true" }
    if (filter.keyAlias !== undefined) params.key_alias = filter.keyAlias
    if (filter.teamId !== undefined) params.team_id = filter.teamId
    if (filter.userId !== undefined) params.user_id = filter.userId
    return pages((page) =>
      get("keyList", "/key/list", { ...params, page: String(page) }).pipe(
        Effect.flatMap((body) => decode("keyList", KeyListResponse, body)),
        Effect.map((r) => ({ items: r.keys, totalPages: r.total_pages }))
      )
    )
  }

  const keyList = Effect.fnUntraced(function* (filter: KeyListFilter = {}) {
    const keys = yield* allPages(keyPages(filter))
    return keys.filter(
      (k) =>
        (filter.keyAlias === undefined || k.key_alias === filter.keyAlias) &&
        (filter.teamId === undefined || k.team_id === filter.teamId) &&
        (filter.userId === undefined || k.user_id === filter.userId)
    )
  }, spanIfTraced("LiteLLMClient.keyList"))

  const readiness = Effect.flatMap(get("readiness", "/health/readiness", {}), (body) =>
    decode("readiness", ReadinessResponse, body)
  ).pipe(spanIfTraced("LiteLLMClient.readiness"))

  // Plan actions

  /** A create that met "already exists" succeeded only if the object now reads back; what was read, if anything. */
  const existsOr =
    <A>(check: Result<Option.Option<A>>) =>
    (error: LiteLLMError): Result<Option.Option<A>> =>
      error.reason._tag === "AlreadyExists"
        ? Effect.flatMap(check, (found) => (Option.isSome(found) ? Effect.succeed(found) : Effect.fail(error)))
        : Effect.fail(error)

  const goneIsDone = (error: LiteLLMError): Result<void> =>
    error.reason._tag === "NotFound" ? Effect.void : Effect.fail(error)

  const nothingSaid: WriteAnswer = {}

  const execute = Effect.fnUntraced(function* (action: LiteLLMAction): Effect.fn.Return<WriteAnswer, LiteLLMError> {
    yield* Effect.annotateCurrentSpan({ action: action._tag })
    if (action._tag !== "KeyGenerate") {
      yield* write(action)
      return nothingSaid
    }
    // The new key as the answer shows it, or as the read that found a repeat did.
    const key = yield* generate(action.key, action.fields).pipe(
      Effect.map(({ asRead }) => asRead),
      Effect.catch(existsOr(keyInfo(action.token)))
    )
    return Option.match(key, { onNone: () => nothingSaid, onSome: (key): WriteAnswer => ({ key }) })
  }, spanIfTraced("LiteLLMClient.execute"))

  /** Every action but KeyGenerate: their answers are not used. */
  const write = Effect.fnUntraced(function* (
    action: Exclude<LiteLLMAction, { readonly _tag: "KeyGenerate" }>
  ): Effect.fn.Return<void, LiteLLMError> {
    switch (action._tag) {
      case "TeamCreate":
        return yield* teamNew(action.teamId, action.fields).pipe(
          Effect.asVoid,
          Effect.catch((error) => Effect.asVoid(existsOr(teamInfo(action.teamId))(error)))
        )
      case "TeamUpdate":
        return yield* Effect.asVoid(teamUpdate(action.teamId, action.fields))
      case "TeamSetMemberPermissions":
        return yield* teamPermissionsUpdate(action.teamId, action.permissions)
      case "TeamBlock":
        return yield* Effect.asVoid(teamBlock(action.teamId))
      case "TeamUnblock":
        return yield* Effect.asVoid(teamUnblock(action.teamId))
      case "TeamDelete":
        return yield* teamDelete([action.teamId]).pipe(Effect.catch(goneIsDone))
      case "UserCreate":
        return yield* userNew(action.userId, { ...action.fields, auto_create_key: false }).pipe(
          Effect.asVoid,
          Effect.catch((error) => Effect.asVoid(existsOr(userInfo(action.userId))(error)))
        )
      case "UserUpdate":
        return yield* Effect.asVoid(userUpdate(action.userId, action.fields))
      case "UserDelete":
        return yield* userDelete([action.userId]).pipe(Effect.catch(goneIsDone))
      case "MemberAdd":
        // "User already in team" is the answer to a repeat: the member is there.
        return yield* teamMemberAdd(memberOf(action)).pipe(
          Effect.catchReason("LiteLLMError", "AlreadyExists", () => Effect.void)
        )
      case "MemberUpdate":
        return yield* teamMemberUpdate(memberOf(action))
      case "MemberRemove":
        // Not a member, or no such team: either way the member is gone.
        return yield* teamMemberDelete(action.teamId, action.userId).pipe(Effect.catch(goneIsDone))
      case "KeyUpdate":
        return yield* Effect.asVoid(keyUpdate(action.token, action.fields))
      case "KeyBlock":
        return yield* Effect.asVoid(keyBlock(action.token))
      case "KeyUnblock":
        return yield* Effect.asVoid(keyUnblock(action.token))
      case "KeyDelete":
        return yield* keyDelete([action.token]).pipe(Effect.catch(goneIsDone))
    }
  })

  return LiteLLMClient.of({
    teamNew,
    teamInfo,
    teamUpdate,
    teamDelete,
    teamBlock,
    teamUnblock,
    teamMemberAdd,
    teamMemberUpdate,
    teamMemberDelete,
    teamPermissionsUpdate,
    teamList,
    teamListWithMemberships,
    userNew,
    userInfo,
    userUpdate,
    userDelete,
    userList,
    userPages,
    keyGenerate,
    keyInfo,
    keyUpdate,
    keyDelete,
    keyBlock,
    keyUnblock,
    keyList,
    keyPages,
    readiness,
    execute
  })
})

const memberOf = (action: {
  readonly teamId: string
  readonly userId: string
  readonly role: MemberRole
  readonly maxBudgetInTeam?: number
}): MemberInput => ({
  teamId: action.teamId,
  userId: action.userId,
  role: action.role,
  ...(action.maxBudgetInTeam === undefined ? {} : { maxBudgetInTeam: action.maxBudgetInTeam })
})
