/**
 * The controller work queue as pure data and functions, with client-go's
 * semantics: a key waiting in the queue is held once however often it is
 * added (dirty set); a key being processed is never handed out again until
 * `done`, and if it was added meanwhile it is queued again then. Delayed adds
 * keep the earliest due time; failures back off per key until `forget`.
 *
 * Ready keys are handed out fairly between namespaces (a key's group is the
 * part before its first `/`; `namespace/name`): next comes the namespace with
 * ready keys that has the fewest keys being processed, and of those the one
 * that has waited longest for its turn; within a namespace, first in first
 * out. So a namespace with thousands of keys, or with keys whose reconciles
 * hold a worker for long (a LiteLLM that never answers), cannot make another
 * namespace's keys wait behind all of its own: a key of a namespace with
 * nothing in flight is next as soon as a worker is free.
 *
 * Groups in line are kept in buckets by how many keys they have in flight
 * (a handful: at most the number of workers), each bucket in turn order; a
 * group that changes bucket leaves a stale entry behind, skipped when it
 * surfaces, and the buckets are rebuilt when stale entries outnumber the live
 * ones. Delayed keys are kept in a heap ordered by due time, so finding the
 * next due key costs O(log n); a key whose due time moves earlier likewise
 * leaves its old heap entry behind, skipped and rebuilt the same way.
 */
import { HashMap, HashSet, Option } from "effect"
import type { BackoffPolicy } from "./Backoff.ts"
import { backoffDelay } from "./Backoff.ts"
import type { DueHeap } from "./DueHeap.ts"
import * as Heap from "./DueHeap.ts"
import type { Fifo } from "./Fifo.ts"
import { emptyFifo, pop, push } from "./Fifo.ts"

/** A group's place in line: live while `stamp` is the group's current one. */
interface Turn {
  readonly group: string
  readonly stamp: number
}

export interface WorkQueue {
  /** Ready keys by group (namespace), each first in first out; no group is here without keys. */
  readonly ready: HashMap.HashMap<string, Fifo<string>>
  /** How many keys `ready` holds. */
  readonly readyCount: number
  /** Groups with ready keys, by how many keys they have in flight (the index), each in turn order. */
  readonly turns: ReadonlyArray<Fifo<Turn>>
  /** Entries in `turns`, live and stale. */
  readonly turnEntries: number
  /** The live stamp of each group in `ready`. */
  readonly stamps: HashMap.HashMap<string, number>
  readonly nextStamp: number
  /** Keys handed out and not yet `done`, per group (absent: none). */
  readonly inFlight: HashMap.HashMap<string, number>
  /** Keys that need processing: queued, or added again while processing. */
  readonly dirty: HashSet.HashSet<string>
  /** Keys handed out and not yet `done`. */
  readonly processing: HashSet.HashSet<string>
  /** Delayed keys and the time (ms) at which they become due. */
  readonly waiting: HashMap.HashMap<string, number>
  /** `waiting` ordered by due time, plus stale entries of keys since moved earlier; its top is never stale. */
  readonly schedule: DueHeap
  /** Entries in `schedule`, live and stale. */
  readonly scheduled: number
  /** Consecutive failures per key, for backoff. */
  readonly failures: HashMap.HashMap<string, number>
}

export const emptyQueue: WorkQueue = {
  ready: HashMap.empty(),
  readyCount: 0,
  turns: [],
  turnEntries: 0,
  stamps: HashMap.empty(),
  nextStamp: 0,
  inFlight: HashMap.empty(),
  dirty: HashSet.empty(),
  processing: HashSet.empty(),
  waiting: HashMap.empty(),
  schedule: Heap.emptyHeap,
  scheduled: 0,
  failures: HashMap.empty()
}

/** The group a key is served in: its namespace, the part before the first `/` (the whole key without one). */
export const groupOf = (key: string): string => {
  const slash = key.indexOf("/")
  return slash < 0 ? key : key.slice(0, slash)
}

const inFlightOf = (q: WorkQueue, group: string): number => Option.getOrElse(HashMap.get(q.inFlight, group), () => 0)

