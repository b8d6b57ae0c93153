import { assert, describe, it } from "@effect/vitest"
import { HashMap, Option } from "effect"
import fc from "fast-check"
import type { BackoffPolicy } from "../src/index.ts"
import { backoffDelay, defaultBackoff, WorkQueue } from "../src/index.ts"
import type { DueEntry } from "../src/queue/DueHeap.ts"
import * as DueHeap from "../src/queue/DueHeap.ts"

type Q = WorkQueue.WorkQueue

/**
 * The model the real queue is checked against: plain maps and arrays. Ready keys wait per group
 * (namespace); the next key comes from the group with the fewest keys in flight, then the lowest stamp
 * (a group's stamp is renewed whenever it joins the line, is served, or has a key finish).
 */
interface Model {
  groups: Map<string, Array<string>>
  stamps: Map<string, number>
  nextStamp: number
  inFlight: Map<string, number>
  dirty: Set<string>
  processing: Set<string>
  handedOut: Array<string>
  /** Delayed keys and their due times, kept the naive way. */
  waiting: Map<string, number>
  now: number
}

const emptyModel = (): Model => ({
  groups: new Map(),
  stamps: new Map(),
  nextStamp: 0,
  inFlight: new Map(),
  dirty: new Set(),
  processing: new Set(),
  handedOut: [],
  waiting: new Map(),
  now: 0
})

const copyModel = (m: Model): Model => ({
  ...m,
  groups: new Map([...m.groups].map(([g, ks]) => [g, [...ks]])),
  stamps: new Map(m.stamps),
  inFlight: new Map(m.inFlight),
  dirty: new Set(m.dirty),
  processing: new Set(m.processing),
  handedOut: [...m.handedOut],
  waiting: new Map(m.waiting)
})

/** The earliest due time, found by scanning: what the queue's heap must agree with. */
const naiveNextDue = (m: Model): number | undefined =>
  m.waiting.size === 0 ? undefined : Math.min(...m.waiting.values())

class Real {
  q: Q = WorkQueue.emptyQueue
}

const keys = fc.constantFrom("x/a", "x/b", "y/c", "z/d", "e")

const group = (key: string) => (key.includes("/") ? key.slice(0, key.indexOf("/")) : key)
const place = (m: Model, g: string) => m.stamps.set(g, m.nextStamp++)
const readyCount = (m: Model) => [...m.groups.values()].reduce((n, ks) => n + ks.length, 0)

const modelEnqueue = (m: Model, key: string) => {
  const ks = m.groups.get(group(key))
  if (ks === undefined) {
    m.groups.set(group(key), [key])
    place(m, group(key))
  } else ks.push(key)
}

const modelAdd = (m: Model, key: string) => {
  if (m.dirty.has(key)) return
  m.dirty.add(key)
  if (!m.processing.has(key)) modelEnqueue(m, key)
}

const modelGet = (m: Model): string | undefined => {
  let best: string | undefined
  const rank = (g: string) => [m.inFlight.get(g) ?? 0, m.stamps.get(g) ?? 0] as const
  for (const g of m.groups.keys()) {
    if (best === undefined) best = g
    else {
      const [fa, sa] = rank(g)
      const [fb, sb] = rank(best)
      if (fa < fb || (fa === fb && sa < sb)) best = g
    }
  }
  if (best === undefined) return undefined
  const ks = m.groups.get(best) ?? []
  const key = ks.shift()
  if (key === undefined) return undefined
  m.inFlight.set(best, (m.inFlight.get(best) ?? 0) + 1)
  if (ks.length === 0) {
    m.groups.delete(best)
    m.stamps.delete(best)
  } else place(m, best)
  m.processing.add(key)
  m.dirty.delete(key)
  m.handedOut.push(key)
  return key
}

/** The order keys would be handed out in if none finished meanwhile. */
const modelReady = (m: Model): Array<string> => {
  const copy = copyModel(m)
  const out: Array<string> = []
  for (let key = modelGet(copy); key !== undefined; key = modelGet(copy)) out.push(key)
  return out
}

