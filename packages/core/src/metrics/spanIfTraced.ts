/**
 * An effect in a span of its own, when traces are kept; with traces off, the
 * effect alone. A span that records nothing (what `Effect.fn(name)` and
 * `Effect.withSpan` make with traces off) still costs a dozen runtime steps
 * and a captured stack per call, and the operator makes some ten per
 * reconcile. Used as `Effect.fnUntraced`'s pipeable or in `pipe`.
 */
import type { Tracer } from "effect"
import { Effect, References } from "effect"

export const spanIfTraced =
  (name: string, options?: Tracer.SpanOptions) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withFiber((fiber) => (fiber.getRef(References.TracerEnabled) ? Effect.withSpan(self, name, options) : self))
