/**
 * The bounds of the API in the core schemas: what admission refuses, the
 * operator's own decoding refuses too (an object admitted by an older CRD, or
 * with validation off, gets Ready=False InvalidSpec with this message).
 */
import { assert, describe, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import fc from "fast-check"
import {
  bounds,
  codePoints,
  Duration,
  maxDurationAmounts,
  TeamMemberAssociationSpec,
  TeamSpec,
  UserSpec,
  unsafeCharacter,
  VirtualKeySpec
} from "../src/index.ts"

const connectionRef = { secretRef: { name: "litellm" } }
const team = { connectionRef, teamAlias: "platform" }
const user = { connectionRef, userEmail: "ada@example.com" }
const key = { connectionRef, keyAlias: "ci" }
const tma = { connectionRef, teamAlias: "platform", userEmail: "ada@example.com", role: "user" }
const MiB = 1024 * 1024
const many = (n: number) => Array.from({ length: n }, (_, i) => `m-${i}`)
const entries = (n: number, value: (i: number) => unknown = (i) => `v${i}`) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value(i)]))
const unsafe = "must not contain control characters"

const refused: ReadonlyArray<
  readonly [name: string, schema: Schema.Codec<unknown, unknown>, input: unknown, mentions: ReadonlyArray<string>]
> = [
  ["a 1 MiB teamAlias", TeamSpec, { ...team, teamAlias: "a".repeat(MiB) }, ["teamAlias", "at most 256 characters"]],
  ["a newline in teamAlias", TeamSpec, { ...team, teamAlias: "a\nb" }, ["teamAlias", unsafe, "U+000A"]],
  ["a tab in teamID", TeamSpec, { ...team, teamID: "a\tb" }, ["teamID", unsafe, "U+0009"]],
  ["U+202E in teamAlias", TeamSpec, { ...team, teamAlias: "a\u202eb" }, ["teamAlias", unsafe, "U+202E"]],
  ["U+200B in teamAlias", TeamSpec, { ...team, teamAlias: "a\u200bb" }, ["teamAlias", unsafe, "U+200B"]],
  ["a C1 control in organizationID", TeamSpec, { ...team, organizationID: "a\u0085" }, ["organizationID", "U+0085"]],
  ["a lone surrogate in teamAlias", TeamSpec, { ...team, teamAlias: "a\ud800" }, ["teamAlias", unsafe]],
  [
    "budgetDuration 999999999w",
    TeamSpec,
    { ...team, budgetDuration: "999999999w" },
    ["budgetDuration", "at most 100 years", "5217w"]
  ],
  ["257 models", TeamSpec, { ...team, models: many(257) }, ["models", "at most 256 items"]],
  ["a 257-character model", TeamSpec, { ...team, models: ["m".repeat(257)] }, ["models", "at most 256 characters"]],
  ["a huge metadata map", TeamSpec, { ...team, metadata: entries(10_000) }, ["metadata", "at most 64 entries"]],
  ["a 1 MiB metadata value", TeamSpec, { ...team, metadata: { big: "x".repeat(MiB) } }, ["metadata", "1024"]],
  ["a newline in a metadata key", TeamSpec, { ...team, metadata: { "a\nb": "x" } }, ["metadata", "key", unsafe]],
  [
    "a 1 MiB metadata key",
    TeamSpec,
    { ...team, metadata: { ["k".repeat(MiB)]: "x" } },
    ["metadata", "key", "at most 256 characters"]
  ],
  ["rpmLimit above 10^12", TeamSpec, { ...team, rpmLimit: 1e13 }, ["rpmLimit", "1000000000000"]],
  ["a BEL in userEmail", UserSpec, { ...user, userEmail: "a\u0007@example.com" }, ["userEmail", unsafe]],
  [
    "a 321-character userEmail",
    UserSpec,
    { ...user, userEmail: `${"a".repeat(309)}@example.com` },
    ["userEmail", "at most 320 characters"]
  ],
  ["a 1201-month key duration", UserSpec, { ...user, duration: "1201mo" }, ["duration", "1200mo"]],
  [
    "257 per-model budgets",
    UserSpec,
    { ...user, modelMaxBudget: entries(257, () => "1") },
    ["modelMaxBudget", "at most 256 entries"]
  ],
  ["a soft hyphen in userAlias", UserSpec, { ...user, userAlias: "a\u00adb" }, ["userAlias", "U+00AD"]],
  [
    "a negative per-model RPM limit",
    VirtualKeySpec,
    { ...key, modelRPMLimit: { "gpt-4o": -1 } },
    ["modelRPMLimit", "gpt-4o", "greater than or equal to 0"]
  ],
  [
    "a negative per-model TPM limit",
    VirtualKeySpec,
    { ...key, modelTPMLimit: { "gpt-4o": -5 } },
    ["modelTPMLimit", "greater than or equal to 0"]
  ],
  [
    "a per-model TPM limit above 10^12",
    VirtualKeySpec,
    { ...key, modelTPMLimit: { "gpt-4o": 2e12 } },
    ["modelTPMLimit", "1000000000000"]
  ],
  ["65 config entries", VirtualKeySpec, { ...key, config: entries(65) }, ["config", "at most 64 entries"]],
  ["U+2066 in a tag", VirtualKeySpec, { ...key, tags: ["a\u2066"] }, ["tags", "U+2066"]],
  ["U+200D in an alias value", VirtualKeySpec, { ...key, aliases: { fast: "gpt\u200d4o" } }, ["aliases", "U+200D"]],
  [
    "a newline in the connection Secret's name",
    VirtualKeySpec,
    { ...key, connectionRef: { secretRef: { name: "a\nb" } } },
    ["connectionRef", "name", unsafe]
  ],
  [
    "a 1 MiB userEmail on an association",
    TeamMemberAssociationSpec,
    { ...tma, userEmail: "a".repeat(MiB) },
    ["userEmail", "320"]
  ]
]

