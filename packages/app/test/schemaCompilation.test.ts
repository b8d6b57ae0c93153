/**
 * The operator's entry (main.ts) turns on Effect's schema JIT compiler: every
 * decoder becomes generated code instead of the interpreter. These properties
 * say the two agree on what the operator decodes from the outside (the four
 * kinds as the API server sends them, Secrets, LiteLLM's rows): the same
 * value for valid input, the same message for invalid input.
 *
 * The interpreted results are computed first; only then is each schema
 * compiled (a decoder keeps the parser it first used), and the same inputs are
 * decoded again.
 */
import { assert, describe, it } from "@effect/vitest"
import {
  Condition,
  ObservedKey,
  ObservedTeam,
  ObservedUser,
  TeamMemberAssociationSpec,
  TeamSpec,
  UserSpec,
  VirtualKeySpec
} from "@litellm-operator/core"
import {
  nameArb,
  observedKeyArb,
  observedTeamArb,
  observedUserArb,
  teamMemberAssociationSpecArb,
  teamSpecArb,
  userSpecArb,
  virtualKeySpecArb
} from "@litellm-operator/core/arbitraries"
import {
  Secret,
  TeamMemberAssociationResource,
  TeamResource,
  UserResource,
  VirtualKeyResource
} from "@litellm-operator/k8s"
import { Exit, Redacted, Schema } from "effect"
import { SchemaJITCompiler } from "effect/schema"
import fc from "fast-check"

const metadataArb = fc.record(
  {
    name: nameArb,
    namespace: nameArb,
    uid: fc.uuid(),
    resourceVersion: fc.nat().map(String),
    generation: fc.integer({ min: 1, max: 1000 }),
    creationTimestamp: fc.constant("2026-12-03T03:00:00Z"),
    finalizers: fc.array(nameArb, { maxLength: 2 }),
    labels: fc.dictionary(nameArb, nameArb, { maxKeys: 2 }),
    // Fields the schemas do not name: left out of the decoded value by both.
    managedFields: fc.array(fc.record({ manager: nameArb }), { maxLength: 1 })
  },
  { requiredKeys: ["name", "namespace", "uid", "resourceVersion", "generation"] }
)

const conditionsArb = fc.array(
  fc.record({
    type: fc.constant("Ready"),
    status: fc.constantFrom("True", "False", "Unknown"),
    observedGeneration: fc.integer({ min: 1, max: 1000 }),
    lastTransitionTime: fc.constant("2026-12-03T03:00:01Z"),
    reason: nameArb,
    message: fc.string({ maxLength: 20 })
  }),
  { maxLength: 2 }
)

const envelope = <S>(kind: string, spec: Schema.Codec<S, unknown>, specArb: fc.Arbitrary<S>) =>
  fc.record(
    {
      apiVersion: fc.constant("auth.litellm.ai/v1alpha1"),
      kind: fc.constant(kind),
      metadata: metadataArb,
      spec: specArb.map((value) => Schema.encodeSync(spec)(value)),
      status: fc.record({ conditions: conditionsArb }, { requiredKeys: [] })
    },
    { requiredKeys: ["apiVersion", "kind", "metadata", "spec"] }
  )

const secretArb = fc.record(
  {
    apiVersion: fc.constant("v1"),
    kind: fc.constant("Secret"),
    metadata: metadataArb,
    type: fc.constant("Opaque"),
    data: fc.dictionary(
      nameArb,
      fc.string({ maxLength: 24 }).map((s) => Buffer.from(s).toString("base64")),
      { maxKeys: 3 }
    )
  },
  { requiredKeys: ["apiVersion", "kind", "metadata"] }
)

/** Some input, and the same with one value somewhere replaced by any JSON (usually no longer valid). */
const withBreakage = <A>(valid: fc.Arbitrary<A>): fc.Arbitrary<unknown> =>
  fc.oneof(
    valid,
    fc
      .tuple(valid, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }))
      .map(([value, path, replacement]) => replaceAt(structuredClone(value), path, replacement))
  )

