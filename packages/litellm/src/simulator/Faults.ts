/**
 * Faults the simulator can inject, set at runtime through the typed API or
 * `POST /__sim/faults`: added latency, 5xx errors, 429 with `retry-after`,
 * requests that never get an answer, and dropped connections. Rules match an
 * endpoint path (or every endpoint), fire with a probability (seeded dice),
 * and optionally only a number of times.
 */
import { Schema } from "effect"
import type { Rng } from "./Random.ts"

export const FaultRule = Schema.Struct({
  /** A path such as `/team/new`; absent matches every LiteLLM endpoint (not `/__sim/*`). */
  endpoint: Schema.optionalKey(Schema.String),
  kind: Schema.Literals(["latency", "error", "rateLimit", "hang", "drop"]),
  /** Probability in [0, 1]; default 1. */
  rate: Schema.optionalKey(Schema.Finite),
  /** Fire at most this many times, then stay quiet. */
  times: Schema.optionalKey(Schema.Int),
  /** `error`: the status, default 503. */
  status: Schema.optionalKey(Schema.Int),
  /** `rateLimit`: the `retry-after` header in seconds, default 1. */
  retryAfterSeconds: Schema.optionalKey(Schema.Finite),
  /** `latency`: delay before the request is handled. */
  latencyMs: Schema.optionalKey(Schema.Finite)
})
export type FaultRule = typeof FaultRule.Type

export const FaultsBody = Schema.Struct({ rules: Schema.Array(FaultRule) })

export type FaultOutcome =
  | { readonly _tag: "None" }
  | { readonly _tag: "Error"; readonly status: number }
  | { readonly _tag: "RateLimit"; readonly retryAfterSeconds: number }
  | { readonly _tag: "Hang" }
  | { readonly _tag: "Drop" }

export interface FaultDecision {
  readonly delayMs: number
  readonly outcome: FaultOutcome
}

/** Installed rules with how often each may still fire. */
export class Faults {
  private rules: Array<{ rule: FaultRule; remaining: number }> = []

  set(rules: ReadonlyArray<FaultRule>): void {
    this.rules = rules.map((rule) => ({ rule, remaining: rule.times ?? Number.POSITIVE_INFINITY }))
  }

  get current(): ReadonlyArray<FaultRule> {
    return this.rules.map((r) => r.rule)
  }

  /** Rolls every matching rule once: latencies add up, the first terminal fault that fires wins. */
  decide(path: string, rng: Rng): FaultDecision {
    let delayMs = 0
    let outcome: FaultOutcome = { _tag: "None" }
    for (const entry of this.rules) {
      const { rule } = entry
      if (rule.endpoint !== undefined && rule.endpoint !== path) continue
      if (entry.remaining <= 0) continue
      if (rule.kind !== "latency" && outcome._tag !== "None") continue
      if (rng.next() >= (rule.rate ?? 1)) continue
      entry.remaining--
      switch (rule.kind) {
        case "latency":
          delayMs += rule.latencyMs ?? 0
          break
        case "error":
          outcome = { _tag: "Error", status: rule.status ?? 503 }
          break
        case "rateLimit":
          outcome = { _tag: "RateLimit", retryAfterSeconds: rule.retryAfterSeconds ?? 1 }
          break
        case "hang":
          outcome = { _tag: "Hang" }
          break
        case "drop":
          outcome = { _tag: "Drop" }
          break
      }
    }
    return { delayMs, outcome }
  }
}
