/**
 * A test kit for property suites that run plans: a pure model of LiteLLM's
 * admin state to apply them to. The arbitraries that generate specs and
 * observed objects are `@litellm-operator/core/arbitraries`.
 */
export * from "./LiteLLMModel.ts"
