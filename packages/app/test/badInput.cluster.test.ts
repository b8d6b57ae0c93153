/**
 * Bad input: fast-check generates objects of the four kinds — valid specs,
 * and specs with random JSON in random fields, wrong types, bad budgets and
 * durations, neither or both connection references, Secrets that do not
 * exist — and sends them, as raw JSON, to the real API server while the
 * operator runs. Admission refuses some. Every object it accepts ends Ready,
 * or Ready=False with a specific reason; the operator never stops; and
 * LiteLLM holds nothing that does not come from a valid object.
 *
 * Oversize and control-character inputs (a 1 MiB alias, newlines, U+202E,
 * U+200B, too many models, a huge map, `999999999w`) are refused at
 * admission; and on a control plane whose CRDs lack the bounds (as an older
 * CRD would, or with validation off) the same objects end Ready=False
 * InvalidSpec with a message naming the field and the limit, and never
 * reach LiteLLM.
 *
 * Default: 40 objects from one seed. `LITELLM_OPERATOR_STRESS=long`: 300 from each of 3 seeds.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, layer } from "@effect/vitest"
import type { ReadyReason } from "@litellm-operator/core"
import {
  TeamMemberAssociationSpec,
  TeamSpec,
  teamIdFor,
  UserSpec,
  userIdFor,
  VirtualKeySpec
} from "@litellm-operator/core"
import {
  connectionRefArb,
  nameArb,
  teamMemberAssociationSpecArb,
  teamSpecArb,
  userSpecArb,
  virtualKeySpecArb
} from "@litellm-operator/core/arbitraries"
import type { CustomObject, CustomResourceType } from "@litellm-operator/k8s"
import {
  apiVersionOf,
  collectionPath,
  customResourceDefinitions,
  EventRecorder,
  KubeClient,
  KubeTransport,
  TeamMemberAssociations,
  Teams,
  Users,
  VirtualKeys
} from "@litellm-operator/k8s"
import { installCrds, spawnControlPlane } from "@litellm-operator/k8s/local"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Duration, Effect, Fiber, Layer, Schema } from "effect"
import fc from "fast-check"
import { Readiness } from "../src/observability/Readiness.ts"
import { createConnectionSecret, eventually, freshNamespace, harnessLayer } from "./support/operatorHarness.ts"
import { keySecretTokens, longMode, operatorLogs, startInProcess } from "./support/stress.ts"

const SEEDS = longMode ? [101, 102, 103] : [101]
const PER_SEED = longMode ? 300 : 40

const kinds = {
  Team: { type: Teams, fields: Object.keys(TeamSpec.fields), spec: teamSpecArb },
  User: { type: Users, fields: Object.keys(UserSpec.fields), spec: userSpecArb },
  VirtualKey: { type: VirtualKeys, fields: Object.keys(VirtualKeySpec.fields), spec: virtualKeySpecArb },
  TeamMemberAssociation: {
    type: TeamMemberAssociations,
    fields: Object.keys(TeamMemberAssociationSpec.fields),
    spec: teamMemberAssociationSpecArb
  }
} as const
type Kind = keyof typeof kinds

/** Values that are wrong somewhere: random JSON, wrong types, bad budgets and durations, odd strings. */
const badValueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    "-1",
    "1e3",
    "abc",
    "",
    " 5",
    "5x",
    "0d",
    "2mo",
    "1.5h",
    "NaN",
    "12.1234567",
    "0x10",
    "1,000",
    "30min"
  ),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  fc.string({ unit: "grapheme", maxLength: 300 }),
  // Past the bounds: sizes, control, format and bidirectional characters, durations.
  fc.constantFrom(
    "a".repeat(300_000),
    "line\nbreak",
    "tab\there",
    "right-to-left\u202eoverride",
    "zero\u200bwidth",
    "bell\u0007",
    "999999999w",
    "36526d",
    1_000_000_000_001,
    Array.from({ length: 300 }, (_, i) => `m-${i}`),
    Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, "v"])),
    { "new\nline": "v" }
  )
)

