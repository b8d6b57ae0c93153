import { assert, describe, it } from "@effect/vitest"
import { Result, Schema } from "effect"
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
  ObservedKey,
  ObservedTeam,
  ObservedUser,
  TeamMemberAssociationSpec,
  TeamSpec,
  UserSpec,
  VirtualKeySpec
} from "../src/index.ts"

const roundTrips = <A>(schema: Schema.Codec<A, unknown>, arb: fc.Arbitrary<A>) =>
  fc.assert(
    fc.property(arb, (value) => {
      const decoded = Schema.decodeUnknownResult(schema)(value)
      assert.isTrue(Result.isSuccess(decoded), Result.isFailure(decoded) ? decoded.failure.message : "")
      if (Result.isSuccess(decoded)) assert.deepStrictEqual(decoded.success, value)
    }),
    { numRuns: 200 }
  )

describe("the arbitraries produce values the schemas accept unchanged", () => {
  it("Team", () => roundTrips(TeamSpec, teamSpecArb))
  it("User", () => roundTrips(UserSpec, userSpecArb))
  it("VirtualKey", () => roundTrips(VirtualKeySpec, virtualKeySpecArb))
  it("TeamMemberAssociation", () => roundTrips(TeamMemberAssociationSpec, teamMemberAssociationSpecArb))
  it("observed team", () => roundTrips(ObservedTeam, observedTeamArb))
  it("observed user", () => roundTrips(ObservedUser, observedUserArb))
  it("observed key", () => roundTrips(ObservedKey, observedKeyArb))
})

describe("invalid specs are rejected with the field named", () => {
  const cases: ReadonlyArray<readonly [string, Schema.Codec<unknown, unknown>, unknown, string]> = [
    ["no connection", TeamSpec, { teamAlias: "a" }, "connectionRef"],
    [
      "both connections",
      TeamSpec,
      { teamAlias: "a", connectionRef: { secretRef: { name: "s" }, instanceRef: { name: "i" } } },
      "exactly one of secretRef and instanceRef"
    ],
    ["neither connection", TeamSpec, { teamAlias: "a", connectionRef: {} }, "exactly one of secretRef and instanceRef"],
    [
      "negative budget",
      TeamSpec,
      { teamAlias: "a", connectionRef: { secretRef: { name: "s" } }, maxBudget: "-5" },
      "maxBudget"
    ],
    [
      "bad duration",
      VirtualKeySpec,
      { keyAlias: "k", connectionRef: { secretRef: { name: "s" } }, duration: "30" },
      "duration"
    ],
    [
      "bad role",
      TeamMemberAssociationSpec,
      { teamAlias: "t", userEmail: "u", role: "owner", connectionRef: { secretRef: { name: "s" } } },
      "role"
    ],
    [
      "bad user role",
      UserSpec,
      { userEmail: "u", userRole: "god", connectionRef: { secretRef: { name: "s" } } },
      "userRole"
    ],
    [
      "custom key without sk-",
      VirtualKeySpec,
      { keyAlias: "k", key: "abc", connectionRef: { secretRef: { name: "s" } } },
      "key"
    ],
    [
      "fractional limit",
      VirtualKeySpec,
      { keyAlias: "k", rpmLimit: 1.5, connectionRef: { secretRef: { name: "s" } } },
      "rpmLimit"
    ],
    [
      "non-numeric per-model limit",
      UserSpec,
      { userEmail: "u", modelRPMLimit: { m: "ten" }, connectionRef: { secretRef: { name: "s" } } },
      "modelRPMLimit"
    ]
  ]
  for (const [name, schema, input, mention] of cases) {
    it(name, () => {
      const r = Schema.decodeUnknownResult(schema)(input, { errors: "all" })
      assert.isTrue(Result.isFailure(r))
      if (Result.isFailure(r)) assert.include(r.failure.message, mention)
    })
  }
})
