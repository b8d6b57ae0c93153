/**
 * The simulated LiteLLM routes: method and path to handler, and which routes
 * need no key (litellm-api.md §1).
 */
import { chatCompletions, models } from "./dataPlane.ts"
import type { SimResponse } from "./Envelopes.ts"
import { liveliness, readiness } from "./health.ts"
import { keyBlock, keyDelete, keyGenerate, keyInfo, keyList, keyRegenerate, keyUpdate } from "./keys.ts"
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

/**
 * Who may call a route: anyone (`public`), only an admin credential (`admin`,
 * the default), any valid key with the auth layer's own-object checks
 * (`info`), or any valid key (`llm`, the data plane).
 */
export type Access = "public" | "admin" | "info" | "llm"

export interface Route {
  readonly method: "GET" | "POST"
  readonly handle: (ctx: Ctx, query: URLSearchParams, body: unknown) => SimResponse
  readonly access: Access
}

const get = (handle: (ctx: Ctx, query: URLSearchParams) => SimResponse, access: Access = "admin"): Route => ({
  method: "GET",
  handle: (ctx, query) => handle(ctx, query),
  access
})

const post = (handle: (ctx: Ctx, body: unknown) => SimResponse, access: Access = "admin"): Route => ({
  method: "POST",
  handle: (ctx, _query, body) => handle(ctx, body),
  access
})

export const routes: ReadonlyMap<string, Route> = new Map<string, Route>([
  ["/team/new", post(teamNew)],
  ["/team/update", post(teamUpdate)],
  ["/team/info", get(teamInfo, "info")],
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
  ["/user/info", get(userInfo, "info")],
  ["/user/list", get(userList)],
  ["/user/delete", post(userDelete)],
  ["/key/generate", post(keyGenerate)],
  ["/key/update", post(keyUpdate)],
  ["/key/info", get(keyInfo, "info")],
  ["/key/list", get(keyList)],
  ["/key/delete", post(keyDelete)],
  ["/key/block", post((ctx, body) => keyBlock(ctx, body, true))],
  ["/key/unblock", post((ctx, body) => keyBlock(ctx, body, false))],
  ["/key/regenerate", post((ctx, body) => keyRegenerate(ctx, body, undefined))],
  ["/health/liveliness", get(liveliness, "public")],
  ["/health/liveness", get(liveliness, "public")],
  ["/health/readiness", get(readiness, "public")],
  ["/models", get(models, "llm")],
  ["/v1/models", get(models, "llm")],
  ["/chat/completions", post(chatCompletions, "llm")],
  ["/v1/chat/completions", post(chatCompletions, "llm")]
])

/** `/key/{key}/regenerate`: the key is in the path (and may contain `/`). */
export const pathRoute = (path: string): Route | undefined => {
  const match = /^\/key\/(.+)\/regenerate$/.exec(path)
  const key = match?.[1]
  return key === undefined ? undefined : post((ctx, body) => keyRegenerate(ctx, body, decodeURIComponent(key)))
}
