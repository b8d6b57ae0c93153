/**
 * The generated CRDs on a real API server: they install, a valid object of
 * every kind is accepted and decodes, and invalid objects are refused at
 * admission with a message that names the field.
 */
import { join } from "node:path"
import { assert, layer } from "@effect/vitest"
import { bounds } from "@litellm-operator/core"
import {
  teamMemberAssociationSpecArb,
  teamSpecArb,
  userSpecArb,
  virtualKeySpecArb
} from "@litellm-operator/core/arbitraries"
import { Effect, Result, Schema } from "effect"
import fc from "fast-check"
import type { KubeObject, ResourceType } from "../src/index.ts"
import {
  collectionPath,
  customResourceDefinitions,
  KubeClient,
  KubeTransport,
  readManifestDirectory,
  TeamMemberAssociations,
  Teams,
  Users,
  VirtualKeys
} from "../src/index.ts"
import { ClusterLive, connection, freshNamespace } from "./support/cluster.ts"

/** POSTs a raw object, bypassing every client-side type, as kubectl would. */
const createRaw = Effect.fnUntraced(function* (
  type: ResourceType<KubeObject>,
  namespace: string,
  name: string,
  spec: unknown
) {
  const transport = yield* KubeTransport
  return yield* transport.request({
    method: "POST",
    path: collectionPath(type, namespace),
    body: { apiVersion: `${type.group}/${type.version}`, kind: type.kind, metadata: { name }, spec }
  })
})

const team = { connectionRef: connection, teamAlias: "platform" }
const user = { connectionRef: connection, userEmail: "ada@example.com" }
const key = { connectionRef: connection, keyAlias: "ci" }
const tma = { connectionRef: connection, teamAlias: "platform", userEmail: "ada@example.com", role: "user" }

const without = (o: Readonly<Record<string, unknown>>, field: string) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => k !== field))

interface Case {
  readonly name: string
  readonly type: ResourceType<KubeObject>
  readonly spec: unknown
  /** Substrings the server's message must contain: the field, and what is wrong. */
  readonly expect: ReadonlyArray<string>
}

