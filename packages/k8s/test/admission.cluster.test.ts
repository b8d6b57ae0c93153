/**
 * The generated CRDs on a real API server: they install, a valid object of
 * every kind is accepted and decodes, and invalid objects are refused at
 * admission with a message that names the field.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Result, Schema } from "effect"
import type { KubeObject, ResourceType } from "../src/index.ts"
import {
  collectionPath,
  customResourceDefinitions,
  KubeClient,
  KubeTransport,
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
    expect: ["spec.connectionRef", "Required"]
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
    expect: ["spec.userRole", "Unsupported value"]
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
    spec: { ...key, softBudget: "1e3" },
    expect: ["spec.softBudget", "non-negative decimal"]
  },
  {
    name: "TeamMemberAssociation with an unknown role",
    type: TeamMemberAssociations,
    spec: { ...tma, role: "owner" },
    expect: ["spec.role", "Unsupported value"]
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

  it.effect(`${invalid.length} invalid objects are refused, each with a message naming the field`, () =>
    Effect.gen(function* () {
      const ns = yield* freshNamespace("invalid")
      const failures: Array<string> = []
      for (const [i, c] of invalid.entries()) {
        const result = yield* Effect.result(createRaw(c.type, ns, `case-${i}`, c.spec))
        if (Result.isSuccess(result)) {
          failures.push(`${c.name}: accepted`)
          continue
        }
        const error = result.failure
        if (error.reason._tag !== "Invalid") failures.push(`${c.name}: ${error.reason._tag} ${error.message}`)
        const missing = c.expect.filter((s) => !error.message.includes(s))
        if (missing.length > 0) failures.push(`${c.name}: message lacks ${JSON.stringify(missing)}: ${error.message}`)
      }
      assert.isAtLeast(invalid.length, 20)
      assert.deepStrictEqual(failures, [])
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
