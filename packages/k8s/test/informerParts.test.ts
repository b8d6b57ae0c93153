/** The informer's pure parts: the store and the events it derives, the watch state machine, the stats. */
import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import * as fc from "fast-check"
import type { KubeObject, MalformedObject, WatchEvent } from "../src/index.ts"
import { countIn, emptyStats, makeStore, Watcher } from "../src/index.ts"

interface Obj extends KubeObject {
  readonly value: number
}

const obj = (name: string, resourceVersion: string, value = 0): Obj => ({
  apiVersion: "v1",
  kind: "Thing",
  metadata: { namespace: "ns", name, uid: `uid-${name}`, resourceVersion },
  value
})

/** Up to six names, so lists and events overlap. */
const name = fc.constantFrom("a", "b", "c", "d", "e", "f")
const listArb = fc
  .uniqueArray(fc.tuple(name, fc.integer({ min: 1, max: 3 })), { selector: ([n]) => n, maxLength: 6 })
  .map((pairs) => pairs.map(([n, rv]) => obj(n, String(rv))))

const contents = (store: ReturnType<typeof makeStore<Obj>>) =>
  new Map(store.list().map((o) => [o.metadata.name, o.metadata.resourceVersion]))

describe("Store", () => {
  it("a relist leaves exactly the listed objects, and its events turn the old contents into the new", () =>
    fc.assert(
      fc.property(listArb, listArb, (before, after) => {
        const store = makeStore<Obj>()
        store.replace(before, [])
        const model = contents(store)
        const events = store.replace(after, [])
        for (const event of events) {
          if (event.type === "Deleted") model.delete(event.object.metadata.name)
          else if (event.type !== "Malformed")
            model.set(event.object.metadata.name, event.object.metadata.resourceVersion)
        }
        assert.deepStrictEqual(model, contents(store))
        assert.deepStrictEqual(
          [...contents(store)].sort(),
          after.map((o) => [o.metadata.name, o.metadata.resourceVersion] as const).sort()
        )
        // Nothing is reported that did not change.
        const unchanged = before.filter((b) =>
          after.some(
            (a) => a.metadata.name === b.metadata.name && a.metadata.resourceVersion === b.metadata.resourceVersion
          )
        )
        for (const same of unchanged)
          assert.isFalse(events.some((e) => e.type !== "Malformed" && e.object.metadata.name === same.metadata.name))
      })
    ))

  it("a malformed object leaves the store, in a list or a watch event, and is reported", () => {
    const store = makeStore<Obj>()
    store.replace([obj("a", "1"), obj("b", "1")], [])
    const bad: MalformedObject = { key: { namespace: "ns", name: "a" }, resourceVersion: "2", message: "no" }
    assert.deepStrictEqual(store.apply({ type: "MALFORMED", object: bad }), [{ type: "Malformed", object: bad }])
    assert.isTrue(Option.isNone(store.get({ namespace: "ns", name: "a" })))
    const events = store.replace([obj("a", "3")], [{ ...bad, key: { namespace: "ns", name: "b" } }])
    assert.deepStrictEqual(
      events.map((e) => e.type),
      ["Added", "Malformed"]
    )
    assert.deepStrictEqual([...contents(store)], [["a", "3"]])
  })

  it("an index finds exactly what a scan of the store finds, after any lists and watch events", () => {
    // Values 0-3: objects share values, and a change of value moves an object between them; 3 files it under two.
    const indexers = { byValue: (o: Obj) => (o.value === 3 ? ["3", "three"] : [String(o.value)]) }
    const valued = fc.tuple(name, fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 3 }))
    const step = fc.oneof(
      fc.record({ list: fc.uniqueArray(valued, { selector: ([n]) => n, maxLength: 6 }) }),
      fc.record({ event: fc.tuple(fc.constantFrom("ADDED", "MODIFIED", "DELETED"), valued) }),
      fc.record({ malformed: name })
    )
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
        const store = makeStore<Obj, "byValue">(indexers)
        for (const s of steps) {
          if ("list" in s)
            store.replace(
              s.list.map(([n, rv, v]) => obj(n, String(rv), v)),
              []
            )
          else if ("malformed" in s)
            store.apply({
              type: "MALFORMED",
              object: { key: { namespace: "ns", name: s.malformed }, resourceVersion: "0", message: "no" }
            })
          else {
            const [type, [n, rv, v]] = s.event
            store.apply({ type, object: obj(n, String(rv), v) })
          }
          for (const value of ["0", "1", "2", "3", "three", "4"]) {
            const scanned = store
              .list()
              .filter((o) => indexers.byValue(o).includes(value))
              .map((o) => o.metadata.name)
            assert.deepStrictEqual(
              store
                .byIndex("byValue", value)
                .map((o) => o.metadata.name)
                .sort(),
              scanned.sort()
            )
          }
        }
      })
    )
  })

  it("watch events: added, then modified, then deleted; a bookmark changes nothing", () => {
    const store = makeStore<Obj>()
    assert.deepStrictEqual(store.apply({ type: "ADDED", object: obj("a", "1") })[0]?.type, "Added")
    assert.deepStrictEqual(store.apply({ type: "MODIFIED", object: obj("a", "2", 7) })[0]?.type, "Modified")
    assert.deepStrictEqual(store.apply({ type: "BOOKMARK", resourceVersion: "9", initialEventsEnd: false }), [])
    assert.strictEqual(Option.getOrUndefined(store.get({ namespace: "ns", name: "a" }))?.value, 7)
    assert.deepStrictEqual(store.apply({ type: "DELETED", object: obj("a", "3") })[0]?.type, "Deleted")
    assert.strictEqual(store.size(), 0)
  })
})