const invalid: ReadonlyArray<Case> = [
  {
    name: "Team without teamAlias",
    type: Teams,
    spec: without(team, "teamAlias"),
    expect: ["spec.teamAlias", "Required"]
  },
  {
    name: "Team without connectionRef",
    type: Teams,
    spec: without(team, "connectionRef"),
    expect: ["spec.connectionRef", "Required", "connectionRef is required: set connectionRef.secretRef.name"]
  },
  // What the Go operator's users bring: each refusal says what to use instead.
  ...[
    { kind: "User", type: Users, spec: user },
    { kind: "VirtualKey", type: VirtualKeys, spec: key },
    { kind: "TeamMemberAssociation", type: TeamMemberAssociations, spec: tma }
  ].map(
    (c): Case => ({
      name: `${c.kind} without connectionRef`,
      type: c.type,
      spec: without(c.spec, "connectionRef"),
      expect: ["spec.connectionRef", "connectionRef is required: set connectionRef.secretRef.name", "instanceRef"]
    })
  ),
  {
    name: "Team with the Go operator's membersWithRole",
    type: Teams,
    spec: { ...team, membersWithRole: [{ userEmail: "admin@example.com", role: "admin" }] },
    expect: ["spec.membersWithRole", "declare each member as a TeamMemberAssociation"]
  },
  {
    name: "User with the role customer",
    type: Users,
    spec: { ...user, userRole: "customer" },
    expect: ["spec.userRole", '"customer" is an end user', 'use "internal_user"', '"proxy_admin_viewer"']
  },
  {
    name: "TeamMemberAssociation with the Go operator's teamRef",
    type: TeamMemberAssociations,
    spec: { ...tma, teamRef: { name: "platform" } },
    expect: ["spec.teamRef", "names its team by spec.teamAlias", "remove teamRef"]
  },
  {
    name: "TeamMemberAssociation with the Go operator's userRef",
    type: TeamMemberAssociations,
    spec: { ...tma, userRef: { name: "ada", namespace: "other" } },
    expect: ["spec.userRef", "names its user by spec.userEmail", "remove userRef"]
  },
  {
    name: "TeamMemberAssociation with the role member",
    type: TeamMemberAssociations,
    spec: { ...tma, role: "member" },
    expect: ["spec.role", 'must be "user"', '"admin"', 'use "user"']
  },
  {
    name: "Team with both secretRef and instanceRef",
    type: Teams,
    spec: { ...team, connectionRef: { secretRef: { name: "s" }, instanceRef: { name: "i" } } },
    expect: ["spec.connectionRef", "exactly one of secretRef and instanceRef"]
  },
  {
    name: "Team with neither secretRef nor instanceRef",
    type: Teams,
    spec: { ...team, connectionRef: {} },
    expect: ["spec.connectionRef", "exactly one of secretRef and instanceRef"]
  },
  {
    name: "Team with a budget that is not a number",
    type: Teams,
    spec: { ...team, maxBudget: "ten" },
    expect: ["spec.maxBudget", "non-negative decimal"]
  },
  {
    name: "Team with a negative budget",
    type: Teams,
    spec: { ...team, maxBudget: "-5" },
    expect: ["spec.maxBudget", "non-negative decimal"]
  },
  {
    name: "Team with seven decimals in its budget",
    type: Teams,
    spec: { ...team, maxBudget: "1.1234567" },
    expect: ["spec.maxBudget", "non-negative decimal"]
  },
  {
    name: "Team with a budget given as a number",
    type: Teams,
    spec: { ...team, maxBudget: 10 },
    expect: ["spec.maxBudget", "string"]
  },
  {
    name: "Team with an unknown duration unit",
    type: Teams,
    spec: { ...team, budgetDuration: "30x" },
    expect: ["spec.budgetDuration", "positive whole number"]
  },
  {
    name: "Team with a two-month budget period",
    type: Teams,
    spec: { ...team, budgetDuration: "2mo" },
    expect: ["spec.budgetDuration", '"1mo"']
  },
  {
    name: "Team with a negative rpmLimit",
    type: Teams,
    spec: { ...team, rpmLimit: -1 },
    expect: ["spec.rpmLimit", "greater than or equal to 0"]
  },
  {
    name: "Team with rpmLimit as a string",
    type: Teams,
    spec: { ...team, rpmLimit: "10" },
    expect: ["spec.rpmLimit", "integer"]
  },
  {
    name: "Team with blocked as a string",
    type: Teams,
    spec: { ...team, blocked: "yes" },
    expect: ["spec.blocked", "boolean"]
  },
  {
    name: "Team with models as a string",
    type: Teams,
    spec: { ...team, models: "gpt-4o" },
    expect: ["spec.models", "array"]
  },
  {
    name: "Team with an empty teamAlias",
    type: Teams,
    spec: { ...team, teamAlias: "" },
    expect: ["spec.teamAlias", "at least 1"]
  },
  {
    name: "Team with a number in metadata",
    type: Teams,
    spec: { ...team, metadata: { owner: 7 } },
    expect: ["spec.metadata.owner", "string"]
  },
  {
    name: "User without userEmail",
    type: Users,
    spec: without(user, "userEmail"),
    expect: ["spec.userEmail", "Required"]
  },
  {
    name: "User with an unknown userRole",
    type: Users,
    spec: { ...user, userRole: "superuser" },
    expect: ["spec.userRole", 'must be one of "proxy_admin"']
  },
  {
    name: "User with a malformed key duration",
    type: Users,
    spec: { ...user, duration: "forever" },
    expect: ["spec.duration", "positive whole number"]
  },
  {
    name: "User with a per-model RPM limit that is not a whole number",
    type: Users,
    spec: { ...user, modelRPMLimit: { "gpt-4o": "ten" } },
    expect: ["spec.modelRPMLimit.gpt-4o", "should match"]
  },
  {
    name: "User with a malformed per-model budget",
    type: Users,
    spec: { ...user, modelMaxBudget: { "gpt-4o": "1,5" } },
    expect: ["spec.modelMaxBudget[gpt-4o]", "non-negative decimal"]
  },
  {
    name: "VirtualKey without keyAlias",
    type: VirtualKeys,
    spec: without(key, "keyAlias"),
    expect: ["spec.keyAlias", "Required"]
  },
  {
    name: "VirtualKey with a key lacking sk-",
    type: VirtualKeys,
    spec: { ...key, key: "pk-12345678" },
    expect: ["spec.key", "sk-"]
  },
  {
    name: "VirtualKey with a per-model TPM limit as a string",
    type: VirtualKeys,
    spec: { ...key, modelTPMLimit: { "gpt-4o": "1000" } },
    expect: ["spec.modelTPMLimit.gpt-4o", "integer"]
  },
  {
    name: "VirtualKey with a malformed soft budget",
    type: VirtualKeys,
    spec: { ...key, softBudget: "1.5e-7" },
    expect: ["spec.softBudget", "non-negative decimal", "6 after"]
  },
  {
    name: "VirtualKey with a negative budget in exponent form",
    type: VirtualKeys,
    spec: { ...key, maxBudget: "-1e3" },
    expect: ["spec.maxBudget", "non-negative decimal"]
  },
  {
    name: "VirtualKey with a duration LiteLLM reads as minutes (ms)",
    type: VirtualKeys,
    spec: { ...key, duration: "30ms" },
    expect: ["spec.duration", "positive whole number followed by a unit"]
  },
  {
    name: "Team with a two-month budget period spelled out",
    type: Teams,
    spec: { ...team, budgetDuration: "2months" },
    expect: ["spec.budgetDuration", '"1mo"']
  },
  {
    name: "TeamMemberAssociation with an unknown role",
    type: TeamMemberAssociations,
    spec: { ...tma, role: "owner" },
    expect: ["spec.role", 'must be "user"']
  },
  {
    name: "TeamMemberAssociation without role",
    type: TeamMemberAssociations,
    spec: without(tma, "role"),
    expect: ["spec.role", "Required"]
  },
  {
    name: "TeamMemberAssociation with a malformed member budget",
    type: TeamMemberAssociations,
    spec: { ...tma, maxBudgetInTeam: "$5" },
    expect: ["spec.maxBudgetInTeam", "non-negative decimal"]
  },
  {
    name: "TeamMemberAssociation with an instanceRef without name",
    type: TeamMemberAssociations,
    spec: { ...tma, connectionRef: { instanceRef: { namespace: "x" } } },
    expect: ["spec.connectionRef.instanceRef.name", "Required"]
  }
]