/** Mostly the simulator's Secret; sometimes none, both, one that does not exist, or any well-formed reference. */
const connectionArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ secretRef: { name: "litellm" } }) },
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.constant({ secretRef: { name: "litellm" }, instanceRef: { name: "proxy" } }) },
  { weight: 1, arbitrary: nameArb.map((name) => ({ secretRef: { name: `missing-${name}` } })) },
  { weight: 1, arbitrary: connectionRefArb }
)

interface Candidate {
  readonly kind: Kind
  readonly spec: Record<string, unknown>
}

/** An object of a kind: a valid spec, its connection reference replaced, then 0 to 3 fields broken or dropped. */
const candidateArb: fc.Arbitrary<Candidate> = fc
  .constantFrom<Kind>("Team", "User", "VirtualKey", "TeamMemberAssociation")
  .chain((kind) =>
    fc
      .tuple(
        kinds[kind].spec,
        connectionArb,
        fc.array(
          fc.record({
            field: fc.oneof(fc.constantFrom(...kinds[kind].fields), fc.string({ minLength: 1, maxLength: 10 })),
            value: badValueArb,
            drop: fc.boolean()
          }),
          { maxLength: 3 }
        ),
        // An association names the anchor Team and User half of the time, so that some can be Ready.
        fc.boolean()
      )
      .map(([valid, connectionRef, mutations, anchored]): Candidate => {
        const spec: Record<string, unknown> = { ...valid, connectionRef }
        if (kind === "TeamMemberAssociation" && anchored) {
          spec.teamAlias = "anchor-team"
          spec.userEmail = "anchor@example.com"
        }
        for (const m of mutations) {
          if (m.drop) delete spec[m.field]
          else spec[m.field] = m.value
        }
        return { kind, spec }
      })
  )

/** What a status looks like, whatever the kind, read loosely so that any object decodes. */
const LooseList = Schema.fromJsonString(
  Schema.Struct({
    items: Schema.Array(
      Schema.Struct({
        metadata: Schema.Struct({ name: Schema.String, generation: Schema.optionalKey(Schema.Number) }),
        status: Schema.optionalKey(
          Schema.Struct({
            conditions: Schema.optionalKey(
              Schema.Array(
                Schema.Struct({
                  type: Schema.String,
                  status: Schema.String,
                  reason: Schema.optionalKey(Schema.String),
                  message: Schema.optionalKey(Schema.String),
                  observedGeneration: Schema.optionalKey(Schema.Number)
                })
              )
            )
          })
        )
      })
    )
  })
)

const specificReasons: ReadonlyArray<ReadyReason> = [
  "InvalidSpec",
  "ConnectionError",
  "LiteLLMError",
  "DependencyNotReady",
  "AmbiguousReference",
  "Conflict",
  "PolicyDenied",
  "LiteLLMRejected",
  "OwnershipConflict",
  "AdoptionNotAllowed"
]

interface Verdict {
  readonly name: string
  readonly settled: boolean
  /** `<status>/<reason>` of the Ready condition. */
  readonly outcome: string
  readonly message: string
}

/** Where every accepted object of a kind stands: settled once it has a Ready condition about its current spec. */
const verdicts = Effect.fn("verdicts")(function* <A extends CustomObject<St>, St>(
  type: CustomResourceType<A, St>,
  namespace: string,
  names: ReadonlySet<string>
) {
  const transport = yield* KubeTransport
  const kube = yield* KubeClient
  const raw = yield* transport.request({ method: "GET", path: collectionPath(type, namespace) })
  const list = yield* Schema.decodeUnknownEffect(LooseList)(raw)
  // Objects that decode are valid specs: their Ready condition must be about the current generation.
  const valid = new Set((yield* kube.list(type, { namespace })).items.map((o) => o.metadata.name))
  return list.items
    .filter((o) => names.has(o.metadata.name))
    .map((o): Verdict => {
      const ready = o.status?.conditions?.find((c) => c.type === "Ready")
      const outcome = ready === undefined ? "no Ready condition" : `${ready.status}/${ready.reason ?? "no reason"}`
      const message = ready?.message ?? ""
      if (ready === undefined) return { name: o.metadata.name, settled: false, outcome, message }
      if (!valid.has(o.metadata.name))
        return {
          name: o.metadata.name,
          settled: ready.status === "False" && ready.reason === "InvalidSpec",
          outcome,
          message
        }
      const current = ready.observedGeneration === o.metadata.generation
      const good =
        ready.status === "True"
          ? ready.reason === "Reconciled" || ready.reason === "ReconciledWithWarnings"
          : specificReasons.some((r) => r === ready.reason)
      return { name: o.metadata.name, settled: current && good, outcome, message }
    })
})

