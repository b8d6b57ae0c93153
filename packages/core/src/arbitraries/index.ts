/**
 * fast-check arbitraries for every spec and observed LiteLLM object, for
 * property tests in this repository and in projects that embed the core.
 */
export * from "./observed.ts"
export * from "./primitives.ts"
export * from "./specs.ts"
