/**
 * Records Kubernetes Events (events.k8s.io/v1) about the operator's objects.
 *
 * Best effort: recording never fails the caller, and an API call that takes
 * longer than a short timeout (the transport's, for this request) is given up;
 * a failure is logged and dropped.
 * Repeats of the same event (same object, type, reason, action and note)
 * within the aggregation window update one Event's `series` (count, last
 * observed time) instead of creating more.
 *
 * Writes of the same event are serialised (so repeats aggregate instead of
 * racing to create two); writes of different events run at the same time, up
 * to `concurrency` API calls at once, so one slow write does not hold up the
 * Events of every other object.
 */
import { createHash } from "node:crypto"
import { spanIfTraced } from "@litellm-operator/core"
import { Context, Duration, Effect, Layer, Random, Schema, Semaphore } from "effect"
import { Events } from "../api/Event.ts"
import { microTime } from "../api/MicroTime.ts"
import { KubeClient } from "../client/KubeClient.ts"

/** The object an event is about. */
export const EventSubject = Schema.Struct({
  apiVersion: Schema.NonEmptyString,
  kind: Schema.NonEmptyString,
  metadata: Schema.Struct({
    name: Schema.NonEmptyString,
    namespace: Schema.NonEmptyString,
    uid: Schema.NonEmptyString,
    resourceVersion: Schema.optionalKey(Schema.String)
  })
})
export type EventSubject = typeof EventSubject.Type

export const EventInput = Schema.Struct({
  regarding: EventSubject,
  type: Schema.Literals(["Normal", "Warning"]),
  /** CamelCase, e.g. `Reconciled`, `LiteLLMError`. */
  reason: Schema.NonEmptyString.check(Schema.isMaxLength(128)),
  /** What the operator did or failed to do, e.g. `CreateTeam`. */
  action: Schema.NonEmptyString.check(Schema.isMaxLength(128)),
  /** Human-readable; cut to the API's 1024 characters. */
  note: Schema.String
})
export type EventInput = typeof EventInput.Type

export interface EventRecorderOptions {
  /** This replica, e.g. the pod name. */
  readonly reportingInstance: string
  /** Default `litellm-operator`. */
  readonly reportingController?: string
  /** Repeats within this window are aggregated into one Event. Default 10 minutes. */
  readonly aggregationWindow?: Duration.Input
  /** Per API call (the answer's headers, then each piece of its body). Default 5 seconds. */
  readonly timeout?: Duration.Input
  /** API calls in flight at once. Default 4. */
  readonly concurrency?: number
}

interface Recorded {
  readonly namespace: string
  readonly name: string
  readonly count: number
  readonly lastSeen: number
}

const MAX_NOTE = 1024
const MAX_NAME = 253

export class EventRecorder extends Context.Service<
  EventRecorder,
  {
    /** Never fails. */
    record(event: EventInput): Effect.Effect<void>
    normal(regarding: EventSubject, reason: string, action: string, note: string): Effect.Effect<void>
    warning(regarding: EventSubject, reason: string, action: string, note: string): Effect.Effect<void>
  }
>()("litellm-operator/k8s/EventRecorder") {
  static readonly layer = (options: EventRecorderOptions) =>
    Layer.effect(
      EventRecorder,
      Effect.gen(function* () {
        return yield* make(yield* KubeClient, options)
      })
    )
}

