/**
 * List-based observation: one kind's objects in a LiteLLM instance read as a
 * whole list (a page read covers up to 100 objects) instead of one read per
 * object, so a resync wave costs a few pages rather than a read per object.
 *
 * A snapshot answers a read only when that answer cannot be older than what
 * the operator itself did: it is fresh (younger than `maxAge`), the object
 * was not written since the list began, and the object is in it. Absence is
 * never trusted (the object is read by id), so a list that missed an object
 * costs a read, never a duplicate. A list is taken only when the reads it
 * replaces outnumber the pages it costs: reads by id seen while there was no
 * fresh list, or the reads the last list answered.
 *
 * Pure: times are epoch milliseconds given by the caller.
 */
import { HashMap, HashSet, Option } from "effect"

export interface ListSnapshot<A> {
  /** When the list began; anything written after it may be missing or stale. */
  readonly takenAt: number
  readonly byId: ReadonlyMap<string, A>
}

export interface ListObservationState<A> {
  readonly snapshot: ListSnapshot<A> | undefined
  /** When a write to each object last began or ended (persistent: a write is O(log n), not a copy). */
  readonly writtenAt: HashMap.HashMap<string, number>
  /** Objects read one by one while there was no fresh snapshot. */
  readonly demand: HashSet.HashSet<string>
  /** A list that began before this may be wrong in ways no id says (a cascade): it is not used. */
  readonly invalidatedAt: number
  /** The list calls the last list took: what the next one will probably cost. */
  readonly lastPages: number
  /** Reads the last list answered: a list that paid for itself is taken again as soon as it is stale. */
  readonly served: number
}

export interface ListObservationSettings {
  /** How old a snapshot may be to answer a read. */
  readonly maxAge: number
  /** Reads by id to see (with no fresh snapshot) before a list is worth its pages. */
  readonly minDemand: number
}

export type ReadDecision<A> =
  | { readonly _tag: "FromSnapshot"; readonly value: A }
  | { readonly _tag: "ReadOne" }
  /**
   * Take a list. `worthWaiting`: the last list answered enough reads that a
   * read finding this one under way should wait for it (a steady resync
   * wave); otherwise it reads by id (a start-up pass, where most objects are
   * being written anyway).
   */
  | { readonly _tag: "Refresh"; readonly worthWaiting: boolean }

export const emptyListObservation = <A>(): ListObservationState<A> => ({
  snapshot: undefined,
  writtenAt: HashMap.empty(),
  demand: HashSet.empty(),
  invalidatedAt: Number.NEGATIVE_INFINITY,
  lastPages: 1,
  served: 0
})

export const isFresh = <A>(state: ListObservationState<A>, now: number, settings: ListObservationSettings): boolean =>
  state.snapshot !== undefined && now - state.snapshot.takenAt < settings.maxAge

/** When the snapshot stops answering reads (none held: undefined); the caller lets it go then (`expireSnapshot`). */
export const staleAt = <A>(state: ListObservationState<A>, settings: ListObservationSettings): number | undefined =>
  state.snapshot === undefined ? undefined : state.snapshot.takenAt + settings.maxAge

/**
 * Lets go of a snapshot that is stale at `now`, so its rows do not stay in
 * memory until the next read (a resync period away): nothing else changes,
 * and no read is answered differently, since a stale snapshot answers none.
 */
export const expireSnapshot = <A>(
  state: ListObservationState<A>,
  now: number,
  settings: ListObservationSettings
): ListObservationState<A> =>
  state.snapshot === undefined || isFresh(state, now, settings) ? state : { ...state, snapshot: undefined }

/** How to answer a read of `id` at `now`. */
export const decideRead = <A>(
  state: ListObservationState<A>,
  id: string,
  now: number,
  settings: ListObservationSettings
): ReadDecision<A> => {
  const snapshot = state.snapshot
  if (snapshot !== undefined && isFresh(state, now, settings)) {
    const written = Option.getOrUndefined(HashMap.get(state.writtenAt, id))
    const value = snapshot.byId.get(id)
    return (written === undefined || written < snapshot.takenAt) && value !== undefined
      ? { _tag: "FromSnapshot", value }
      : { _tag: "ReadOne" }
  }
  const worth = Math.max(settings.minDemand, state.lastPages)
  const demand = HashSet.size(state.demand) + (HashSet.has(state.demand, id) ? 0 : 1)
  if (state.served >= worth) return { _tag: "Refresh", worthWaiting: true }
  return demand >= worth ? { _tag: "Refresh", worthWaiting: false } : { _tag: "ReadOne" }
}

/** The snapshot answered a read. */
export const recordServed = <A>(state: ListObservationState<A>): ListObservationState<A> => ({
  ...state,
  served: state.served + 1
})

/** A read by id was made while no fresh snapshot could answer it; a stale snapshot is let go (memory). */
export const recordReadOne = <A>(
  state: ListObservationState<A>,
  id: string,
  now: number,
  settings: ListObservationSettings
): ListObservationState<A> =>
  isFresh(state, now, settings)
    ? state
    : {
        ...state,
        snapshot: undefined,
        demand: HashSet.add(state.demand, id)
      }

/** A write to `id` began or ended at `now`. */
export const recordWrite = <A>(state: ListObservationState<A>, id: string, now: number): ListObservationState<A> => ({
  ...state,
  writtenAt: HashMap.set(
    state.writtenAt,
    id,
    Math.max(
      now,
      Option.getOrElse(HashMap.get(state.writtenAt, id), () => now)
    )
  )
})

/** A list that began at `takenAt` returned `items` in `pages` calls. */
export const recordList = <A>(
  state: ListObservationState<A>,
  list: { readonly takenAt: number; readonly pages: number; readonly items: ReadonlyArray<A> },
  idOf: (item: A) => string
): ListObservationState<A> =>
  list.takenAt <= state.invalidatedAt
    ? { ...state, demand: HashSet.empty() }
    : {
        snapshot: {
          takenAt: list.takenAt,
          byId: new Map(list.items.map((item) => [idOf(item), item]))
        },
        // A write before the list began is in it: only later ones still matter.
        writtenAt: HashMap.filter(state.writtenAt, (at) => at >= list.takenAt),
        demand: HashSet.empty(),
        invalidatedAt: state.invalidatedAt,
        lastPages: list.pages,
        served: 0
      }

/** A list that failed: start counting again, so a failing list is not retried on every read. */
export const recordListFailure = <A>(state: ListObservationState<A>): ListObservationState<A> => ({
  ...state,
  demand: HashSet.empty(),
  served: 0
})

/**
 * Forget the snapshot, and any list already under way: a write at `now`
 * changed other objects in ways no id says (a cascading delete).
 */
export const dropSnapshot = <A>(state: ListObservationState<A>, now: number): ListObservationState<A> => ({
  ...state,
  snapshot: undefined,
  invalidatedAt: Math.max(now, state.invalidatedAt)
})
