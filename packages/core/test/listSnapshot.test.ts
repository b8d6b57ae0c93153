import { assert, describe, it } from "@effect/vitest"
import { HashSet } from "effect"
import fc from "fast-check"
import type { ListObservationSettings, ListObservationState } from "../src/index.ts"
import {
  decideRead,
  dropSnapshot,
  emptyListObservation,
  expireSnapshot,
  objectsWrittenBy,
  recordList,
  recordListFailure,
  recordReadOne,
  recordServed,
  recordWrite,
  staleAt
} from "../src/index.ts"

interface Item {
  readonly id: string
  readonly value: number
}

const ids = fc.constantFrom("a", "b", "c", "d", "e")
const settings: ListObservationSettings = { maxAge: 50, minDemand: 3 }

/** What can happen to one kind of LiteLLM object while the operator observes it. */
type Step =
  | { readonly _tag: "Tick"; readonly ms: number }
  | { readonly _tag: "OperatorWrite"; readonly id: string; readonly value: number | undefined }
  | { readonly _tag: "OutOfBand"; readonly id: string; readonly value: number | undefined }
  | {
      readonly _tag: "List"
      /** Operator writes that land while the list pages through. */
      readonly during: ReadonlyArray<{ readonly id: string; readonly value: number | undefined }>
      /** Per id: whether the list saw it before or after those writes. */
      readonly seesLater: ReadonlyArray<boolean>
      readonly fails: boolean
    }
  | { readonly _tag: "Cascade" }
  | { readonly _tag: "Read"; readonly id: string }
  /** The app's timer fires: a stale snapshot is let go. */
  | { readonly _tag: "Expire" }

const value = fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined })
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ _tag: fc.constant("Tick" as const), ms: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ _tag: fc.constant("OperatorWrite" as const), id: ids, value }),
  fc.record({ _tag: fc.constant("OutOfBand" as const), id: ids, value }),
  fc.record({
    _tag: fc.constant("List" as const),
    during: fc.array(fc.record({ id: ids, value }), { maxLength: 2 }),
    seesLater: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    fails: fc.boolean()
  }),
  fc.constant({ _tag: "Cascade" as const }),
  fc.record({ _tag: fc.constant("Read" as const), id: ids }),
  fc.constant({ _tag: "Expire" as const })
)

const allIds = ["a", "b", "c", "d", "e"]