const MiB = 1024 * 1024
const models = (n: number) => Array.from({ length: n }, (_, i) => `model-${i}`)
const entries = (n: number, value: (i: number) => unknown = (i) => `v${i}`) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value(i)]))
const unsafe = "must not contain control characters"

/** The bounds of issue 11: sizes, characters, durations and numbers, each refused with the field and the limit. */
const outOfBounds: ReadonlyArray<Case> = [
  {
    name: "Team with a 1 MiB teamAlias",
    type: Teams,
    spec: { ...team, teamAlias: "a".repeat(MiB) },
    expect: ["spec.teamAlias", "Too long", "256"]
  },
  {
    name: "Team with a newline in teamAlias",
    type: Teams,
    spec: { ...team, teamAlias: "plat\nform" },
    expect: ["spec.teamAlias", unsafe]
  },
  {
    name: "Team with a tab in teamAlias",
    type: Teams,
    spec: { ...team, teamAlias: "plat\tform" },
    expect: ["spec.teamAlias", unsafe]
  },
  {
    name: "Team with a right-to-left override (U+202E) in teamAlias",
    type: Teams,
    spec: { ...team, teamAlias: "plat\u202eform" },
    expect: ["spec.teamAlias", unsafe]
  },
  {
    name: "Team with a zero-width space (U+200B) in teamAlias",
    type: Teams,
    spec: { ...team, teamAlias: "plat\u200bform" },
    expect: ["spec.teamAlias", unsafe]
  },
  {
    name: "Team with a C1 control (U+0085) in teamID",
    type: Teams,
    spec: { ...team, teamID: "t\u00851" },
    expect: ["spec.teamID", unsafe]
  },
  {
    name: "Team with a line separator (U+2028) in organizationID",
    type: Teams,
    spec: { ...team, organizationID: "org\u2028x" },
    expect: ["spec.organizationID", unsafe]
  },
  {
    name: "Team with budgetDuration 999999999w",
    type: Teams,
    spec: { ...team, budgetDuration: "999999999w" },
    expect: ["spec.budgetDuration", "at most 100 years", "5217w"]
  },
  {
    name: "Team with budgetDuration 36526d",
    type: Teams,
    spec: { ...team, budgetDuration: "36526d" },
    expect: ["spec.budgetDuration", "at most 100 years", "36525d"]
  },
  {
    name: "Team with 257 models",
    type: Teams,
    spec: { ...team, models: models(257) },
    expect: ["spec.models", "Too many", "256"]
  },
  {
    name: "Team with a 257-character model name",
    type: Teams,
    spec: { ...team, models: ["m".repeat(257)] },
    expect: ["spec.models[0]", "Too long", "256"]
  },
  {
    name: "Team with a bidirectional isolate (U+2066) in a tag",
    type: Teams,
    spec: { ...team, tags: ["ok", "a\u2066b"] },
    expect: ["spec.tags[1]", unsafe]
  },
  {
    name: "Team with a huge metadata map (10,000 entries)",
    type: Teams,
    spec: { ...team, metadata: entries(10_000) },
    expect: ["spec.metadata", "Too many", String(bounds.mapEntries)]
  },
  {
    name: "Team with a 1 MiB metadata value",
    type: Teams,
    spec: { ...team, metadata: { big: "x".repeat(MiB) } },
    expect: ["spec.metadata.big", "Too long", "1024"]
  },
  {
    name: "Team with a newline in a metadata key",
    type: Teams,
    spec: { ...team, metadata: { "a\nb": "x" } },
    expect: ["spec.metadata", "keys must be at most 256 characters"]
  },
  {
    name: "Team with a 300-character metadata key",
    type: Teams,
    spec: { ...team, metadata: { ["k".repeat(300)]: "x" } },
    expect: ["spec.metadata", "keys must be at most 256 characters"]
  },
  {
    name: "Team with a zero-width joiner (U+200D) in a model alias",
    type: Teams,
    spec: { ...team, modelAliases: { fast: "gpt\u200d4o" } },
    expect: ["spec.modelAliases[fast]", unsafe]
  },
  {
    name: "Team with rpmLimit above 10^12",
    type: Teams,
    spec: { ...team, rpmLimit: 10_000_000_000_000 },
    expect: ["spec.rpmLimit", "less than or equal to 1000000000000"]
  },
  {
    name: "User with a control character (BEL) in userEmail",
    type: Users,
    spec: { ...user, userEmail: "ada\u0007@example.com" },
    expect: ["spec.userEmail", unsafe]
  },
  {
    name: "User with a 321-character userEmail",
    type: Users,
    spec: { ...user, userEmail: `${"a".repeat(309)}@example.com` },
    expect: ["spec.userEmail", "Too long", "320"]
  },
  {
    name: "User with a key duration of 1201 months",
    type: Users,
    spec: { ...user, duration: "1201mo" },
    expect: ["spec.duration", "at most 100 years", "1200mo"]
  },
  {
    name: "User with 257 per-model budgets",
    type: Users,
    spec: { ...user, modelMaxBudget: entries(257, () => "1") },
    expect: ["spec.modelMaxBudget", "Too many", "256"]
  },
  {
    name: "User with a per-model RPM limit of 13 digits",
    type: Users,
    spec: { ...user, modelRPMLimit: { "gpt-4o": "1000000000000" } },
    expect: ["spec.modelRPMLimit.gpt-4o", "Too long", "12"]
  },
  {
    name: "User with a right-to-left override in a team id",
    type: Users,
    spec: { ...user, teams: ["t\u202e1"] },
    expect: ["spec.teams[0]", unsafe]
  },
  {
    name: "User with a soft hyphen (U+00AD, a format character) in userAlias",
    type: Users,
    spec: { ...user, userAlias: "ad\u00ada" },
    expect: ["spec.userAlias", unsafe]
  },
  {
    name: "VirtualKey with a negative modelRPMLimit",
    type: VirtualKeys,
    spec: { ...key, modelRPMLimit: { "gpt-4o": -1 } },
    expect: ["spec.modelRPMLimit.gpt-4o", "greater than or equal to 0"]
  },
  {
    name: "VirtualKey with a negative modelTPMLimit",
    type: VirtualKeys,
    spec: { ...key, modelTPMLimit: { "gpt-4o": -5 } },
    expect: ["spec.modelTPMLimit.gpt-4o", "greater than or equal to 0"]
  },
  {
    name: "VirtualKey with a modelTPMLimit above 10^12",
    type: VirtualKeys,
    spec: { ...key, modelTPMLimit: { "gpt-4o": 2_000_000_000_000 } },
    expect: ["spec.modelTPMLimit.gpt-4o", "less than or equal to 1000000000000"]
  },
  {
    name: "VirtualKey with a newline in keyAlias",
    type: VirtualKeys,
    spec: { ...key, keyAlias: "ci\nprod" },
    expect: ["spec.keyAlias", unsafe]
  },
  {
    name: "VirtualKey with a 257-character teamID",
    type: VirtualKeys,
    spec: { ...key, teamID: "t".repeat(257) },
    expect: ["spec.teamID", "Too long", "256"]
  },
  {
    name: "VirtualKey with 257 allowed routes",
    type: VirtualKeys,
    spec: { ...key, allowedRoutes: models(257) },
    expect: ["spec.allowedRoutes", "Too many", "256"]
  },
  {
    name: "VirtualKey with 65 config entries",
    type: VirtualKeys,
    spec: { ...key, config: entries(65) },
    expect: ["spec.config", "Too many", "64"]
  },
  {
    name: "VirtualKey with a key duration of 999999999w",
    type: VirtualKeys,
    spec: { ...key, duration: "999999999w" },
    expect: ["spec.duration", "at most 100 years"]
  },
  {
    name: "VirtualKey with a newline in a per-model budget's model name",
    type: VirtualKeys,
    spec: { ...key, modelMaxBudget: { "gpt\n4o": "1" } },
    expect: ["spec.modelMaxBudget", "keys must be at most 256 characters"]
  },
  {
    name: "TeamMemberAssociation with a left-to-right isolate (U+2066) in teamAlias",
    type: TeamMemberAssociations,
    spec: { ...tma, teamAlias: "\u2066platform" },
    expect: ["spec.teamAlias", unsafe]
  },
  {
    name: "TeamMemberAssociation with a 1 MiB userEmail",
    type: TeamMemberAssociations,
    spec: { ...tma, userEmail: "a".repeat(MiB) },
    expect: ["spec.userEmail", "Too long", "320"]
  },
  {
    name: "Team with a newline in its connection Secret's name",
    type: Teams,
    spec: { ...team, connectionRef: { secretRef: { name: "lite\nllm" } } },
    expect: ["spec.connectionRef.secretRef.name", unsafe]
  }
]

