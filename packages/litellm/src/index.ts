/**
 * The LiteLLM adapter: a typed, resilient client for LiteLLM's admin API, and
 * a simulator of that API for tests and local runs (node only: it opens a socket).
 */
export * from "./ClientMetrics.ts"
export * from "./ErrorEnvelope.ts"
export * from "./LiteLLMClient.ts"
export * from "./LiteLLMError.ts"
export * from "./Responses.ts"
export * from "./RetryPolicy.ts"
export * from "./Secrets.ts"
export {
  type CallCounts,
  type FaultRule,
  latestProfile,
  legacyProfile,
  type Profile,
  Simulator,
  SimulatorError,
  type SimulatorOptions,
  type Snapshot
} from "./Simulator.ts"
