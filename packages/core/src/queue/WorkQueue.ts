/**
 * The controller work queue as pure data and functions, with client-go's
 * semantics: a key waiting in the queue is held once however often it is
 * added (dirty set); a key being processed is never handed out again until
 * `done`, and if it was added meanwhile it is queued again then. Delayed adds
 * keep the earliest due time; failures back off per key until `forget`.
 */
import { HashMap, HashSet, Option } from "effect"
import type { BackoffPolicy } from "./Backoff.ts"
import { backoffDelay } from "./Backoff.ts"
import type { Fifo } from "./Fifo.ts"
import { emptyFifo, pop, push } from "./Fifo.ts"

export interface WorkQueue {
  readonly queue: Fifo<string>
  /** Keys that need processing: queued, or added again while processing. */
  readonly dirty: HashSet.HashSet<string>
  /** Keys handed out and not yet `done`. */
  readonly processing: HashSet.HashSet<string>
  /** Delayed keys and the time (ms) at which they become due. */
  readonly waiting: HashMap.HashMap<string, number>
  /** Consecutive failures per key, for backoff. */
  readonly failures: HashMap.HashMap<string, number>
}

export const emptyQueue: WorkQueue = {
  queue: emptyFifo(),
  dirty: HashSet.empty(),
  processing: HashSet.empty(),
  waiting: HashMap.empty(),
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
  return { ...q, waiting: HashMap.set(q.waiting, key, due) }
}

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
  for (const [key, due] of HashMap.entries(q.waiting)) {
    if (due <= now) next = add({ ...next, waiting: HashMap.remove(next.waiting, key) }, key)
  }
  return next
}

/** The earliest due time among delayed keys, if any. */
export const nextDue = (q: WorkQueue): number | undefined => {
  let earliest: number | undefined
  for (const due of HashMap.values(q.waiting)) if (earliest === undefined || due < earliest) earliest = due
  return earliest
}

/** Keys ready to be handed out. */
export const length = (q: WorkQueue): number => q.queue.size