const MiB = 1024 * 1024
const connectionRef = { secretRef: { name: "litellm" } }

/** Inputs past the bounds, each with the field and the limit its refusal (at admission, or InvalidSpec) must name. */
const pastTheBounds: ReadonlyArray<{
  readonly kind: Kind
  readonly name: string
  readonly spec: Record<string, unknown>
  readonly mentions: ReadonlyArray<string>
}> = [
  {
    kind: "Team",
    name: "huge-alias",
    spec: { connectionRef, teamAlias: "a".repeat(MiB) },
    mentions: ["teamAlias", "256"]
  },
  {
    kind: "Team",
    name: "newline-alias",
    spec: { connectionRef, teamAlias: "a\nb" },
    mentions: ["teamAlias", "control"]
  },
  {
    kind: "Team",
    name: "rlo-alias",
    spec: { connectionRef, teamAlias: "a\u202eb" },
    mentions: ["teamAlias", "U+202E"]
  },
  {
    kind: "Team",
    name: "zwsp-alias",
    spec: { connectionRef, teamAlias: "a\u200bb" },
    mentions: ["teamAlias", "U+200B"]
  },
  {
    kind: "Team",
    name: "forever",
    spec: { connectionRef, teamAlias: "forever", budgetDuration: "999999999w" },
    mentions: ["budgetDuration", "100 years"]
  },
  {
    kind: "Team",
    name: "many-models",
    spec: { connectionRef, teamAlias: "many", models: Array.from({ length: 300 }, (_, i) => `m-${i}`) },
    mentions: ["models", "256"]
  },
  {
    kind: "Team",
    name: "huge-metadata",
    spec: {
      connectionRef,
      teamAlias: "meta",
      metadata: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, "v"]))
    },
    mentions: ["metadata", "64"]
  },
  {
    kind: "User",
    name: "bell-email",
    spec: { connectionRef, userEmail: "a\u0007@example.com" },
    mentions: ["userEmail", "U+0007"]
  },
  {
    kind: "VirtualKey",
    name: "negative-model-limit",
    spec: { connectionRef, keyAlias: "neg", modelRPMLimit: { "gpt-4o": -1 } },
    mentions: ["modelRPMLimit", "0"]
  },
  {
    // The Go operator's field: refused, never pruned or ignored.
    kind: "Team",
    name: "go-members",
    spec: { connectionRef, teamAlias: "go", membersWithRole: [{ userEmail: "a@example.com", role: "admin" }] },
    mentions: ["membersWithRole", "TeamMemberAssociation"]
  },
  {
    kind: "TeamMemberAssociation",
    name: "go-team-ref",
    spec: { connectionRef, teamAlias: "go", userEmail: "a@example.com", role: "user", teamRef: { name: "go" } },
    mentions: ["teamRef", "teamAlias"]
  },
  {
    kind: "TeamMemberAssociation",
    name: "rlo-team",
    spec: { connectionRef, teamAlias: "\u202eteam", userEmail: "a@example.com", role: "user" },
    mentions: ["teamAlias", "U+202E"]
  }
]

const boundRule = /control characters|100 years|keys must be|is not supported/

/** A schema with the bounds of issue 11 taken out, as an older CRD had it. */
const withoutBounds = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(withoutBounds)
  if (typeof node !== "object" || node === null) return node
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(node)) {
    if (k === "maxItems" || k === "maxProperties" || k === "maximum" || k === "minimum") continue
    if (k === "x-kubernetes-validations" && Array.isArray(v)) {
      const kept = v.filter((r) => !boundRule.test(JSON.stringify(r)))
      if (kept.length > 0) out[k] = kept
      continue
    }
    out[k] = withoutBounds(v)
  }
  // A bound stays only where a remaining CEL rule needs it for its cost (budgets, durations, maps of them).
  const hasRules = (n: unknown): boolean => typeof n === "object" && n !== null && "x-kubernetes-validations" in n
  if (!hasRules(out)) delete out.maxLength
  const original: Record<string, unknown> = Object.fromEntries(Object.entries(node))
  if (hasRules(out.items)) out.maxItems = original.maxItems
  if (hasRules(out.additionalProperties)) out.maxProperties = original.maxProperties
  return out
}