class Add implements fc.Command<Model, Real> {
  readonly key: string
  constructor(key: string) {
    this.key = key
  }
  check = () => true
  run(m: Model, r: Real) {
    r.q = WorkQueue.add(r.q, this.key)
    modelAdd(m, this.key)
    assert.strictEqual(WorkQueue.length(r.q), readyCount(m))
    assert.deepStrictEqual(WorkQueue.ready(r.q), modelReady(m))
  }
  toString = () => `add(${this.key})`
}

class Get implements fc.Command<Model, Real> {
  check = () => true
  run(m: Model, r: Real) {
    const [key, q] = WorkQueue.get(r.q)
    r.q = q
    const wasProcessing = new Set(m.processing)
    const expected = modelGet(m)
    assert.deepStrictEqual(Option.getOrUndefined(key), expected)
    if (expected !== undefined)
      assert.isFalse(wasProcessing.has(expected), "a key was handed out twice while processing")
  }
  toString = () => "get"
}

class Done implements fc.Command<Model, Real> {
  readonly pick: number
  constructor(pick: number) {
    this.pick = pick
  }
  check = (m: Readonly<Model>) => m.processing.size > 0
  run(m: Model, r: Real) {
    const key = [...m.processing][this.pick % m.processing.size]!
    r.q = WorkQueue.done(r.q, key)
    m.processing.delete(key)
    const g = group(key)
    const left = (m.inFlight.get(g) ?? 0) - 1
    if (left <= 0) m.inFlight.delete(g)
    else m.inFlight.set(g, left)
    if (m.groups.has(g)) place(m, g)
    if (m.dirty.has(key)) modelEnqueue(m, key)
    assert.strictEqual(WorkQueue.length(r.q), readyCount(m))
    assert.deepStrictEqual(WorkQueue.ready(r.q), modelReady(m))
  }
  toString = () => `done(#${this.pick})`
}

class AddAfter implements fc.Command<Model, Real> {
  readonly key: string
  readonly delay: number
  constructor(key: string, delay: number) {
    this.key = key
    this.delay = delay
  }
  check = () => true
  run(m: Model, r: Real) {
    r.q = WorkQueue.addAfter(r.q, this.key, this.delay, m.now)
    if (this.delay > 0) {
      const due = m.now + this.delay
      const current = m.waiting.get(this.key)
      if (current === undefined || due < current) m.waiting.set(this.key, due)
      assert.isAtMost(WorkQueue.nextDue(r.q) ?? Number.POSITIVE_INFINITY, m.now + this.delay)
    } else modelAdd(m, this.key)
    assert.strictEqual(WorkQueue.nextDue(r.q), naiveNextDue(m))
  }
  toString = () => `addAfter(${this.key}, ${this.delay})`
}

class Advance implements fc.Command<Model, Real> {
  readonly by: number
  constructor(by: number) {
    this.by = by
  }
  check = () => true
  run(m: Model, r: Real) {
    m.now += this.by
    r.q = WorkQueue.advance(r.q, m.now)
    // Due keys join in due-time order (then by key); the queue gains exactly the ones not already in it.
    const dueKeys = [...m.waiting]
      .filter(([, due]) => due <= m.now)
      .sort(([ka, a], [kb, b]) => a - b || (ka < kb ? -1 : ka > kb ? 1 : 0))
      .map(([k]) => k)
    for (const key of dueKeys) {
      m.waiting.delete(key)
      modelAdd(m, key)
    }
    assert.deepStrictEqual(WorkQueue.ready(r.q), modelReady(m))
    assert.strictEqual(WorkQueue.nextDue(r.q), naiveNextDue(m))
    assert.strictEqual(HashMap.size(r.q.waiting), m.waiting.size)
  }
  toString = () => `advance(${this.by})`
}