/** Puts the group at the back of the line of its bucket (any earlier place of it becomes stale). */
const placeTurn = (q: WorkQueue, group: string): WorkQueue => {
  const bucket = inFlightOf(q, group)
  const turns = q.turns.slice()
  while (turns.length <= bucket) turns.push(emptyFifo())
  turns[bucket] = push(turns[bucket] ?? emptyFifo(), { group, stamp: q.nextStamp })
  const placed = {
    ...q,
    turns,
    turnEntries: q.turnEntries + 1,
    stamps: HashMap.set(q.stamps, group, q.nextStamp),
    nextStamp: q.nextStamp + 1
  }
  return placed.turnEntries > 2 * HashMap.size(placed.stamps) + 16 ? rebuiltTurns(placed) : placed
}

/** The buckets again from the live stamps alone, each in stamp order. */
const rebuiltTurns = (q: WorkQueue): WorkQueue => {
  const live = Array.from(HashMap.entries(q.stamps), ([group, stamp]) => ({ group, stamp })).sort(
    (a, b) => a.stamp - b.stamp
  )
  const turns: Array<Fifo<Turn>> = []
  for (const turn of live) {
    const bucket = inFlightOf(q, turn.group)
    while (turns.length <= bucket) turns.push(emptyFifo())
    turns[bucket] = push(turns[bucket] ?? emptyFifo(), turn)
  }
  return { ...q, turns, turnEntries: live.length }
}

/** Appends the key to its group's ready keys; a group that had none takes its place in line. */
const enqueue = (q: WorkQueue, key: string): WorkQueue => {
  const group = groupOf(key)
  const keys = HashMap.get(q.ready, group)
  const ready = HashMap.set(q.ready, group, push(Option.getOrElse(keys, emptyFifo<string>), key))
  const next = { ...q, ready, readyCount: q.readyCount + 1 }
  return Option.isSome(keys) ? next : placeTurn(next, group)
}

/** Marks the key as needing processing. */
export const add = (q: WorkQueue, key: string): WorkQueue => {
  if (HashSet.has(q.dirty, key)) return q
  const dirty = HashSet.add(q.dirty, key)
  if (HashSet.has(q.processing, key)) return { ...q, dirty }
  return enqueue({ ...q, dirty }, key)
}

/** Hands out the next key (see the module's comment for which), or none when no key is ready. */
export const get = (q: WorkQueue): readonly [Option.Option<string>, WorkQueue] => {
  if (q.readyCount === 0) return [Option.none(), q]
  const turns = q.turns.slice()
  let turnEntries = q.turnEntries
  for (let bucket = 0; bucket < turns.length; bucket++) {
    for (let next = pop(turns[bucket] ?? emptyFifo<Turn>()); next !== undefined; next = pop(next[1])) {
      const [turn, rest] = next
      turns[bucket] = rest
      turnEntries--
      if (Option.getOrUndefined(HashMap.get(q.stamps, turn.group)) !== turn.stamp) continue
      const taken = pop(Option.getOrElse(HashMap.get(q.ready, turn.group), emptyFifo<string>))
      // A live turn always has ready keys.
      if (taken === undefined) continue
      const [key, keys] = taken
      const served: WorkQueue = {
        ...q,
        turns,
        turnEntries,
        readyCount: q.readyCount - 1,
        ready: keys.size === 0 ? HashMap.remove(q.ready, turn.group) : HashMap.set(q.ready, turn.group, keys),
        stamps: HashMap.remove(q.stamps, turn.group),
        inFlight: HashMap.set(q.inFlight, turn.group, inFlightOf(q, turn.group) + 1),
        dirty: HashSet.remove(q.dirty, key),
        processing: HashSet.add(q.processing, key)
      }
      return [Option.some(key), keys.size === 0 ? served : placeTurn(served, turn.group)]
    }
  }
  return [Option.none(), q]
}

