/**
 * `jsonCopy` is what keeps the informer caches and list snapshots compact; it
 * is only correct for plain JSON data. The four kinds (spec and status, as
 * their schemas decode them) and LiteLLM's rows are: each copy equals what
 * was decoded.
 */
import { getHeapStatistics, setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import fc from "fast-check"
import {
  observedKeyArb,
  observedTeamArb,
  observedUserArb,
  teamMemberAssociationSpecArb,
  teamSpecArb,
  userSpecArb,
  virtualKeySpecArb
} from "../src/arbitraries/index.ts"
import {
  jsonCopy,
  keyMirror,
  ObservedKey,
  ObservedTeam,
  ObservedUser,
  TeamMemberAssociationSpec,
  TeamSpec,
  TeamStatus,
  teamMirror,
  UserSpec,
  UserStatus,
  userMirror,
  VirtualKeySpec,
  VirtualKeyStatus,
  withReady
} from "../src/index.ts"

/** Decoded from JSON, as an informer or the LiteLLM client decodes it. */
const decoded =
  <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S) =>
  (value: unknown): S["Type"] =>
    Schema.decodeUnknownSync(schema)(JSON.parse(JSON.stringify(value)))

const same = <A>(arb: fc.Arbitrary<A>, decode: (value: A) => unknown) =>
  fc.assert(
    fc.property(arb, (value) => {
      const original = decode(value)
      assert.deepStrictEqual(jsonCopy(original), original)
    }),
    { numRuns: 200 }
  )

const ready = withReady({
  previous: undefined,
  generation: 3,
  now: "2026-12-02T16:13:48Z",
  outcome: { _tag: "Reconciled", warnings: [] }
})

describe("jsonCopy", () => {
  it("copies the four kinds' specs exactly", () => {
    same(teamSpecArb, decoded(TeamSpec))
    same(userSpecArb, decoded(UserSpec))
    same(virtualKeySpecArb, decoded(VirtualKeySpec))
    same(teamMemberAssociationSpecArb, decoded(TeamMemberAssociationSpec))
  })

  it("copies their statuses exactly", () => {
    same(observedKeyArb, (key) => decoded(VirtualKeyStatus)({ ...keyMirror(key), conditions: ready }))
    same(observedTeamArb, (team) => decoded(TeamStatus)({ ...teamMirror(team), conditions: ready }))
    same(observedUserArb, (user) => decoded(UserStatus)({ ...userMirror(user), conditions: ready }))
  })

  it("takes less memory than what a schema decodes: a LiteLLM key row about 1 KB less", () => {
    setFlagsFromString("--expose-gc")
    const gc: unknown = runInNewContext("gc")
    const collect = () => {
      if (typeof gc === "function") gc()
      return getHeapStatistics().used_heap_size
    }
    const decode = decoded(ObservedKey)
    const rows = fc.sample(observedKeyArb, { numRuns: 5_000, seed: 7 }).map(decode)
    const before = collect()
    rows.forEach((row, i) => {
      rows[i] = jsonCopy(row)
    })
    const saved = (before - collect()) / rows.length
    assert.isAtLeast(saved, 1000, `${saved.toFixed(0)} bytes saved per row`)
  })

  it("copies LiteLLM's rows exactly", () => {
    same(observedKeyArb, decoded(ObservedKey))
    same(observedTeamArb, decoded(ObservedTeam))
    same(observedUserArb, decoded(ObservedUser))
  })
})
