/**
 * The LiteLLM adapter: a typed, resilient client for LiteLLM's admin API.
 * The simulator of that API (tests, local runs, benches) has its own entry
 * point, `@litellm-operator/litellm/simulator`, which nothing here imports, so
 * the production bundle never holds it (packages/app/bin/bundle.ts checks).
 */
export * from "./ClientMetrics.ts"
export * from "./ErrorEnvelope.ts"
export * from "./LiteLLMClient.ts"
export * from "./LiteLLMError.ts"
export * from "./Responses.ts"
export * from "./RetryPolicy.ts"
export * from "./Secrets.ts"