const commands = [
  keys.map((k): fc.Command<Model, Real> => new Add(k)),
  fc.constant(new Get()),
  fc.nat(10).map((n) => new Done(n)),
  fc.tuple(keys, fc.integer({ min: 0, max: 100 })).map(([k, d]) => new AddAfter(k, d)),
  fc.integer({ min: 1, max: 60 }).map((n) => new Advance(n))
]

describe("WorkQueue", () => {
  it("never hands out a key twice while it is processing, hands out every added key, and serves namespaces as the model does", () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 200, size: "medium" }), (cmds) => {
        const model = emptyModel()
        const real = new Real()
        fc.modelRun(() => ({ model, real }), cmds)
        // Drain: finish everything in flight, let every delay pass, and take all that is left.
        for (const key of [...model.processing]) real.q = WorkQueue.done(real.q, key)
        real.q = WorkQueue.advance(real.q, Number.MAX_SAFE_INTEGER)
        const drained = new Set<string>()
        for (;;) {
          const [key, q] = WorkQueue.get(real.q)
          real.q = q
          if (Option.isNone(key)) break
          assert.isFalse(drained.has(key.value), "duplicate in the queue")
          drained.add(key.value)
          real.q = WorkQueue.done(real.q, key.value)
        }
        for (const key of model.dirty) assert.isTrue(drained.has(key), `${key} was added but never handed out`)
      }),
      { numRuns: 300 }
    )
  })

  it("a namespace with nothing in flight is served next, however many keys another has waiting", () => {
    let q = WorkQueue.emptyQueue
    for (let i = 0; i < 1000; i++) q = WorkQueue.add(q, `noisy/k${i}`)
    // Four workers busy with the noisy namespace's keys.
    const taken: Array<string> = []
    for (let i = 0; i < 4; i++) {
      const [key, next] = WorkQueue.get(q)
      q = next
      taken.push(Option.getOrThrow(key))
    }
    q = WorkQueue.add(q, "quiet/a")
    q = WorkQueue.add(q, "quiet/b")
    q = WorkQueue.done(q, taken[0] ?? "")
    const [first, afterFirst] = WorkQueue.get(q)
    assert.strictEqual(Option.getOrUndefined(first), "quiet/a")
    // One of its keys in flight against the noisy namespace's three: still its turn.
    const [second, afterSecond] = WorkQueue.get(afterFirst)
    assert.strictEqual(Option.getOrUndefined(second), "quiet/b")
    assert.strictEqual(WorkQueue.length(afterSecond), 999 - 4 + 1)
    // Lines stay bounded: stale places are dropped as they surface or rebuilt away.
    let churn = afterSecond
    for (let i = 0; i < 5000; i++) {
      const [key, next] = WorkQueue.get(churn)
      churn = WorkQueue.add(WorkQueue.done(next, Option.getOrThrow(key)), Option.getOrThrow(key))
    }
    assert.isAtMost(churn.turnEntries, 2 * HashMap.size(churn.stamps) + 16)
  })

  it("keeps the earliest due time for a key added after a delay twice", () => {
    let q = WorkQueue.addAfter(WorkQueue.emptyQueue, "a", 100, 0)
    q = WorkQueue.addAfter(q, "a", 500, 0)
    assert.strictEqual(WorkQueue.nextDue(q), 100)
    q = WorkQueue.addAfter(q, "a", 10, 0)
    assert.strictEqual(WorkQueue.nextDue(q), 10)
    assert.strictEqual(WorkQueue.length(WorkQueue.advance(q, 9)), 0)
    assert.strictEqual(WorkQueue.length(WorkQueue.advance(q, 10)), 1)
  })

  it("backs off per key and forgets on success", () => {
    const policy = { baseMs: 10, maxMs: 1000, jitter: 0 }
    let q = WorkQueue.emptyQueue
    for (let i = 0; i < 5; i++) q = WorkQueue.addRateLimited(q, "a", { now: 0, random: 0, policy })
    assert.strictEqual(WorkQueue.failuresOf(q, "a"), 5)
    assert.strictEqual(WorkQueue.nextDue(q), 10)
    q = WorkQueue.forget(q, "a")
    assert.strictEqual(WorkQueue.failuresOf(q, "a"), 0)
  })
})