describe("the core schemas refuse what admission refuses, naming the field and the limit", () => {
  for (const [name, schema, input, mentions] of refused) {
    it(name, () => {
      const r = Schema.decodeUnknownResult(schema)(input)
      assert.isTrue(Result.isFailure(r), "accepted")
      if (Result.isFailure(r)) {
        for (const m of mentions) assert.include(r.failure.message, m)
        // The message goes into a condition: it never repeats a huge value.
        assert.isBelow(r.failure.message.length, 1000)
      }
    })
  }
})

describe("objects at every bound decode", () => {
  it("names, lists, maps, durations and limits at their maximum", () => {
    const decode = (schema: Schema.Codec<unknown, unknown>, input: unknown) => {
      const r = Schema.decodeUnknownResult(schema)(input)
      assert.isTrue(Result.isSuccess(r), Result.isFailure(r) ? r.failure.message : "")
    }
    decode(TeamSpec, {
      ...team,
      teamAlias: "名".repeat(bounds.identifier),
      teamID: "😀".repeat(bounds.identifier),
      budgetDuration: "36525d",
      models: many(bounds.listItems),
      metadata: entries(bounds.mapEntries, () => "x\n\ty".padEnd(bounds.freeformValue, "z")),
      rpmLimit: bounds.limit
    })
    decode(UserSpec, {
      ...user,
      userEmail: `${"a".repeat(bounds.email - 12)}@example.com`,
      duration: "1200mo",
      modelRPMLimit: entries(bounds.modelMapEntries, () => "999999999999")
    })
    decode(VirtualKeySpec, {
      ...key,
      duration: "999999999s",
      modelTPMLimit: entries(bounds.modelMapEntries, () => bounds.limit),
      config: entries(bounds.mapEntries)
    })
  })

  it("every unit's longest duration is accepted and one more is refused", () => {
    for (const [unit, max] of Object.entries(maxDurationAmounts)) {
      assert.isTrue(Result.isSuccess(Schema.decodeUnknownResult(Duration)(`${max}${unit}`)), `${max}${unit}`)
      if (unit !== "s") {
        const r = Schema.decodeUnknownResult(Duration)(`${max + 1}${unit}`)
        assert.isTrue(Result.isFailure(r), `${max + 1}${unit}`)
      }
    }
  })
})

describe("unsafe characters", () => {
  // Control (Cc) and format (Cf) characters, line and paragraph separators, by code point.
  const unsafeCodePoints = [
    ...Array.from({ length: 0x20 }, (_, i) => i),
    ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
    0xad,
    0x061c,
    0x180e,
    ...Array.from({ length: 5 }, (_, i) => 0x200b + i),
    ...Array.from({ length: 7 }, (_, i) => 0x2028 + i),
    ...Array.from({ length: 5 }, (_, i) => 0x2060 + i),
    ...Array.from({ length: 10 }, (_, i) => 0x2066 + i),
    0xfeff,
    0xfff9,
    0xe0001
  ]

  it("each one is found wherever it sits in a name, and named by its code point", () =>
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.constantFrom(...unsafeCodePoints),
        fc.string({ maxLength: 20 }),
        (before, cp, after) => {
          const found = unsafeCharacter(`${before}${String.fromCodePoint(cp)}${after}`)
          assert.isDefined(found)
          assert.include(found ?? "", unsafe)
        }
      )
    ))

  it("names in any script, with spaces and punctuation, are safe", () =>
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 30 }).filter((s) => !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u.test(s)),
        (s) => {
          assert.isUndefined(unsafeCharacter(s))
        }
      )
    ))

  it("lengths are counted in code points, as Kubernetes counts them", () => {
    assert.strictEqual(codePoints("😀".repeat(256)), 256)
    assert.strictEqual(codePoints("a名😀"), 3)
  })
})
