/**
 * Shared test wiring: a simulator on 127.0.0.1, a client pointed at it, and a
 * raw HTTP helper for asserting on the simulator's wire answers.
 */

import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer, Option, Redacted, Schema } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import { LiteLLMClient, type LiteLLMConnection } from "../../src/LiteLLMClient.ts"
import { type Profile, Simulator } from "../../src/simulator/Simulator.ts"

export const MASTER_KEY = "sk-master-Zq8vX3kP0wLr7TnY"
export const masterKey = Redacted.make(MASTER_KEY)

/** Fast retries so tests do not wait on production backoff. */
export const fastRetry = { times: 3, base: "5 millis", cap: "20 millis" } as const

export const simulatorLayer = (options: { seed?: number; profile?: Partial<Profile> } = {}) =>
  Simulator.layer({ masterKey, seed: options.seed ?? 42, ...(options.profile ? { profile: options.profile } : {}) })

/** A client for the simulator in context. */
export const clientLayer = (connection: Partial<LiteLLMConnection> = {}) =>
  Layer.effect(
    LiteLLMClient,
    Effect.gen(function* () {
      const sim = yield* Simulator
      return yield* LiteLLMClient.make({
        url: sim.url,
        masterKey,
        timeout: "2 seconds",
        retry: fastRetry,
        ...connection
      })
    })
  ).pipe(Layer.provide(NodeHttpClient.dispatcherLayerGlobal))

/** Simulator plus client, both in context. */
export const simulatedClient = (
  options: { seed?: number; profile?: Partial<Profile> } = {},
  connection: Partial<LiteLLMConnection> = {}
) => clientLayer(connection).pipe(Layer.provideMerge(simulatorLayer(options)))

export interface WireAnswer {
  readonly status: number
  readonly body: unknown
  readonly text: string
  readonly headers: Readonly<Record<string, string>>
}

const decodeJson = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Unknown))

/** One raw request to the simulator; `auth: false` sends no key, a string sends that Authorization header. */
export const wire = Effect.fnUntraced(
  function* (
    method: "GET" | "POST",
    path: string,
    options: { body?: unknown; query?: Record<string, string>; auth?: string | false } = {}
  ) {
    const sim = yield* Simulator
    const http = yield* HttpClient.HttpClient
    let request =
      method === "GET" ? HttpClientRequest.get(`${sim.url}${path}`) : HttpClientRequest.post(`${sim.url}${path}`)
    if (options.query !== undefined) request = HttpClientRequest.setUrlParams(request, options.query)
    if (options.body !== undefined) request = HttpClientRequest.bodyJsonUnsafe(request, options.body)
    if (options.auth !== false)
      request = HttpClientRequest.setHeader(request, "authorization", options.auth ?? `Bearer ${MASTER_KEY}`)
    const response = yield* http.execute(request)
    const text = yield* response.text
    return {
      status: response.status,
      body: Option.getOrNull(decodeJson(text)),
      text,
      headers: response.headers
    } satisfies WireAnswer
  },
  Effect.provide(FetchHttpClient.layer),
  Effect.orDie
)

/** Reads a nested field of an untyped JSON answer by path, for assertions. */
export const at = (value: unknown, ...path: ReadonlyArray<string | number>): unknown => {
  let current = value
  for (const step of path) {
    if (typeof current !== "object" || current === null) return undefined
    current = Reflect.get(current, step)
  }
  return current
}

let counter = 0
/** A name unique to this run, so the contract suite can share a real LiteLLM. */
export const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`
