/**
 * What `/readyz` reports: ready once every informer has synced and the
 * leadership state is known (leading, or standing by as a follower).
 */
import { Context, Effect, HashSet, Layer, Ref } from "effect"

export interface ReadinessState {
  readonly ready: boolean
  /** Why not, for the probe's body. */
  readonly waitingFor: ReadonlyArray<string>
}

export class Readiness extends Context.Service<
  Readiness,
  {
    /** Registers something that must report before the operator is ready (an informer, leader election). */
    expect(component: string): Effect.Effect<void>
    /** The component is ready. */
    ready(component: string): Effect.Effect<void>
    /** The component is no longer ready (a lost watch, lost leadership). */
    unready(component: string): Effect.Effect<void>
    readonly state: Effect.Effect<ReadinessState>
  }
>()("litellm-operator/app/observability/Readiness") {
  static readonly make = Effect.gen(function* () {
    const waiting = yield* Ref.make(HashSet.empty<string>())
    const known = yield* Ref.make(HashSet.empty<string>())
    return Readiness.of({
      expect: (component) =>
        Effect.andThen(Ref.update(known, HashSet.add(component)), Ref.update(waiting, HashSet.add(component))),
      ready: (component) => Ref.update(waiting, HashSet.remove(component)),
      unready: (component) => Ref.update(waiting, HashSet.add(component)),
      state: Effect.gen(function* () {
        const pending = [...(yield* Ref.get(waiting))].sort()
        const registered = HashSet.size(yield* Ref.get(known))
        return { ready: registered > 0 && pending.length === 0, waitingFor: pending }
      })
    })
  })

  static readonly layer = Layer.effect(Readiness, Readiness.make)
}
