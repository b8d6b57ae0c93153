/**
 * List-based observation through the real client against the simulator: a
 * resync wave over generated objects of every kind plans nothing from list
 * rows (a list row says what a read by id says), costs a page per kind
 * instead of a read per object, and never answers about an object it wrote
 * since the list, about a stale list, or after a cascading delete; a list
 * keeps only the objects asked about lately, and is let go as soon as it is stale.
 */
import { createHash } from "node:crypto"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it, layer } from "@effect/vitest"
import type {
  KeyIntent,
  LastApplied,
  MembershipDesired,
  TeamSpec,
  UserSpec,
  VirtualKeySpec
} from "@litellm-operator/core"
import { teamSpecArb, userSpecArb, virtualKeySpecArb } from "@litellm-operator/core/arbitraries"
import { LiteLLMClient } from "@litellm-operator/litellm"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Effect, Option, Redacted, Stream } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { observeKind, withListObservation } from "../src/reconcile/ListObservation.ts"
import { syncKey } from "../src/reconcile/syncKey.ts"
import { syncMembership } from "../src/reconcile/syncMembership.ts"
import { syncTeam } from "../src/reconcile/syncTeam.ts"
import { syncUser } from "../src/reconcile/syncUser.ts"

const masterKey = Redacted.make("sk-master-list-test-0123456789")
const samples = 30
const minDemand = 5
const maxAge = 60_000
const live = { deleting: false, deletionPolicy: "Delete" } as const
const none: LastApplied = { fields: [] }
const raw = (i: number) => `sk-list-${i}-${"y".repeat(20)}`
const tokenOf = (s: string) => createHash("sha256").update(s).digest("hex")

const clients = Effect.gen(function* () {
  const sim = yield* Simulator
  const plain = yield* LiteLLMClient.make({ url: sim.url, masterKey, timeout: "5 seconds" })
  return { plain, observed: yield* withListObservation(plain, { maxAge, minDemand }) }
}).pipe(Effect.provide(NodeHttpClient.dispatcherLayerGlobal))

const teamSpecs = fc
  .sample(teamSpecArb, { numRuns: samples, seed: 17 })
  .map(({ organizationID: _o, ...spec }, i): TeamSpec => ({ ...spec, teamAlias: `${spec.teamAlias}-lt-${i}` }))
const userSpecs = fc.sample(userSpecArb, { numRuns: samples, seed: 18 }).map(
  ({ teams: _t, ...spec }, i): UserSpec => ({
    ...spec,
    userEmail: `lu${i}-${spec.userEmail}`,
    ...(spec.keyAlias === undefined ? {} : { keyAlias: `${spec.keyAlias}-lu-${i}` })
  })
)
const keySpecs = fc
  .sample(virtualKeySpecArb, { numRuns: samples, seed: 19 })
  .map(({ budgetID: _b, ...spec }, i): VirtualKeySpec => ({ ...spec, keyAlias: `${spec.keyAlias}-lk-${i}` }))

