/**
 * The stress tests' own support: the size switch, and the whole operator run
 * in-process with settings of the test's choice. Everything about
 * populations lives in population.ts (shared with the benchmarks).
 */
import type { Duration } from "effect"
import { Effect, Layer, Logger, References } from "effect"
import type { OperatorOptions } from "../../src/Operator.ts"
import { runOperator } from "../../src/Operator.ts"
import { LiteLLMConnections } from "../../src/reconcile/LiteLLMConnections.ts"
import { operatorOptions } from "./operatorHarness.ts"

export * from "./population.ts"

/** `LITELLM_OPERATOR_STRESS=long` runs the full-size versions (more objects, more seeds); the default is small and fast. */
export const longMode = process.env.LITELLM_OPERATOR_STRESS === "long"

/** Warnings and errors the in-process operators logged, as JSON lines. */
export const operatorLogs: Array<string> = []

/**
 * Starts the whole operator in-process for `namespace` with the given options
 * and LiteLLM call timeout, logging at Warn into `operatorLogs`; it stops with
 * the scope or when its fiber (which must never end on its own) is interrupted.
 */
export const startInProcess = (
  namespace: string,
  overrides: Partial<OperatorOptions> = {},
  options: { readonly litellmTimeout?: Duration.Input } = {}
) =>
  Effect.forkScoped(
    // A scope of its own: interrupting the fiber stops the informers and controllers too.
    Effect.scoped(Effect.andThen(runOperator(operatorOptions(namespace, overrides)), Effect.never)).pipe(
      Effect.provide(
        Layer.fresh(
          LiteLLMConnections.layerWith(options.litellmTimeout === undefined ? {} : { timeout: options.litellmTimeout })
        )
      ),
      Effect.provide(Logger.layer([Logger.map(Logger.formatJson, (line) => void operatorLogs.push(line))])),
      Effect.provideService(References.MinimumLogLevel, "Warn")
    )
  )