const make = Effect.fnUntraced(function* (client: KubeClient["Service"], options: EventRecorderOptions) {
  // Read in place for every Event.
  const clock = yield* Effect.clockWith(Effect.succeed)
  const controller = options.reportingController ?? "litellm-operator"
  const window = Duration.toMillis(Duration.fromInputUnsafe(options.aggregationWindow ?? Duration.minutes(10)))
  const timeout = Duration.fromInputUnsafe(options.timeout ?? Duration.seconds(5))
  // Ordered by last write (an entry is moved to the end when written), so expired ones are at the front.
  const recent = new Map<string, Recorded>()
  const inFlight = yield* Semaphore.make(Math.max(1, options.concurrency ?? 4))
  // One lock per event being written, removed when its last waiter is done.
  const locks = new Map<string, { readonly lock: Semaphore.Semaphore; users: number }>()
  const withKeyLock = <A, E, R>(key: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        const entry = locks.get(key) ?? { lock: Semaphore.makeUnsafe(1), users: 0 }
        entry.users++
        locks.set(key, entry)
        return entry
      }),
      (entry) => entry.lock.withPermit(effect),
      (entry) =>
        Effect.sync(() => {
          entry.users--
          if (entry.users === 0) locks.delete(key)
        })
    )
  const remember = (key: string, recorded: Recorded) => {
    recent.delete(key)
    recent.set(key, recorded)
  }
  const expire = (now: number) => {
    for (const [k, r] of recent) {
      if (now - r.lastSeen <= window) break
      recent.delete(k)
    }
  }

  // A digest of what makes two events the same (43 characters, where the text itself took about 150): one is
  // kept per object for the aggregation window, thousands of them after a start-up pass.
  const keyOf = (event: EventInput) =>
    createHash("sha256")
      .update(
        JSON.stringify([
          event.regarding.metadata.uid,
          event.type,
          event.reason,
          event.action,
          event.note.slice(0, MAX_NOTE)
        ])
      )
      .digest("base64url")

  const create = Effect.fnUntraced(function* (event: EventInput, now: number) {
    const suffix = (yield* Random.nextIntBetween(0, 0x7fffffff)).toString(16)
    const base = `${event.regarding.metadata.name}.${now.toString(16)}${suffix}`
    const { regarding } = event
    const created = yield* client.create(
      Events,
      {
        metadata: { namespace: regarding.metadata.namespace, name: base.slice(0, MAX_NAME) },
        eventTime: microTime(now),
        reportingController: controller,
        reportingInstance: options.reportingInstance,
        action: event.action,
        reason: event.reason,
        note: event.note.slice(0, MAX_NOTE),
        type: event.type,
        regarding: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          name: regarding.metadata.name,
          namespace: regarding.metadata.namespace,
          uid: regarding.metadata.uid,
          ...(regarding.metadata.resourceVersion === undefined
            ? {}
            : { resourceVersion: regarding.metadata.resourceVersion })
        }
      },
      { timeout }
    )
    // The namespace string the object already holds, not one more copy per Event.
    return { namespace: regarding.metadata.namespace, name: created.metadata.name, count: 1, lastSeen: now }
  })

  const write = Effect.fnUntraced(function* (event: EventInput, key: string) {
    const now = clock.currentTimeMillisUnsafe()
    expire(now)
    const previous = recent.get(key)
    if (previous !== undefined) {
      const count = previous.count + 1
      const patched = yield* client
        .mergePatch(
          Events,
          { namespace: previous.namespace, name: previous.name },
          { series: { count, lastObservedTime: microTime(now) } },
          { timeout }
        )
        .pipe(
          Effect.as(true),
          // Expired (events have a TTL) or deleted: start a new one.
          Effect.catchReason("KubeError", "NotFound", () => Effect.succeed(false))
        )
      if (patched) {
        remember(key, { ...previous, count, lastSeen: now })
        return
      }
    }
    remember(key, yield* create(event, now))
  })

  const record = Effect.fnUntraced(
    function* (input: EventInput) {
      const event = yield* Schema.decodeUnknownEffect(EventInput)(input)
      const key = keyOf(event)
      yield* withKeyLock(key, inFlight.withPermit(write(event, key)))
    },
    Effect.catchCause((cause) => Effect.logWarning("an event could not be recorded", cause)),
    spanIfTraced("EventRecorder.record")
  )

  const as =
    (type: EventInput["type"]) =>
    (regarding: EventSubject, reason: string, action: string, note: string): Effect.Effect<void> =>
      record({ regarding, type, reason, action, note })

  return EventRecorder.of({ record, normal: as("Normal"), warning: as("Warning") })
})
