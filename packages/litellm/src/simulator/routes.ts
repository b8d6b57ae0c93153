/**
 * The simulated LiteLLM routes: method and path to handler, and which routes
 * need no key (litellm-api.md §1).
 */
import type { SimResponse } from "./Envelopes.ts"
import { liveliness, readiness } from "./health.ts"
import { keyBlock, keyDelete, keyGenerate, keyInfo, keyList, keyUpdate } from "./keys.ts"
import type { Ctx } from "./State.ts"
import {
  memberAdd,
  memberDelete,
  memberUpdate,
  permissionsUpdate,
  teamBlock,
  teamDelete,
  teamInfo,
  teamListLegacy,
  teamListV2,
  teamNew,
  teamUpdate
} from "./teams.ts"
import { userDelete, userInfo, userList, userNew, userUpdate } from "./users.ts"

export interface Route {
  readonly method: "GET" | "POST"
  readonly handle: (ctx: Ctx, query: URLSearchParams, body: unknown) => SimResponse
  readonly public?: boolean
}

const get = (handle: (ctx: Ctx, query: URLSearchParams) => SimResponse, isPublic = false): Route => ({
  method: "GET",
  handle: (ctx, query) => handle(ctx, query),
  public: isPublic
})

const post = (handle: (ctx: Ctx, body: unknown) => SimResponse): Route => ({
  method: "POST",
  handle: (ctx, _query, body) => handle(ctx, body)
})

export const routes: ReadonlyMap<string, Route> = new Map<string, Route>([
  ["/team/new", post(teamNew)],
  ["/team/update", post(teamUpdate)],
  ["/team/info", get(teamInfo)],
  ["/team/list", get(teamListLegacy)],
  ["/v2/team/list", get(teamListV2)],
  ["/team/delete", post(teamDelete)],
  ["/team/block", post((ctx, body) => teamBlock(ctx, body, true))],
  ["/team/unblock", post((ctx, body) => teamBlock(ctx, body, false))],
  ["/team/member_add", post(memberAdd)],
  ["/team/member_update", post(memberUpdate)],
  ["/team/member_delete", post(memberDelete)],
  ["/team/permissions_update", post(permissionsUpdate)],
  ["/user/new", post(userNew)],
  ["/user/update", post(userUpdate)],
  ["/user/info", get(userInfo)],
  ["/user/list", get(userList)],
  ["/user/delete", post(userDelete)],
  ["/key/generate", post(keyGenerate)],
  ["/key/update", post(keyUpdate)],
  ["/key/info", get(keyInfo)],
  ["/key/list", get(keyList)],
  ["/key/delete", post(keyDelete)],
  ["/key/block", post((ctx, body) => keyBlock(ctx, body, true))],
  ["/key/unblock", post((ctx, body) => keyBlock(ctx, body, false))],
  ["/health/liveliness", get(liveliness, true)],
  ["/health/liveness", get(liveliness, true)],
  ["/health/readiness", get(readiness, true)]
])
