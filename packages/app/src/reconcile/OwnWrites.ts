/**
 * The object versions the operator wrote itself (its finalizer, its status,
 * its adoption annotation), and when each object last reconciled in full. A
 * watch event carrying such a version brings nothing the reconcile that wrote
 * it did not already act on, so it does not wake the object again: a new
 * object costs one reconcile, not three. Exact rather than a predicate on
 * fields: any other change makes a version the operator did not write, and
 * wakes the object as usual.
 *
 * The event of a write can arrive before its response (and so before the
 * version is known here); the reconcile it wakes then finds the cached object
 * at a version this operator wrote moments ago, and ends at once. Resyncs come
 * a resync period after the last reconcile, so they are never taken for that.
 */
import { Context, Effect, Layer } from "effect"

/** The last versions kept per object: a reconcile writes at most a finalizer, an annotation and a status. */
const KEPT = 3

interface Written {
  readonly versions: ReadonlyArray<string>
  /** Epoch millis of the last reconcile that ended with nothing left to do. */
  readonly reconciledAt: number | undefined
}

export class OwnWrites extends Context.Service<
  OwnWrites,
  {
    record(objectKey: string, resourceVersion: string): Effect.Effect<void>
    /** Whether this version of the object is one the operator wrote itself. */
    isOwn(objectKey: string, resourceVersion: string): Effect.Effect<boolean>
    /** The object reconciled in full at `atMillis`. */
    reconciled(objectKey: string, atMillis: number): Effect.Effect<void>
    /** The version is the operator's own and the object reconciled in full less than `withinMillis` ago. */
    settled(objectKey: string, resourceVersion: string, nowMillis: number, withinMillis: number): Effect.Effect<boolean>
    /** Something the object depends on changed: its next reconcile runs in full. */
    unsettle(objectKey: string): Effect.Effect<void>
    forget(objectKey: string): Effect.Effect<void>
  }
>()("litellm-operator/app/reconcile/OwnWrites") {
  static readonly make = Effect.sync(() => {
    const written = new Map<string, Written>()
    return OwnWrites.of({
      record: (objectKey, resourceVersion) =>
        Effect.sync(() => {
          const entry = written.get(objectKey)
          written.set(objectKey, {
            versions: [resourceVersion, ...(entry?.versions ?? [])].slice(0, KEPT),
            reconciledAt: entry?.reconciledAt
          })
        }),
      isOwn: (objectKey, resourceVersion) =>
        Effect.sync(() => written.get(objectKey)?.versions.includes(resourceVersion) === true),
      reconciled: (objectKey, atMillis) =>
        Effect.sync(() => {
          written.set(objectKey, { versions: written.get(objectKey)?.versions ?? [], reconciledAt: atMillis })
        }),
      settled: (objectKey, resourceVersion, nowMillis, withinMillis) =>
        Effect.sync(() => {
          const entry = written.get(objectKey)
          return (
            entry !== undefined &&
            entry.reconciledAt !== undefined &&
            nowMillis - entry.reconciledAt < withinMillis &&
            entry.versions.includes(resourceVersion)
          )
        }),
      unsettle: (objectKey) =>
        Effect.sync(() => {
          const entry = written.get(objectKey)
          if (entry !== undefined) written.set(objectKey, { versions: entry.versions, reconciledAt: undefined })
        }),
      forget: (objectKey) =>
        Effect.sync(() => {
          written.delete(objectKey)
        })
    })
  })

  static readonly layer = Layer.effect(OwnWrites, OwnWrites.make)
}
