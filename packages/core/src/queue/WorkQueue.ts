/**
 * The controller work queue as pure data and functions, with client-go's
 * semantics: a key waiting in the queue is held once however often it is
 * added (dirty set); a key being processed is never handed out again until
 * `done`, and if it was added meanwhile it is queued again then. Delayed adds
 * keep the earliest due time; failures back off per key until `forget`.
 *
 * Delayed keys are also kept in a heap ordered by due time, so finding and
 * moving the next due key costs O(log n) instead of a scan of every waiting
 * key. A key whose due time moves earlier leaves its old heap entry behind
 * (a leftist heap cannot remove from the middle); such stale entries are
 * skipped when they surface, and the heap is rebuilt when they outnumber the
 * live ones, so it never holds more than about twice the waiting keys.
 */
import { HashMap, HashSet, Option } from "effect"
import type { BackoffPolicy } from "./Backoff.ts"
import { backoffDelay } from "./Backoff.ts"
import type { DueHeap } from "./DueHeap.ts"
import * as Heap from "./DueHeap.ts"
import type { Fifo } from "./Fifo.ts"
import { emptyFifo, pop, push, toArray } from "./Fifo.ts"

export interface WorkQueue {
  readonly queue: Fifo<string>
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
  queue: emptyFifo(),
  dirty: HashSet.empty(),
  processing: HashSet.empty(),
  waiting: HashMap.empty(),
  schedule: Heap.emptyHeap,
  scheduled: 0,
  failures: HashMap.empty()
}

/** Marks the key as needing processing. */
export const add = (q: WorkQueue, key: string): WorkQueue => {
  if (HashSet.has(q.dirty, key)) return q
  const dirty = HashSet.add(q.dirty, key)
  if (HashSet.has(q.processing, key)) return { ...q, dirty }
  return { ...q, dirty, queue: push(q.queue, key) }
}

/** Hands out the next key, or none when the queue is empty. */
export const get = (q: WorkQueue): readonly [Option.Option<string>, WorkQueue] => {
  const next = pop(q.queue)
  if (next === undefined) return [Option.none(), q]
  const [key, queue] = next
  return [
    Option.some(key),
    { ...q, queue, dirty: HashSet.remove(q.dirty, key), processing: HashSet.add(q.processing, key) }
  ]
}

/** The key's processing has finished; if it was added meanwhile it is queued again. */
export const done = (q: WorkQueue, key: string): WorkQueue => {
  const processing = HashSet.remove(q.processing, key)
  if (HashSet.has(q.dirty, key)) return { ...q, processing, queue: push(q.queue, key) }
  return { ...q, processing }
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

/** Keys ready to be handed out, in the order they will be. */
export const ready = (q: WorkQueue): ReadonlyArray<string> => toArray(q.queue)

/** Keys ready to be handed out. */
export const length = (q: WorkQueue): number => q.queue.size