const eventArb: fc.Arbitrary<WatchEvent<Obj>> = fc.oneof(
  fc
    .tuple(fc.constantFrom("ADDED" as const, "MODIFIED" as const, "DELETED" as const), name, fc.nat(99))
    .map(([type, n, rv]) => ({ type, object: obj(n, String(rv)) })),
  fc.nat(99).map((rv) => ({ type: "BOOKMARK" as const, resourceVersion: String(rv), initialEventsEnd: false })),
  fc.option(fc.nat(99), { nil: undefined }).map((rv) => ({
    type: "MALFORMED" as const,
    object: { key: undefined, resourceVersion: rv === undefined ? undefined : String(rv), message: "bad" }
  }))
)

const positionOf = (event: WatchEvent<Obj>): string | undefined =>
  event.type === "BOOKMARK"
    ? event.resourceVersion
    : event.type === "MALFORMED"
      ? event.object.resourceVersion
      : event.object.metadata.resourceVersion

describe("Watcher", () => {
  it("watches from the list's position, moved by every event that carries one; Gone or an error lists again", () =>
    fc.assert(
      fc.property(
        fc.nat(99),
        fc.array(eventArb),
        fc.constantFrom("Gone" as const, "Failed" as const),
        (listed, events, end) => {
          let state = Watcher.step<Obj>(Watcher.relist, { _tag: "Listed", resourceVersion: String(listed) })
          let expected = String(listed)
          for (const event of events) {
            state = Watcher.step(state, { _tag: "Event", event })
            expected = positionOf(event) ?? expected
          }
          assert.deepStrictEqual(state, Watcher.watchingFrom(expected))
          assert.deepStrictEqual(Watcher.step<Obj>(state, { _tag: end }), Watcher.relist)
        }
      )
    ))
})

describe("InformerStats", () => {
  it("counts each occurrence into its field", () => {
    const stats = [
      { _tag: "Listed", malformed: 2, at: 10 },
      { _tag: "WatchStarted" },
      { _tag: "WatchEvent", malformed: true, at: 20 },
      { _tag: "WatchEvent", malformed: false, at: 30 },
      { _tag: "Restarted", reason: "gone" },
      { _tag: "Restarted", reason: "silent" },
      { _tag: "Restarted", reason: "error" },
      { _tag: "Restarted", reason: "error" }
    ] as const
    assert.deepStrictEqual(stats.reduce(countIn, emptyStats), {
      lists: 1,
      watches: 1,
      gone: 1,
      watchdogRestarts: 1,
      errors: 2,
      malformed: 3,
      lastActivity: 30
    })
  })
})