describe("DueHeap", () => {
  const entry = fc.record({ due: fc.integer({ min: 0, max: 50 }), key: fc.constantFrom("a", "b", "c", "d", "e") })
  const op = fc.oneof(
    entry.map((e) => ({ _tag: "insert" as const, entry: e })),
    fc.constant({ _tag: "pop" as const }),
    fc.array(entry, { maxLength: 20 }).map((es) => ({ _tag: "merge" as const, entries: es }))
  )
  const byDueThenKey = (a: DueEntry, b: DueEntry) => a.due - b.due || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)

  it("agrees with a sorted array under inserts, pops and merges, and keeps every old version intact", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 100 }), (ops) => {
        let heap = DueHeap.emptyHeap
        let model: Array<DueEntry> = []
        const versions: Array<readonly [DueHeap.DueHeap, ReadonlyArray<DueEntry>]> = []
        for (const o of ops) {
          versions.push([heap, [...model]])
          switch (o._tag) {
            case "insert":
              heap = DueHeap.insert(heap, o.entry)
              model = [...model, o.entry].sort(byDueThenKey)
              break
            case "pop":
              heap = DueHeap.pop(heap)
              model = model.slice(1)
              break
            case "merge":
              heap = DueHeap.merge(heap, DueHeap.fromEntries(o.entries))
              model = [...model, ...o.entries].sort(byDueThenKey)
          }
          assert.deepStrictEqual(DueHeap.peek(heap), model[0])
        }
        // Persistence: draining any earlier version yields exactly what the model held then.
        for (const [old, expected] of versions) {
          const drained: Array<DueEntry> = []
          for (let h = old; DueHeap.peek(h) !== undefined; h = DueHeap.pop(h)) drained.push(DueHeap.peek(h)!)
          assert.deepStrictEqual(drained, expected)
        }
      }),
      { numRuns: 300 }
    )
  })

  it("keeps the queue's heap bounded when due times keep moving earlier", () => {
    let q = WorkQueue.emptyQueue
    for (let i = 0; i < 10_000; i++) q = WorkQueue.addAfter(q, `k${i % 10}`, 1_000_000 - i, 0)
    assert.strictEqual(HashMap.size(q.waiting), 10)
    assert.isAtMost(q.scheduled, 2 * 10 + 16)
    assert.strictEqual(WorkQueue.nextDue(q), 1_000_000 - 9_999)
  })
})

describe("backoffDelay", () => {
  const policyArb: fc.Arbitrary<BackoffPolicy> = fc.record({
    baseMs: fc.integer({ min: 1, max: 1000 }),
    maxMs: fc.integer({ min: 1000, max: 10_000_000 }),
    jitter: fc.double({ min: 0, max: 1, noNaN: true })
  })

  it("never decreases as failures grow, and never exceeds the cap", () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.nat(100),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (policy, failures, random) => {
          const now = backoffDelay(policy, failures, random)
          const next = backoffDelay(policy, failures + 1, random)
          assert.isAtMost(now, next)
          assert.isAtMost(next, policy.maxMs)
          assert.isAtLeast(now, Math.min(policy.baseMs, policy.maxMs))
        }
      ),
      { numRuns: 1000 }
    )
  })

  it("starts at the base delay and reaches the cap", () => {
    assert.strictEqual(backoffDelay(defaultBackoff, 0, 0), 5)
    assert.strictEqual(backoffDelay(defaultBackoff, 1, 0), 10)
    assert.strictEqual(backoffDelay(defaultBackoff, 100, 0.99), defaultBackoff.maxMs)
  })
})