const replaceAt = (value: unknown, path: ReadonlyArray<number>, replacement: unknown): unknown => {
  if (path.length === 0 || typeof value !== "object" || value === null) return replacement
  const keys = Object.keys(value)
  if (keys.length === 0) return replacement
  const key = keys[(path[0] ?? 0) % keys.length] ?? ""
  const [, ...rest] = path
  const record: Record<string, unknown> = Object.fromEntries(Object.entries(value))
  record[key] = replaceAt(record[key], rest, replacement)
  return Array.isArray(value) ? Object.values(record) : record
}

/** Redacted values compare by what they hold; everything else structurally. */
const plain = (u: unknown): unknown =>
  Redacted.isRedacted(u)
    ? { redacted: Redacted.value(u) }
    : Array.isArray(u)
      ? u.map(plain)
      : typeof u === "object" && u !== null
        ? Object.fromEntries(Object.entries(u).map(([k, v]) => [k, plain(v)]))
        : u

const outcome = (exit: Exit.Exit<unknown, Schema.SchemaError>) =>
  Exit.isSuccess(exit) ? { ok: plain(exit.value) } : { error: String(exit.cause) }

interface Case {
  readonly name: string
  readonly schema: Schema.Codec<unknown, unknown>
  readonly samples: ReadonlyArray<unknown>
  readonly interpreted: ReadonlyArray<ReturnType<typeof outcome>>
}

const sampled = <A>(name: string, schema: Schema.Codec<A, unknown>, inputs: fc.Arbitrary<unknown>) => ({
  name,
  schema,
  samples: fc.sample(inputs, { numRuns: 300, seed: 20261203 })
})

// Every case is decoded by the interpreter before any schema is compiled: schemas share parts (metadata,
// strings), and a part compiled for one case would otherwise be used by the next case's interpreted run.
const cases: ReadonlyArray<Case> = [
  sampled("Team", TeamResource, withBreakage(envelope("Team", TeamSpec, teamSpecArb))),
  sampled("User", UserResource, withBreakage(envelope("User", UserSpec, userSpecArb))),
  sampled("VirtualKey", VirtualKeyResource, withBreakage(envelope("VirtualKey", VirtualKeySpec, virtualKeySpecArb))),
  sampled(
    "TeamMemberAssociation",
    TeamMemberAssociationResource,
    withBreakage(envelope("TeamMemberAssociation", TeamMemberAssociationSpec, teamMemberAssociationSpecArb))
  ),
  sampled("Secret", Secret, withBreakage(secretArb)),
  sampled("LiteLLM key row", ObservedKey, withBreakage(observedKeyArb.map((k) => Schema.encodeSync(ObservedKey)(k)))),
  sampled(
    "LiteLLM team row",
    ObservedTeam,
    withBreakage(observedTeamArb.map((t) => Schema.encodeSync(ObservedTeam)(t)))
  ),
  sampled(
    "LiteLLM user row",
    ObservedUser,
    withBreakage(observedUserArb.map((u) => Schema.encodeSync(ObservedUser)(u)))
  ),
  sampled("condition", Condition, withBreakage(conditionsArb.map((c) => c[0] ?? { type: "Ready" })))
].map((c) => ({ ...c, interpreted: c.samples.map((input) => outcome(Schema.decodeUnknownExit(c.schema)(input))) }))

describe("compiled decoders agree with the interpreter", () => {
  for (const c of cases) {
    it(c.name, () => {
      const generated: Array<string> = []
      const original = globalThis.Function
      // Counts the decoders the compiler generates, to know this run compared compiled code at all.
      globalThis.Function = new Proxy(original, {
        apply: (target, self, args: Array<string>) => {
          generated.push(args.at(-1) ?? "")
          return Reflect.apply(target, self, args)
        }
      })
      try {
        SchemaJITCompiler.enable(c.schema.ast)
        const compiled = Schema.decodeUnknownExit(c.schema)
        c.samples.forEach((input, i) => {
          assert.deepStrictEqual(outcome(compiled(input)), c.interpreted[i], JSON.stringify(input))
        })
      } finally {
        globalThis.Function = original
      }
      assert.isAbove(generated.length, 0, "no decoder was compiled")
      const valid = c.interpreted.filter((o) => "ok" in o).length
      assert.isAbove(valid, 30, "too few valid samples to compare values")
      assert.isAbove(c.samples.length - valid, 30, "too few invalid samples to compare errors")
    })
  }
})