describe("list-based observation", () => {
  it.effect("a snapshot's rows are let go once it is stale, with no read to notice it", () =>
    Effect.gen(function* () {
      const rows = ["a", "b", "c"].map((id) => ({ id, value: 1 }))
      let lists = 0
      let readsById = 0
      const kind = yield* observeKind({
        name: "rows",
        settings: { maxAge, minDemand: 2 },
        pages: Stream.fromEffect(
          Effect.sync(() => {
            lists++
            return rows
          })
        ),
        idOf: (row) => row.id,
        readOne: (id) =>
          Effect.sync(() => {
            readsById++
            return Option.fromUndefinedOr(rows.find((row) => row.id === id))
          })
      })
      // The second read makes a list worth its page (and is answered from it); it keeps the rows asked about.
      yield* kind.read("a")
      yield* kind.read("b")
      assert.strictEqual(lists, 1)
      assert.strictEqual(yield* kind.held, 2)
      assert.isTrue(Option.isSome(yield* kind.read("a")), "answered from the snapshot")
      assert.strictEqual(readsById, 1)
      yield* TestClock.adjust(maxAge - 1)
      assert.strictEqual(yield* kind.held, 2, "still fresh: still held")
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* kind.held, 0, "stale: let go without waiting for a read")
      // Reads go on as before: the stale snapshot would not have answered them either.
      assert.strictEqual(lists, 1)
      yield* kind.read("a")
      assert.strictEqual(readsById, 1, "the list paid for itself, so it is taken again and answers")
      assert.strictEqual(lists, 2)
      assert.strictEqual(yield* kind.held, 2, "the rows asked about lately")
    })
  )

  it.effect("a list of many pages keeps, page by page, only the rows asked about", () =>
    Effect.gen(function* () {
      const page = (n: number) => Array.from({ length: 100 }, (_, i) => ({ id: `r${n * 100 + i}`, value: n }))
      let readsById = 0
      const kind = yield* observeKind({
        name: "rows",
        settings: { maxAge, minDemand: 2 },
        pages: Stream.fromIterable([0, 1, 2]).pipe(Stream.map(page)),
        idOf: (row) => row.id,
        readOne: () =>
          Effect.sync(() => {
            readsById++
            return Option.none()
          })
      })
      yield* kind.read("r5")
      yield* kind.read("r250")
      assert.strictEqual(readsById, 1, "the first read went by id; the second took the list")
      assert.strictEqual(yield* kind.held, 2, "of 300 rows on 3 pages, the 2 asked about")
      assert.isTrue(Option.isSome(yield* kind.read("r5")), "a row of the first page, from the snapshot")
      assert.isTrue(Option.isSome(yield* kind.read("r250")), "a row of the last page, from the snapshot")
      assert.strictEqual(readsById, 1)
    })
  )

  layer(Simulator.layer({ masterKey, seed: 3, profile: { enterprise: true } }))((it) => {
    it.effect(
      "a resync wave plans nothing from list rows and reads a page per kind; writes and cascades are read by id",
      () =>
        Effect.gen(function* () {
          const sim = yield* Simulator
          const { plain, observed } = yield* clients

          // Converge everything through the plain client, remembering what each sync applied.
          const teams = yield* Effect.forEach(teamSpecs, (spec, i) =>
            Effect.map(syncTeam(plain, { teamId: `lt-${i}`, spec, ...live }, none), (s) => ({
              desired: { teamId: `lt-${i}`, spec, ...live },
              applied: s.plan.applied
            }))
          )
          const users = yield* Effect.forEach(userSpecs, (spec, i) => {
            const rawKey = raw(1000 + i)
            const key = spec.autoCreateKey === true ? { key: Redacted.make(rawKey), token: tokenOf(rawKey) } : undefined
            const desired = { userId: `lu-${i}`, spec, key, ...live }
            return Effect.map(syncUser(plain, desired, { lastApplied: none, previousToken: undefined }), (s) => ({
              desired,
              applied: s.plan.applied
            }))
          })
          const keys = yield* Effect.forEach(keySpecs, (spec, i) => {
            const { connectionRef: _c, key: _k, ...intent } = spec
            const desired = {
              key: Redacted.make(raw(i)),
              token: tokenOf(raw(i)),
              intent: intent satisfies KeyIntent,
              ...live
            }
            return Effect.map(syncKey(plain, desired, { lastApplied: none, previousToken: undefined }), (s) => ({
              desired,
              applied: s.plan.applied
            }))
          })
          const membership: MembershipDesired = {
            teamId: "lt-0",
            userId: "lu-0",
            spec: {
              connectionRef: { secretRef: { name: "litellm" } },
              teamAlias: teamSpecs[0]?.teamAlias ?? "",
              userEmail: "",
              role: "admin",
              maxBudgetInTeam: "7"
            },
            ...live
          }
          const member = yield* syncMembership(plain, membership, none)

          // A resync wave: every object synced again through the observed client.
          const wave = Effect.gen(function* () {
            for (const t of teams) {
              const again = yield* syncTeam(observed, t.desired, t.applied)
              assert.deepStrictEqual(again.plan.actions, [], `team ${t.desired.teamId} from a list row`)
            }
            for (const u of users) {
              const again = yield* syncUser(observed, u.desired, {
                lastApplied: u.applied,
                previousToken: u.desired.key?.token
              })
              assert.deepStrictEqual(again.plan.actions, [], `user ${u.desired.userId} from a list row`)
            }
            for (const k of keys) {
              const again = yield* syncKey(observed, k.desired, {
                lastApplied: k.applied,
                previousToken: k.desired.token
              })
              assert.deepStrictEqual(again.plan.actions, [], `key ${k.desired.token} from a list row`)
            }
            const memberAgain = yield* syncMembership(observed, membership, member.plan.applied)
            assert.deepStrictEqual(memberAgain.plan.actions, [], "membership from the team list's rows")
            assert.deepStrictEqual(memberAgain.membership, member.membership)
          })
          // The first wave teaches the observer which objects are the operator's (a list keeps only
          // those); the next one, once the first list is stale, is answered from a list.
          yield* wave
          yield* TestClock.adjust(maxAge)
          yield* sim.resetCalls
          yield* wave

          const calls = yield* sim.calls
          // Until `minDemand` objects of a kind were read one by one, then one list; users' keys count as keys.
          assert.strictEqual(calls["GET /team/info"], minDemand - 1)
          assert.strictEqual(calls["GET /team/list"], 1)
          assert.strictEqual(calls["GET /user/info"], minDemand - 1)
          assert.strictEqual(calls["GET /user/list"], 1)
          assert.isAtMost(calls["GET /key/info"] ?? 0, minDemand - 1)
          assert.strictEqual(calls["GET /key/list"], 1)
          const total = Object.values(calls).reduce((a, b) => a + b, 0)
          const objects = teams.length + users.length + keys.length + 1
          assert.isAtMost(total, 3 * minDemand, `${total} calls for ${objects} objects`)

          // A write: the object is read by id until the next list.
          const first = teams[0]
          assert.isDefined(first)
          if (first === undefined) return
          const changed = { ...first.desired, spec: { ...first.desired.spec, maxBudget: "123" } }
          yield* sim.resetCalls
          const written = yield* syncTeam(observed, changed, first.applied)
          assert.strictEqual(written.plan.actions.length, 1)
          assert.strictEqual(written.team?.max_budget, 123, "read back by id after the write")
          const after = yield* syncTeam(observed, changed, written.plan.applied)
          assert.deepStrictEqual(after.plan.actions, [])
          assert.deepStrictEqual(yield* sim.calls, { "POST /team/update": 1, "GET /team/info": 2 })

          // Out of band: unseen while the list is fresh, seen once it is stale and listed again.
          const drifted = keys[1]
          assert.isDefined(drifted)
          if (drifted === undefined) return
          yield* plain.keyUpdate(drifted.desired.token, { max_budget: 999 })
          const stillFresh = yield* syncKey(observed, drifted.desired, {
            lastApplied: drifted.applied,
            previousToken: drifted.desired.token
          })
          assert.deepStrictEqual(stillFresh.plan.actions, [], "the fresh list is what the wave goes by")
          yield* TestClock.adjust(maxAge)
          yield* sim.resetCalls
          let corrected = false
          for (const k of keys.slice(1)) {
            const s = yield* syncKey(observed, k.desired, { lastApplied: k.applied, previousToken: k.desired.token })
            if (k === drifted) corrected = s.plan.actions.some((a) => a._tag === "KeyUpdate")
          }
          assert.isTrue(corrected, "the drift was planned away from the next list")
          assert.strictEqual((yield* sim.calls)["GET /key/list"], 1)

          // A cascading delete: the key list is not trusted again until a new one is taken.
          const doomed = yield* plain.teamNew("lt-doomed", {})
          yield* plain.keyGenerate(Redacted.make(raw(5000)), { team_id: doomed.team_id })
          yield* TestClock.adjust(maxAge)
          for (const k of keys) yield* observed.keyInfo(k.desired.token)
          assert.isTrue((yield* observed.keyInfo(tokenOf(raw(5000)))).pipe((o) => o._tag === "Some"))
          yield* observed.execute({ _tag: "TeamDelete", teamId: "lt-doomed" })
          yield* sim.resetCalls
          assert.strictEqual((yield* observed.keyInfo(tokenOf(raw(5000))))._tag, "None", "deleted with its team")
          assert.strictEqual((yield* sim.calls)["GET /key/info"], 1)
        })
    )

    it.effect("a read that finds a first list under way reads by id; once lists pay for themselves, it waits", () =>
      Effect.gen(function* () {
        const sim = yield* Simulator
        const { plain, observed } = yield* clients
        const tokens = Array.from({ length: minDemand + 1 }, (_, i) => tokenOf(raw(7000 + i)))
        for (let i = 0; i <= minDemand; i++) yield* plain.keyGenerate(Redacted.make(raw(7000 + i)))
        yield* sim.resetCalls
        for (const token of tokens.slice(0, minDemand - 1)) yield* observed.keyInfo(token)
        yield* sim.setFaults([{ endpoint: "/key/list", kind: "latency", latencyMs: 300 }])
        // Both reads make a list worth taking; one takes it, the other does not wait.
        const [listed, byId] = yield* Effect.all(
          [observed.keyInfo(tokens[minDemand - 1] ?? ""), observed.keyInfo(tokens[minDemand] ?? "")],
          { concurrency: 2 }
        )
        yield* sim.setFaults([])
        assert.strictEqual(listed._tag, "Some")
        assert.strictEqual(byId._tag, "Some")
        const calls = yield* sim.calls
        assert.strictEqual(calls["GET /key/list"], 1)
        assert.strictEqual(
          calls["GET /key/info"],
          minDemand,
          "the reads before the list, and the one that did not wait"
        )

        // The list answers a resync wave; when it is stale, the next one is worth waiting for.
        for (const token of tokens) assert.strictEqual((yield* observed.keyInfo(token))._tag, "Some")
        yield* TestClock.adjust(maxAge)
        yield* sim.resetCalls
        yield* sim.setFaults([{ endpoint: "/key/list", kind: "latency", latencyMs: 300 }])
        const wave = yield* Effect.all(
          tokens.map((token) => observed.keyInfo(token)),
          { concurrency: 4 }
        )
        yield* sim.setFaults([])
        assert.isTrue(wave.every((o) => o._tag === "Some"))
        assert.deepStrictEqual(yield* sim.calls, { "GET /key/list": 1 }, "every read of the wave waited for the list")
      })
    )

    it.effect(
      "a list LiteLLM refuses (a key that may not list) leaves reads by id, tried again per `minDemand` reads",
      () =>
        Effect.gen(function* () {
          const sim = yield* Simulator
          const { plain, observed } = yield* clients
          for (let i = 0; i < minDemand * 2; i++) yield* plain.teamNew(`lf-${i}`, {})
          yield* sim.setFaults([{ endpoint: "/team/list", kind: "error", status: 403 }])
          yield* sim.resetCalls
          for (let i = 0; i < minDemand * 2; i++)
            assert.strictEqual((yield* observed.teamInfo(`lf-${i}`))._tag, "Some", `team lf-${i}`)
          const calls = yield* sim.calls
          assert.strictEqual(calls["GET /team/info"], minDemand * 2)
          // One failed list per `minDemand` reads, not one per read.
          assert.strictEqual(calls["GET /team/list"], 2)
          yield* sim.setFaults([])
        })
    )
  })
})