/** Objects at every bound at once: admitted, and their CEL rules within the API server's cost limits. */
const atTheBounds: ReadonlyArray<Case> = [
  {
    name: "Team at every bound",
    type: Teams,
    spec: {
      ...team,
      teamAlias: "a".repeat(bounds.identifier),
      teamID: "t".repeat(bounds.identifier),
      organizationID: "o".repeat(bounds.identifier),
      budgetDuration: "5217w",
      models: models(bounds.listItems).map((m) => m.padEnd(bounds.identifier, "x")),
      tags: models(bounds.listItems),
      guardrails: models(bounds.listItems),
      teamMemberPermissions: models(bounds.listItems),
      metadata: entries(bounds.mapEntries, () => "é".repeat(bounds.freeformValue)),
      modelAliases: entries(bounds.mapEntries, () => "m".repeat(bounds.identifier)),
      rpmLimit: bounds.limit,
      tpmLimit: bounds.limit
    },
    expect: []
  },
  {
    name: "User at every bound",
    type: Users,
    spec: {
      ...user,
      userEmail: `${"a".repeat(bounds.email - 12)}@example.com`,
      userAlias: "名".repeat(bounds.identifier),
      duration: "1200mo",
      budgetDuration: "36525d",
      modelMaxBudget: entries(bounds.modelMapEntries, () => "999999999999.999999"),
      modelRPMLimit: entries(bounds.modelMapEntries, () => "999999999999"),
      modelTPMLimit: entries(bounds.modelMapEntries, () => "999999999999"),
      teams: models(bounds.listItems),
      maxParallelRequests: bounds.limit
    },
    expect: []
  },
  {
    name: "VirtualKey at every bound",
    type: VirtualKeys,
    spec: {
      ...key,
      keyAlias: "k".repeat(bounds.identifier),
      duration: "999999999s",
      modelRPMLimit: entries(bounds.modelMapEntries, () => bounds.limit),
      modelTPMLimit: entries(bounds.modelMapEntries, () => 0),
      config: entries(bounds.mapEntries, () => "c".repeat(bounds.freeformValue)),
      allowedRoutes: models(bounds.listItems),
      enforcedParams: models(bounds.listItems)
    },
    expect: []
  }
]