/** The key's processing has finished; if it was added meanwhile it is queued again. */
export const done = (q: WorkQueue, key: string): WorkQueue => {
  if (!HashSet.has(q.processing, key)) return q
  const group = groupOf(key)
  const left = inFlightOf(q, group) - 1
  const inFlight = left <= 0 ? HashMap.remove(q.inFlight, group) : HashMap.set(q.inFlight, group, left)
  const finished: WorkQueue = { ...q, processing: HashSet.remove(q.processing, key), inFlight }
  // With one fewer in flight, the group moves to the back of the lower bucket's line.
  const moved = HashMap.has(q.ready, group) ? placeTurn(finished, group) : finished
  return HashSet.has(q.dirty, key) ? enqueue(moved, key) : moved
}

/** Clears the key's failure count (after a success). */
export const forget = (q: WorkQueue, key: string): WorkQueue =>
  HashMap.has(q.failures, key) ? { ...q, failures: HashMap.remove(q.failures, key) } : q

/** Adds the key once `now + delayMs` is reached (see `advance`); an earlier due time wins. */
export const addAfter = (q: WorkQueue, key: string, delayMs: number, now: number): WorkQueue => {
  if (delayMs <= 0) return add(q, key)
  const due = now + delayMs
  const current = HashMap.get(q.waiting, key)
  if (Option.isSome(current) && current.value <= due) return q
  const waiting = HashMap.set(q.waiting, key, due)
  // The new entry is earlier than the one it replaces, so the top stays live.
  if (q.scheduled + 1 > 2 * HashMap.size(waiting) + 16) return { ...q, waiting, ...rebuilt(waiting) }
  return { ...q, waiting, schedule: Heap.insert(q.schedule, { due, key }), scheduled: q.scheduled + 1 }
}

const isLive = (waiting: HashMap.HashMap<string, number>, entry: Heap.DueEntry): boolean =>
  Option.getOrUndefined(HashMap.get(waiting, entry.key)) === entry.due

const rebuilt = (waiting: HashMap.HashMap<string, number>): Pick<WorkQueue, "schedule" | "scheduled"> => ({
  schedule: Heap.fromEntries(Array.from(HashMap.entries(waiting), ([key, due]) => ({ key, due }))),
  scheduled: HashMap.size(waiting)
})

/** Adds the key after its backoff delay and counts one more failure. */
export const addRateLimited = (
  q: WorkQueue,
  key: string,
  options: { readonly now: number; readonly random: number; readonly policy: BackoffPolicy }
): WorkQueue => {
  const failures = Option.getOrElse(HashMap.get(q.failures, key), () => 0)
  const delay = backoffDelay(options.policy, failures, options.random)
  return addAfter({ ...q, failures: HashMap.set(q.failures, key, failures + 1) }, key, delay, options.now)
}

/** The key's consecutive failures. */
export const failuresOf = (q: WorkQueue, key: string): number => Option.getOrElse(HashMap.get(q.failures, key), () => 0)

/** Moves every delayed key that is due at `now` into the queue. */
export const advance = (q: WorkQueue, now: number): WorkQueue => {
  let next = q
  let schedule = q.schedule
  let scheduled = q.scheduled
  for (let top = Heap.peek(schedule); top !== undefined; top = Heap.peek(schedule)) {
    const live = isLive(next.waiting, top)
    // Stop at the first live entry not yet due; stale entries on top are dropped either way.
    if (live && top.due > now) break
    schedule = Heap.pop(schedule)
    scheduled--
    if (live) next = add({ ...next, waiting: HashMap.remove(next.waiting, top.key) }, top.key)
  }
  return next === q && schedule === q.schedule ? q : { ...next, schedule, scheduled }
}

/** The earliest due time among delayed keys, if any. */
export const nextDue = (q: WorkQueue): number | undefined => Heap.peek(q.schedule)?.due

/** Keys ready to be handed out, in the order they would be if none finished meanwhile. */
export const ready = (q: WorkQueue): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (let next = get(q); Option.isSome(next[0]); next = get(next[1])) out.push(next[0].value)
  return out
}

/** Keys ready to be handed out. */
export const length = (q: WorkQueue): number => q.readyCount
