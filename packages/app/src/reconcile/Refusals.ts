/**
 * Objects that LiteLLM (or the ownership rule) refused in a way that trying
 * again cannot change: they are not tried again until their spec changes
 * (a new generation), their connection changes (URL, credential or policy),
 * or the retry period passes. Kept in memory: after a restart each is tried
 * once more, which is the point of a long period rather than never.
 */
import { Clock, Context, Duration, Effect, Layer, Option } from "effect"

interface Hold {
  readonly generation: number
  readonly connection: string
  readonly until: number
}

export class Refusals extends Context.Service<
  Refusals,
  {
    /** How long the object is still held; none when it may be reconciled now. */
    held(objectKey: string, generation: number, connection: string): Effect.Effect<Option.Option<Duration.Duration>>
    hold(objectKey: string, generation: number, connection: string, period: Duration.Duration): Effect.Effect<void>
    release(objectKey: string): Effect.Effect<void>
  }
>()("litellm-operator/app/reconcile/Refusals") {
  static readonly make = Effect.sync(() => {
    const holds = new Map<string, Hold>()
    return Refusals.of({
      held: (objectKey, generation, connection) =>
        // Nearly every object holds nothing: that answer needs no clock (looked up when run, not when made).
        Effect.suspend(() =>
          holds.has(objectKey)
            ? Effect.map(Clock.currentTimeMillis, (now) => {
                const hold = holds.get(objectKey)
                if (hold === undefined) return Option.none()
                if (hold.generation !== generation || hold.connection !== connection || hold.until <= now) {
                  holds.delete(objectKey)
                  return Option.none()
                }
                return Option.some(Duration.millis(hold.until - now))
              })
            : Effect.succeedNone
        ),
      hold: (objectKey, generation, connection, period) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          holds.set(objectKey, { generation, connection, until: now + Duration.toMillis(period) })
        }),
      release: (objectKey) =>
        Effect.sync(() => {
          holds.delete(objectKey)
        })
    })
  })

  static readonly layer = Layer.effect(Refusals, Refusals.make)
}