interface ImmutableCase {
  readonly name: string
  readonly type: ResourceType<KubeObject>
  readonly spec: Readonly<Record<string, unknown>>
  readonly change: Readonly<Record<string, unknown>>
  readonly expect: ReadonlyArray<string>
}

const immutable: ReadonlyArray<ImmutableCase> = [
  {
    name: "Team: teamID changed",
    type: Teams,
    spec: { ...team, teamID: "t-1" },
    change: { teamID: "t-2" },
    expect: ["teamID cannot be added, changed or removed"]
  },
  {
    name: "Team: teamID added later",
    type: Teams,
    spec: team,
    change: { teamID: "t-1" },
    expect: ["teamID cannot be added, changed or removed"]
  },
  {
    name: "Team: teamID removed",
    type: Teams,
    spec: { ...team, teamID: "t-1" },
    change: { teamID: null },
    expect: ["teamID cannot be added, changed or removed"]
  },
  {
    name: "User: userID changed",
    type: Users,
    spec: { ...user, userID: "u-1" },
    change: { userID: "u-2" },
    expect: ["userID cannot be added, changed or removed"]
  },
  {
    name: "TeamMemberAssociation: teamAlias changed",
    type: TeamMemberAssociations,
    spec: tma,
    change: { teamAlias: "other" },
    expect: ["teamAlias is immutable"]
  },
  {
    name: "TeamMemberAssociation: userEmail changed",
    type: TeamMemberAssociations,
    spec: tma,
    change: { userEmail: "bob@example.com" },
    expect: ["userEmail is immutable"]
  },
  // Moving an object to another LiteLLM would leave its objects and live keys in the first one.
  ...[
    { kind: "Team", type: Teams, spec: team },
    { kind: "User", type: Users, spec: user },
    { kind: "VirtualKey", type: VirtualKeys, spec: key },
    { kind: "TeamMemberAssociation", type: TeamMemberAssociations, spec: tma }
  ].map(
    (c): ImmutableCase => ({
      name: `${c.kind}: connectionRef changed`,
      type: c.type,
      spec: c.spec,
      change: { connectionRef: { secretRef: { name: "another-litellm" } } },
      expect: ["connectionRef is immutable", "delete the", "create it again"]
    })
  )
]

const ResourceList = Schema.fromJsonString(
  Schema.Struct({
    resources: Schema.Array(
      Schema.Struct({
        name: Schema.String,
        singularName: Schema.optionalKey(Schema.String),
        kind: Schema.String,
        shortNames: Schema.optionalKey(Schema.Array(Schema.String)),
        categories: Schema.optionalKey(Schema.Array(Schema.String))
      })
    )
  })
)
const GroupList = Schema.fromJsonString(
  Schema.Struct({
    groups: Schema.Array(
      Schema.Struct({ name: Schema.String, preferredVersion: Schema.Struct({ groupVersion: Schema.String }) })
    )
  })
)

/** Short names of widely installed resources outside this test server (Istio, Argo CD, cert-manager, Flux, Knative, Prometheus Operator). */
const commonShortNames = ["vs", "dr", "gw", "se", "app", "appproj", "cert", "hr", "ks", "smon", "pmon", "ksvc", "kn"]

/** Creates each case; what is wrong with the answers (accepted, or a message without the expected words). */
const refusals = Effect.fnUntraced(function* (namespace: string, cases: ReadonlyArray<Case>) {
  const failures: Array<string> = []
  for (const [i, c] of cases.entries()) {
    const result = yield* Effect.result(createRaw(c.type, namespace, `case-${i}`, c.spec))
    if (Result.isSuccess(result)) {
      failures.push(`${c.name}: accepted`)
      continue
    }
    const error = result.failure
    // A message that echoed a 1 MiB value would itself be a problem.
    if (error.message.length > 8192) failures.push(`${c.name}: a ${error.message.length}-character message`)
    if (error.reason._tag !== "Invalid") failures.push(`${c.name}: ${error.reason._tag} ${error.message.slice(0, 600)}`)
    const missing = c.expect.filter((s) => !error.message.includes(s))
    if (missing.length > 0) {
      failures.push(`${c.name}: message lacks ${JSON.stringify(missing)}: ${error.message.slice(0, 1200)}`)
    }
  }
  return failures
})