describe("list-based observation", () => {
  it("answers from a list only with what LiteLLM held when the list began, never about an object the operator wrote since, never when stale or absent", () =>
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let now = 1000
        let state: ListObservationState<Item> = emptyListObservation<Item>()
        const world = new Map<string, number>()
        /** LiteLLM as each list saw it when it began, by the list's start. */
        const seenAtStart = new Map<number, ReadonlyMap<string, number>>()
        const lastOperatorWrite = new Map<string, number>()
        let lastCascade = Number.NEGATIVE_INFINITY
        const apply = (id: string, v: number | undefined) => (v === undefined ? world.delete(id) : world.set(id, v))
        const operatorWrite = (id: string, v: number | undefined) => {
          state = recordWrite(state, id, now)
          apply(id, v)
          lastOperatorWrite.set(id, now)
          state = recordWrite(state, id, now)
        }
        for (const s of steps) {
          switch (s._tag) {
            case "Tick":
              now += s.ms
              break
            case "OperatorWrite":
              operatorWrite(s.id, s.value)
              now += 1
              break
            case "OutOfBand":
              apply(s.id, s.value)
              break
            case "Expire":
              state = expireSnapshot(state, now, settings)
              break
            case "Cascade":
              // A delete that changes others: every object may be gone.
              state = dropSnapshot(state, now)
              lastCascade = now
              for (const id of allIds) world.delete(id)
              now += 1
              break
            case "List": {
              const takenAt = now
              const before = new Map(world)
              for (const w of s.during) operatorWrite(w.id, w.value)
              now += 2
              const items: Array<Item> = []
              allIds.forEach((id, i) => {
                const v = s.seesLater[i] === true ? world.get(id) : before.get(id)
                if (v !== undefined) items.push({ id, value: v })
              })
              if (s.fails) state = recordListFailure(state)
              else {
                state = recordList(state, { takenAt, pages: 1, items }, (item) => item.id)
                seenAtStart.set(takenAt, before)
              }
              break
            }
            case "Read": {
              const decision = decideRead(state, s.id, now, settings)
              if (decision._tag === "FromSnapshot") {
                const snapshot = state.snapshot
                assert.isDefined(snapshot)
                if (snapshot === undefined) break
                assert.isBelow(now - snapshot.takenAt, settings.maxAge, "a stale list answered")
                assert.isBelow(
                  lastOperatorWrite.get(s.id) ?? Number.NEGATIVE_INFINITY,
                  snapshot.takenAt,
                  "a list answered about an object the operator wrote since it began"
                )
                assert.isBelow(lastCascade, snapshot.takenAt, "a list from before a cascade answered")
                assert.strictEqual(decision.value.value, seenAtStart.get(snapshot.takenAt)?.get(s.id))
                state = recordServed(state)
              } else {
                state = recordReadOne(state, s.id, now, settings)
              }
              now += 1
              break
            }
          }
        }
      }),
      { numRuns: 500 }
    ))

  it("lets go of a snapshot once it is stale, and of nothing else; no read is answered differently for it", () =>
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 40 }),
        fc.integer({ min: 0, max: 120 }),
        fc.array(fc.tuple(ids, fc.integer({ min: 0, max: 120 })), { maxLength: 10 }),
        (steps, expireAfter, reads) => {
          // Any state the operator can reach: lists, writes, reads, cascades.
          let now = 1000
          let state: ListObservationState<Item> = emptyListObservation<Item>()
          for (const s of steps) {
            if (s._tag === "Tick") now += s.ms
            else if (s._tag === "OperatorWrite") state = recordWrite(state, s.id, now)
            else if (s._tag === "Cascade") state = dropSnapshot(state, now)
            else if (s._tag === "Read") state = recordReadOne(state, s.id, now, settings)
            else if (s._tag === "List" && !s.fails)
              state = recordList(
                state,
                { takenAt: now, pages: 1, items: allIds.map((id) => ({ id, value: 1 })) },
                (i) => i.id
              )
          }
          const at = now + expireAfter
          const expired = expireSnapshot(state, at, settings)
          const until = staleAt(state, settings)
          if (until === undefined || at < until) assert.strictEqual(expired, state, "a fresh snapshot is kept")
          else {
            assert.isUndefined(expired.snapshot, "a stale snapshot is let go")
            assert.deepStrictEqual({ ...expired, snapshot: state.snapshot }, state, "nothing else changes")
          }
          // From then on every read is decided as it would have been.
          for (const [id, later] of reads)
            assert.deepStrictEqual(
              decideRead(expired, id, at + later, settings),
              decideRead(state, id, at + later, settings)
            )
        }
      ),
      { numRuns: 500 }
    ))

  it("lists only once the reads it saves outnumber the pages it costs", () =>
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 30 }),
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 40 }),
        (minDemand, pages, reads) => {
          const s: ListObservationSettings = { maxAge: 10, minDemand }
          // A stale list that took `pages` calls.
          let state = recordList(emptyListObservation<Item>(), { takenAt: 0, pages, items: [] }, (i) => i.id)
          reads.forEach((id, i) => {
            const decision = decideRead(state, id, 100, s)
            assert.strictEqual(decision._tag, i + 1 >= Math.max(minDemand, pages) ? "Refresh" : "ReadOne")
            state = recordReadOne(state, id, 100, s)
          })
        }
      )
    ))

  it("takes a list that paid for itself again at the first read after it went stale", () => {
    const s: ListObservationSettings = { maxAge: 10, minDemand: 3 }
    let state = recordList(
      emptyListObservation<Item>(),
      { takenAt: 0, pages: 2, items: [{ id: "a", value: 1 }] },
      (i) => i.id
    )
    state = recordServed(recordServed(state))
    assert.strictEqual(decideRead(state, "a", 20, s)._tag, "ReadOne", "2 reads answered: not worth 3")
    state = recordServed(state)
    assert.strictEqual(decideRead(state, "a", 20, s)._tag, "Refresh")
    // A fresh list starts counting again.
    state = recordList(state, { takenAt: 20, pages: 2, items: [] }, (i) => i.id)
    assert.strictEqual(decideRead(state, "a", 40, s)._tag, "ReadOne")
  })

  it("reads an object by id while the list is fresh but it is missing or was written since", () => {
    const item = (id: string): Item => ({ id, value: 1 })
    let state = recordList(
      emptyListObservation<Item>(),
      { takenAt: 100, pages: 1, items: [item("a"), item("b")] },
      (i) => i.id
    )
    assert.deepStrictEqual(decideRead(state, "a", 120, settings), { _tag: "FromSnapshot", value: item("a") })
    assert.deepStrictEqual(decideRead(state, "z", 120, settings), { _tag: "ReadOne" })
    state = recordWrite(state, "b", 130)
    assert.deepStrictEqual(decideRead(state, "b", 131, settings), { _tag: "ReadOne" })
    // Fresh reads by id do not count towards a list; stale ones do.
    assert.strictEqual(HashSet.size(recordReadOne(state, "z", 131, settings).demand), 0)
    assert.strictEqual(HashSet.size(recordReadOne(state, "z", 150, settings).demand), 1)
    // A list that began before a cascade is not installed.
    const dropped = dropSnapshot(state, 200)
    const late = recordList(dropped, { takenAt: 190, pages: 1, items: [item("a")] }, (i) => i.id)
    assert.isUndefined(late.snapshot)
    assert.deepStrictEqual(decideRead(late, "a", 201, settings), { _tag: "ReadOne" })
  })

  it("knows which objects each action writes, and that deleting a team or a user cascades", () => {
    assert.deepStrictEqual(objectsWrittenBy({ _tag: "TeamUpdate", teamId: "t", fields: {} }), {
      teams: ["t"],
      users: [],
      keys: [],
      cascades: false
    })
    assert.deepStrictEqual(objectsWrittenBy({ _tag: "MemberAdd", teamId: "t", userId: "u", role: "user" }), {
      teams: ["t"],
      users: ["u"],
      keys: [],
      cascades: false
    })
    assert.deepStrictEqual(objectsWrittenBy({ _tag: "KeyDelete", token: "a".repeat(64) }).keys, ["a".repeat(64)])
    assert.isTrue(objectsWrittenBy({ _tag: "TeamDelete", teamId: "t" }).cascades)
    assert.isTrue(objectsWrittenBy({ _tag: "UserDelete", userId: "u" }).cascades)
  })
})