describe("bad input", () => {
  layer(harnessLayer(61), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect(
      `${PER_SEED} generated objects per seed (${SEEDS.join(", ")}), valid and invalid: refused, Ready, or Ready=False with a reason`,
      () =>
        Effect.gen(function* () {
          const transport = yield* KubeTransport
          const kube = yield* KubeClient
          const sim = yield* Simulator
          for (const seed of SEEDS) {
            yield* sim.reset
            // With a license, tags and guardrails are allowed, so that more valid objects can become Ready.
            yield* sim.setProfile({ enterprise: true })
            const namespace = yield* freshNamespace(`bad-input-${seed}`)
            // A permissive connection owner: generated ids, roles and teams reach LiteLLM instead of PolicyDenied.
            yield* createConnectionSecret(namespace, "litellm", {
              "auth.litellm.ai/allowed-user-roles": "proxy_admin,proxy_admin_viewer,internal_user,internal_user_viewer",
              "auth.litellm.ai/allow-foreign-references": "true"
            })
            const logsBefore = operatorLogs.length
            const operator = yield* startInProcess(
              namespace,
              { workers: 4, resyncPeriod: Duration.minutes(10) },
              { litellmTimeout: "2 seconds" }
            )
            const connectionRef = { secretRef: { name: "litellm" } }
            yield* kube.create(Teams, {
              metadata: { namespace, name: "anchor-team" },
              spec: { connectionRef, teamAlias: "anchor-team" }
            })
            yield* kube.create(Users, {
              metadata: { namespace, name: "anchor-user" },
              spec: { connectionRef, userEmail: "anchor@example.com" }
            })

            const candidates = fc.sample(candidateArb, { numRuns: PER_SEED, seed })
            const accepted = new Map<Kind, Set<string>>()
            let refused = 0
            const unexpected: Array<string> = []
            yield* Effect.forEach(
              candidates,
              (candidate, i) => {
                const { type } = kinds[candidate.kind]
                const name = `gen-${i}`
                return transport
                  .request({
                    method: "POST",
                    path: collectionPath(type, namespace),
                    body: {
                      apiVersion: apiVersionOf(type),
                      kind: type.kind,
                      metadata: { name },
                      spec: candidate.spec
                    }
                  })
                  .pipe(
                    Effect.matchEffect({
                      onSuccess: () =>
                        Effect.sync(() => {
                          const names = accepted.get(candidate.kind) ?? new Set<string>()
                          accepted.set(candidate.kind, names.add(name))
                        }),
                      onFailure: (error) =>
                        Effect.sync(() => {
                          if (error.reason._tag === "Invalid") refused++
                          else unexpected.push(`${candidate.kind} ${name}: ${error.message}`)
                        })
                    })
                  )
              },
              { concurrency: 8, discard: true }
            )
            assert.deepStrictEqual(unexpected, [], "the API server answered something other than 201 or 422")

            const all = (anchors: boolean) =>
              Effect.gen(function* () {
                const names = (kind: Kind, extra: ReadonlyArray<string>) =>
                  new Set([...(accepted.get(kind) ?? []), ...(anchors ? extra : [])])
                return [
                  ...(yield* verdicts(Teams, namespace, names("Team", ["anchor-team"]))),
                  ...(yield* verdicts(Users, namespace, names("User", ["anchor-user"]))),
                  ...(yield* verdicts(VirtualKeys, namespace, names("VirtualKey", []))),
                  ...(yield* verdicts(TeamMemberAssociations, namespace, names("TeamMemberAssociation", [])))
                ]
              })
            const settled = yield* eventually("every accepted object settled", all(true), (vs) =>
              vs.every((v) => v.settled)
            ).pipe(
              Effect.catchDefect((defect) =>
                Effect.flatMap(all(true), (vs) =>
                  Effect.die(
                    new Error(
                      `${String(defect)}: ${vs
                        .filter((v) => !v.settled)
                        .slice(0, 8)
                        .map((v) => `${v.name} ${v.outcome}`)
                        .join("; ")}`
                    )
                  )
                )
              )
            )
            assert.isUndefined(operator.pollUnsafe(), "the operator stopped")
            assert.deepStrictEqual(
              operatorLogs.slice(logsBefore).filter((line) => /"level":"(ERROR|FATAL)"/.test(line)),
              [],
              "errors logged by the operator"
            )

            // Nothing in LiteLLM that no valid object accounts for (only objects that decode are reconciled,
            // and only they own key Secrets).
            const snapshot = yield* sim.snapshot
            const teams = (yield* kube.list(Teams, { namespace })).items
            const users = (yield* kube.list(Users, { namespace })).items
            const keys = (yield* kube.list(VirtualKeys, { namespace })).items
            // The identities valid objects own, whatever their state: an object can fail after creating its LiteLLM object.
            const teamIds = new Set(teams.map((t) => teamIdFor(t.spec, t.metadata.uid)))
            const userIds = new Set([
              "default_user_id",
              ...users.map((u) => userIdFor(u.spec, u.metadata.uid)),
              // LiteLLM makes a user row for a key's user_id.
              ...keys.flatMap((k) => (k.spec.userID === undefined ? [] : [k.spec.userID]))
            ])
            const secretTokens = new Set((yield* keySecretTokens(namespace)).values())
            const strays = [
              ...snapshot.teams.filter((t) => !teamIds.has(String(t.team_id))).map((t) => `team ${String(t.team_id)}`),
              ...snapshot.users.filter((u) => !userIds.has(String(u.user_id))).map((u) => `user ${String(u.user_id)}`),
              ...snapshot.keys
                .filter((k) => !secretTokens.has(String(k.token)))
                .map((k) => `key ${String(k.key_alias)}`)
            ]
            assert.deepStrictEqual(strays, [], "LiteLLM objects no valid object accounts for")
            // LiteLLM may refuse what it does not allow (a team that does not exist, a taken alias), never a malformed request.
            assert.deepStrictEqual(
              settled.filter((v) => /HTTP 422/.test(v.message)).map((v) => `${v.name}: ${v.message}`),
              [],
              "requests LiteLLM refused as malformed"
            )

            // The next seed starts from an empty LiteLLM: this operator would keep retrying its objects into it.
            yield* Fiber.interrupt(operator)
            const outcomes = new Map<string, number>()
            for (const v of settled) outcomes.set(v.outcome, (outcomes.get(v.outcome) ?? 0) + 1)
            const ready = settled.filter((v) => v.outcome.startsWith("True")).length
            assert.isAbove(refused, 0, "admission refused nothing: the generator is too tame")
            assert.isAbove(ready, 2, "nothing became Ready: the generator is too wild")
            process.stderr.write(
              `bad input seed ${seed}: ${candidates.length} generated, ${refused} refused at admission, ` +
                `${settled.length - 2} accepted (+2 anchors): ${[...outcomes.entries()]
                  .sort()
                  .map(([o, n]) => `${o} ${n}`)
                  .join(
                    ", "
                  )}; LiteLLM holds ${snapshot.teams.length} teams, ${snapshot.users.length} users, ${snapshot.keys.length} keys, none stray\n`
            )
          }
        }),
      longMode ? 900_000 : 180_000
    )
    it.effect(
      `${pastTheBounds.length} inputs past the bounds are refused at admission, naming the field and the limit`,
      () =>
        Effect.gen(function* () {
          const transport = yield* KubeTransport
          const namespace = yield* freshNamespace("past-bounds")
          const problems: Array<string> = []
          for (const c of pastTheBounds) {
            const { type } = kinds[c.kind]
            const result = yield* Effect.result(
              transport.request({
                method: "POST",
                path: collectionPath(type, namespace),
                body: { apiVersion: apiVersionOf(type), kind: type.kind, metadata: { name: c.name }, spec: c.spec }
              })
            )
            if (result._tag === "Success") problems.push(`${c.name}: accepted`)
            else if (result.failure.reason._tag !== "Invalid") problems.push(`${c.name}: ${result.failure.reason._tag}`)
            else {
              const message = result.failure.message
              const missing = c.mentions.filter(
                (m) => !message.includes(m) && !(m.startsWith("U+") && message.includes("control"))
              )
              if (missing.length > 0) problems.push(`${c.name}: lacks ${missing.join(", ")}: ${message.slice(0, 400)}`)
            }
          }
          assert.deepStrictEqual(problems, [])
        })
    )

    it.effect(
      "with CRDs that lack the bounds (an older CRD, or validation off), the same objects end Ready=False InvalidSpec naming the field and the limit, and never reach LiteLLM",
      () =>
        Effect.gen(function* () {
          const sim = yield* Simulator
          yield* sim.reset
          const crdDir = mkdtempSync(join(tmpdir(), "litellm-operator-unbounded-crds-"))
          yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(crdDir, { recursive: true, force: true })))
          for (const crd of customResourceDefinitions()) {
            // JSON is YAML: the installer reads it as a manifest.
            writeFileSync(join(crdDir, `${crd.metadata.name}.yaml`), JSON.stringify(withoutBounds(crd)))
          }
          const cp = yield* Effect.acquireRelease(spawnControlPlane(), (handle) => handle.stop(Duration.seconds(10)))
          yield* installCrds(cp.kubeconfig, crdDir).pipe(Effect.provide(KubeTransport.layerFromFile(cp.kubeconfig)))
          // This control plane's client, Events and readiness; the simulator and HTTP client stay the file's.
          const own = Layer.fresh(
            Layer.mergeAll(EventRecorder.layer({ reportingInstance: "unbounded" }), Readiness.layer).pipe(
              Layer.provideMerge(KubeClient.layerFromFile(cp.kubeconfig))
            )
          )
          yield* Effect.gen(function* () {
            const transport = yield* KubeTransport
            const namespace = yield* freshNamespace("unbounded")
            yield* createConnectionSecret(namespace)
            const operator = yield* startInProcess(namespace, { workers: 2, resyncPeriod: Duration.minutes(10) })
            yield* Effect.gen(function* () {
              for (const c of pastTheBounds) {
                const { type } = kinds[c.kind]
                yield* transport.request({
                  method: "POST",
                  path: collectionPath(type, namespace),
                  body: { apiVersion: apiVersionOf(type), kind: type.kind, metadata: { name: c.name }, spec: c.spec }
                })
              }
              const names = new Set(pastTheBounds.map((c) => c.name))
              const all = Effect.gen(function* () {
                return [
                  ...(yield* verdicts(Teams, namespace, names)),
                  ...(yield* verdicts(Users, namespace, names)),
                  ...(yield* verdicts(VirtualKeys, namespace, names)),
                  ...(yield* verdicts(TeamMemberAssociations, namespace, names))
                ]
              })
              const settled = yield* eventually(
                "every object past the bounds has a Ready condition",
                all,
                (vs) => vs.length === pastTheBounds.length && vs.every((v) => v.outcome !== "no Ready condition")
              )
              const problems = settled.flatMap((v) => {
                const c = pastTheBounds.find((p) => p.name === v.name)
                const missing = (c?.mentions ?? []).filter((m) => !v.message.includes(m))
                return [
                  ...(v.outcome === "False/InvalidSpec" ? [] : [`${v.name}: ${v.outcome}`]),
                  ...(missing.length === 0 ? [] : [`${v.name}: message lacks ${missing.join(", ")}: ${v.message}`]),
                  ...(v.message.length > 2000 ? [`${v.name}: a ${v.message.length}-character message`] : [])
                ]
              })
              assert.deepStrictEqual(problems, [])
              const snapshot = yield* sim.snapshot
              assert.deepStrictEqual(
                [...snapshot.teams.map((t) => String(t.team_alias)), ...snapshot.keys.map((k) => String(k.key_alias))],
                [],
                "LiteLLM received objects past the bounds"
              )
              assert.deepStrictEqual(
                snapshot.users.map((u) => String(u.user_id)).filter((id) => id !== "default_user_id"),
                []
              )
              assert.isUndefined(operator.pollUnsafe(), "the operator stopped")
              // Before this control plane's client closes (its connection pool waits for open watches), also on failure.
            }).pipe(Effect.ensuring(Fiber.interrupt(operator)))
          }).pipe(Effect.provide(own))
        }),
      180_000
    )
  })
})