const CrdList = Schema.fromJsonString(
  Schema.Struct({
    items: Schema.Array(
      Schema.Struct({
        metadata: Schema.Struct({ name: Schema.String }),
        status: Schema.Struct({
          conditions: Schema.Array(Schema.Struct({ type: Schema.String, status: Schema.String }))
        })
      })
    )
  })
)

layer(ClusterLive, { excludeTestServices: true })("CRDs on a real API server", (it) => {
  it.effect("all four are installed and Established", () =>
    Effect.gen(function* () {
      const transport = yield* KubeTransport
      const list = yield* Schema.decodeUnknownEffect(CrdList)(
        yield* transport.request({ method: "GET", path: "/apis/apiextensions.k8s.io/v1/customresourcedefinitions" })
      )
      for (const crd of customResourceDefinitions()) {
        const installed = list.items.find((i) => i.metadata.name === crd.metadata.name)
        assert.isDefined(installed, crd.metadata.name)
        assert.isTrue(installed?.status.conditions.some((c) => c.type === "Established" && c.status === "True"))
      }
    })
  )

  it.effect("a valid object of every kind is accepted and decodes with its core schema", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const ns = yield* freshNamespace("valid")
      const t = yield* client.create(Teams, {
        metadata: { namespace: ns, name: "platform" },
        spec: { ...team, teamID: "team-1", maxBudget: "12.50", budgetDuration: "1mo", models: ["gpt-4o"], rpmLimit: 10 }
      })
      assert.strictEqual(t.spec.maxBudget, "12.50")
      assert.strictEqual(t.metadata.generation, 1)
      const u = yield* client.create(Users, {
        metadata: { namespace: ns, name: "ada" },
        spec: { ...user, userRole: "internal_user", modelRPMLimit: { "gpt-4o": "100" }, duration: "30d" }
      })
      assert.strictEqual(u.spec.userRole, "internal_user")
      const k = yield* client.create(VirtualKeys, {
        metadata: { namespace: ns, name: "ci" },
        spec: {
          connectionRef: { instanceRef: { name: "litellm", namespace: "ops" } },
          keyAlias: "ci",
          modelTPMLimit: { "gpt-4o": 1000 },
          modelMaxBudget: { "gpt-4o": "5" }
        }
      })
      assert.deepStrictEqual(k.spec.modelTPMLimit, { "gpt-4o": 1000 })
      const m = yield* client.create(TeamMemberAssociations, {
        metadata: { namespace: ns, name: "ada-platform" },
        spec: { ...tma, role: "admin", maxBudgetInTeam: "3" }
      })
      assert.strictEqual(m.spec.role, "admin")
      const listed = yield* client.list(Teams, { namespace: ns })
      assert.deepStrictEqual(
        listed.items.map((i) => i.metadata.name),
        ["platform"]
      )
      assert.deepStrictEqual(listed.malformed, [])
    })
  )

  it.effect("the spellings the Go operator passed on, which LiteLLM reads the same, are accepted", () =>
    Effect.gen(function* () {
      const ns = yield* freshNamespace("spellings")
      const failures: Array<string> = []
      const cases: ReadonlyArray<readonly [ResourceType<KubeObject>, unknown]> = [
        [Teams, { ...team, maxBudget: "1e3", budgetDuration: "30days" }],
        [Teams, { ...team, teamAlias: "b", maxBudget: "+5", budgetDuration: "1month" }],
        [Users, { ...user, maxBudget: ".5", budgetDuration: "2hours", duration: "30min" }],
        [VirtualKeys, { ...key, maxBudget: "2.5E+2", softBudget: "5.", duration: "1week", budgetDuration: "10secs" }],
        [TeamMemberAssociations, { ...tma, maxBudgetInTeam: "15e-1" }]
      ]
      for (const [i, [type, spec]] of cases.entries()) {
        const result = yield* Effect.result(createRaw(type, ns, `spelled-${i}`, spec))
        if (Result.isFailure(result)) failures.push(`${type.kind} ${i}: ${result.failure.message.slice(0, 600)}`)
      }
      assert.deepStrictEqual(failures, [])
    })
  )

  it.effect(`${invalid.length} invalid objects are refused, each with a message naming the field`, () =>
    Effect.gen(function* () {
      const ns = yield* freshNamespace("invalid")
      const failures = yield* refusals(ns, invalid)
      assert.isAtLeast(invalid.length, 20)
      assert.deepStrictEqual(failures, [])
    })
  )

  it.effect(
    `${outOfBounds.length} objects out of bounds are refused, each with a message naming the field and the limit`,
    () =>
      Effect.gen(function* () {
        const ns = yield* freshNamespace("bounds")
        assert.deepStrictEqual(yield* refusals(ns, outOfBounds), [])
      })
  )

  it.effect("objects at every bound are accepted", () =>
    Effect.gen(function* () {
      const ns = yield* freshNamespace("at-bounds")
      const failures: Array<string> = []
      for (const [i, c] of atTheBounds.entries()) {
        const result = yield* Effect.result(createRaw(c.type, ns, `bound-${i}`, c.spec))
        if (Result.isFailure(result)) failures.push(`${c.name}: ${result.failure.message.slice(0, 600)}`)
      }
      assert.deepStrictEqual(failures, [])
      // The operator's own schemas accept what admission accepted: the two sets of bounds agree.
      const client = yield* KubeClient
      const listed = [
        yield* client.list(Teams, { namespace: ns }),
        yield* client.list(Users, { namespace: ns }),
        yield* client.list(VirtualKeys, { namespace: ns })
      ]
      assert.deepStrictEqual(
        listed.map((l) => [l.items.length, l.malformed.length]),
        [
          [1, 0],
          [1, 0],
          [1, 0]
        ]
      )
    })
  )

  it.effect("the examples and 30 generated objects of each kind are accepted", () =>
    Effect.gen(function* () {
      const ns = yield* freshNamespace("generated")
      const failures: Array<string> = []
      const create = Effect.fnUntraced(function* (type: ResourceType<KubeObject>, name: string, spec: unknown) {
        const result = yield* Effect.result(createRaw(type, ns, name, spec))
        if (Result.isFailure(result)) failures.push(`${type.kind} ${name}: ${result.failure.message.slice(0, 600)}`)
      })
      const types: Readonly<Record<string, ResourceType<KubeObject>>> = {
        Team: Teams,
        User: Users,
        VirtualKey: VirtualKeys,
        TeamMemberAssociation: TeamMemberAssociations
      }
      const examples = yield* readManifestDirectory(join(import.meta.dirname, "..", "..", "..", "examples"))
      let fromExamples = 0
      for (const example of examples) {
        const type = types[example.header.kind]
        if (type === undefined) continue
        fromExamples++
        yield* create(type, `example-${fromExamples}`, Reflect.get(example.object, "spec"))
      }
      assert.strictEqual(fromExamples, 4)
      const samples = (arb: fc.Arbitrary<unknown>) => fc.sample(arb, { numRuns: 30, seed: 11 })
      for (const [kind, arb] of [
        ["Team", teamSpecArb],
        ["User", userSpecArb],
        ["VirtualKey", virtualKeySpecArb],
        ["TeamMemberAssociation", teamMemberAssociationSpecArb]
      ] as const) {
        const type = types[kind]
        if (type === undefined) continue
        for (const [i, spec] of samples(arb).entries()) yield* create(type, `gen-${kind.toLowerCase()}-${i}`, spec)
      }
      assert.deepStrictEqual(failures, [])
    })
  )

  it.effect("(the refusals helper fails when an invalid object is accepted)", () =>
    Effect.gen(function* () {
      const ns = yield* freshNamespace("self-check")
      const failures = yield* refusals(ns, [{ name: "valid team", type: Teams, spec: team, expect: [] }])
      assert.deepStrictEqual(failures, ["valid team: accepted"])
    })
  )

  it.effect(
    "the Go operator's fields are refused, not pruned, when the client does not ask for strict validation",
    () =>
      Effect.gen(function* () {
        const transport = yield* KubeTransport
        const ns = yield* freshNamespace("non-strict")
        // What `kubectl apply --validate=false` and GitOps tools without strict validation send.
        const post = (spec: unknown, name: string) =>
          Effect.result(
            transport.request({
              method: "POST",
              path: collectionPath(Teams, ns),
              query: { fieldValidation: "Ignore" },
              body: { apiVersion: "auth.litellm.ai/v1alpha1", kind: "Team", metadata: { name }, spec }
            })
          )
        const members = yield* post(
          { ...team, membersWithRole: [{ userEmail: "my-team-admin@example.com", role: "admin" }] },
          "go-team"
        )
        assert.isTrue(Result.isFailure(members))
        if (Result.isFailure(members)) assert.include(members.failure.message, "TeamMemberAssociation")
        // So are a membership's teamRef and userRef.
        const refs = yield* Effect.result(
          transport.request({
            method: "POST",
            path: collectionPath(TeamMemberAssociations, ns),
            query: { fieldValidation: "Ignore" },
            body: {
              apiVersion: "auth.litellm.ai/v1alpha1",
              kind: "TeamMemberAssociation",
              metadata: { name: "go-tma" },
              spec: { ...tma, teamRef: { name: "platform" }, userRef: { name: "ada" } }
            }
          })
        )
        assert.isTrue(Result.isFailure(refs))
        if (Result.isFailure(refs)) assert.include(refs.failure.message, "spec.teamAlias")
        // The same client's unknown fields are pruned in silence: that is what declaring the field prevents.
        const unknown = yield* post({ ...team, notAField: true }, "pruned")
        assert.isTrue(Result.isSuccess(unknown))
        const stored = yield* (yield* KubeClient).get(Teams, { namespace: ns, name: "pruned" })
        assert.isFalse("notAField" in stored.spec)
      })
  )

  it.effect("short names and the category litellm work as kubectl resolves them (discovery)", () =>
    Effect.gen(function* () {
      const transport = yield* KubeTransport
      const discover = (path: string) =>
        Effect.flatMap(transport.request({ method: "GET", path }), Schema.decodeUnknownEffect(ResourceList))
      const ours = (yield* discover("/apis/auth.litellm.ai/v1alpha1")).resources.filter((r) => !r.name.includes("/"))
      const byKind = new Map(ours.map((r) => [r.kind, r]))
      // `kubectl get vk` resolves to VirtualKeys, and every kind has a short name.
      assert.include(byKind.get("VirtualKey")?.shortNames ?? [], "vk")
      for (const crd of customResourceDefinitions()) {
        const served = byKind.get(crd.spec.names.kind)
        assert.deepStrictEqual(served?.shortNames, crd.spec.names.shortNames, crd.spec.names.kind)
        assert.isAbove(served?.shortNames?.length ?? 0, 0, crd.spec.names.kind)
        assert.deepStrictEqual(served?.categories, ["litellm"], crd.spec.names.kind)
      }
      // No short name collides with a name or short name of any other resource the server serves, or a common one.
      const groups = (yield* Effect.flatMap(
        transport.request({ method: "GET", path: "/apis" }),
        Schema.decodeUnknownEffect(GroupList)
      )).groups.filter((g) => g.name !== "auth.litellm.ai")
      const others = [
        ...(yield* discover("/api/v1")).resources,
        ...(yield* Effect.forEach(groups, (g) => discover(`/apis/${g.preferredVersion.groupVersion}`))).flatMap(
          (l) => l.resources
        )
      ]
      const taken = new Set([
        ...commonShortNames,
        ...others.flatMap((r) => [r.name, r.singularName ?? "", ...(r.shortNames ?? [])])
      ])
      assert.isAbove(others.length, 40)
      const ourNames = ours.flatMap((r) => [r.name, ...(r.shortNames ?? [])])
      assert.deepStrictEqual(
        ourNames.filter((n) => taken.has(n)),
        []
      )
      assert.strictEqual(new Set(ourNames).size, ourNames.length, "a short name used twice")

      // `kubectl get litellm`: every resource in the category, listed in one namespace, shows all four kinds.
      const ns = yield* freshNamespace("category")
      yield* createRaw(Teams, ns, "t", team)
      yield* createRaw(Users, ns, "u", user)
      yield* createRaw(VirtualKeys, ns, "k", key)
      yield* createRaw(TeamMemberAssociations, ns, "m", tma)
      const inCategory = ours.filter((r) => r.categories?.includes("litellm"))
      const Listed = Schema.fromJsonString(
        Schema.Struct({
          items: Schema.Array(
            Schema.Struct({ kind: Schema.optionalKey(Schema.String), metadata: Schema.Struct({ name: Schema.String }) })
          )
        })
      )
      const seen: Array<string> = []
      for (const r of inCategory) {
        const list = yield* Effect.flatMap(
          transport.request({ method: "GET", path: `/apis/auth.litellm.ai/v1alpha1/namespaces/${ns}/${r.name}` }),
          Schema.decodeUnknownEffect(Listed)
        )
        seen.push(...list.items.map((i) => `${r.kind}/${i.metadata.name}`))
      }
      assert.deepStrictEqual(seen.sort(), ["Team/t", "TeamMemberAssociation/m", "User/u", "VirtualKey/k"])
    })
  )

  it.effect("kubectl explain shows the bounds: the server's OpenAPI v3 document carries them in the descriptions", () =>
    Effect.gen(function* () {
      const transport = yield* KubeTransport
      const document = JSON.stringify(
        yield* transport.request({ method: "GET", path: "/openapi/v3/apis/auth.litellm.ai/v1alpha1" })
      )
      for (const text of [
        "TeamAlias is the alias of the team. Bounds: at most 256 characters; no control, format or bidirectional characters.",
        "UserEmail is the email of the user. Bounds: at most 320 characters",
        "Bounds: at most 256 items; each at most 256 characters",
        "Bounds: at most 64 entries; keys at most 256 characters",
        "at most 100 years",
        "ModelRPMLimit sets RPM limits per model. Bounds: at most 256 entries; keys at most 256 characters with no control, format or bidirectional characters; values from 0 to 1000000000000."
      ]) {
        assert.include(document, text)
      }
    })
  )

  it.effect("identity fields cannot change once the object exists", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const ns = yield* freshNamespace("immutable")
      const failures: Array<string> = []
      for (const [i, c] of immutable.entries()) {
        const name = `case-${i}`
        yield* createRaw(c.type, ns, name, c.spec)
        const result = yield* Effect.result(client.mergePatch(c.type, { namespace: ns, name }, { spec: c.change }))
        if (Result.isSuccess(result)) {
          failures.push(`${c.name}: accepted`)
          continue
        }
        const missing = c.expect.filter((s) => !result.failure.message.includes(s))
        if (result.failure.reason._tag !== "Invalid" || missing.length > 0) {
          failures.push(`${c.name}: ${result.failure.message}`)
        }
      }
      assert.deepStrictEqual(failures, [])
    })
  )
})
