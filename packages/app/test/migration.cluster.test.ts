/**
 * Coming from the Go operator (docs/migrating-from-the-go-operator.md): its
 * sample manifests as they are are refused, each refusal naming what to use
 * instead; converted (docs/migration-samples/), they are applied as kubectl
 * would, through the real API server, and every object ends Ready with
 * LiteLLM holding what they declare. Budgets and durations spelled as the Go
 * operator passed them on reach LiteLLM as the same values and settle.
 */
import { createHash } from "node:crypto"
import { join } from "node:path"
import { assert, describe, layer } from "@effect/vitest"
import type { KubeObject, ResourceType } from "@litellm-operator/k8s"
import {
  collectionPath,
  KubeClient,
  KubeTransport,
  readManifestDirectory,
  TeamMemberAssociations,
  Teams,
  Users,
  VirtualKeys
} from "@litellm-operator/k8s"
import { applyManifests } from "@litellm-operator/k8s/local"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Effect, Redacted, Result, Schema } from "effect"
import { inject } from "vitest"
import {
  createConnectionSecret,
  eventually,
  freshNamespace,
  harnessLayer,
  isReady,
  startOperator
} from "./support/operatorHarness.ts"

const Members = Schema.Array(Schema.Struct({ user_id: Schema.String, role: Schema.String }))

const samples = join(import.meta.dirname, "..", "..", "..", "docs", "migration-samples")

/** The Go operator's samples (config/samples/auth_v1alpha1_*.yaml), as their specs say, and what the refusal must say. */
const goSamples: ReadonlyArray<{
  readonly type: ResourceType<KubeObject>
  readonly name: string
  readonly spec: unknown
  readonly says: ReadonlyArray<string>
}> = [
  {
    type: Teams,
    name: "team-sample",
    spec: {
      teamAlias: "my-team",
      models: ["gpt-4o"],
      membersWithRole: [{ userEmail: "a@example.com", role: "admin" }]
    },
    says: ["connectionRef is required", "declare each member as a TeamMemberAssociation"]
  },
  {
    type: Users,
    name: "user-sample",
    spec: {
      userEmail: "my-user@example.com",
      userAlias: "my-user-alias",
      userRole: "customer",
      keyAlias: "my-user-key-alias",
      autoCreateKey: true,
      models: ["gpt-4o"],
      teams: ["my-team"],
      maxBudget: "10",
      budgetDuration: "1h"
    },
    says: ["connectionRef is required", 'use "internal_user"']
  },
  {
    type: VirtualKeys,
    name: "example-service",
    spec: { keyAlias: "example-service", models: ["gpt-4o"], maxBudget: "10", budgetDuration: "1h" },
    says: ["connectionRef is required: set connectionRef.secretRef.name"]
  },
  {
    type: TeamMemberAssociations,
    name: "alice-ai-team",
    spec: { role: "member", teamAlias: "ai-team", userEmail: "alice@example.com" },
    says: ["connectionRef is required", 'use "user"']
  }
]

describe("migrating from the Go operator", () => {
  layer(harnessLayer(71), { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("its samples are refused with what to use instead; converted, they are all Ready", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const transport = yield* KubeTransport
        const sim = yield* Simulator
        // The converted team sample keeps its admin member: LiteLLM assigns team admins only with a license.
        yield* sim.setProfile({ enterprise: true })
        const namespace = yield* freshNamespace("migration")
        yield* createConnectionSecret(namespace)

        // As they are: each refused, naming the value to use instead.
        const problems: Array<string> = []
        for (const sample of goSamples) {
          const result = yield* Effect.result(
            transport.request({
              method: "POST",
              path: collectionPath(sample.type, namespace),
              body: {
                apiVersion: `${sample.type.group}/${sample.type.version}`,
                kind: sample.type.kind,
                metadata: { name: sample.name },
                spec: sample.spec
              }
            })
          )
          if (Result.isSuccess(result)) problems.push(`${sample.type.kind}: accepted`)
          else {
            const missing = sample.says.filter((s) => !result.failure.message.includes(s))
            if (missing.length > 0) problems.push(`${sample.type.kind}: lacks ${missing.join(", ")}`)
          }
        }
        assert.deepStrictEqual(problems, [])

        // Converted: applied as `kubectl apply -n <namespace> -f docs/migration-samples/` would.
        const manifests = yield* readManifestDirectory(samples)
        yield* applyManifests(
          inject("kubeconfig"),
          manifests.map((m) => ({ ...m, object: { ...m.object, metadata: { ...m.object.metadata, namespace } } })),
          { fieldManager: "kubectl" }
        )
        yield* startOperator(namespace)
        const all = Effect.gen(function* () {
          return [
            ...(yield* kube.list(Teams, { namespace })).items,
            ...(yield* kube.list(Users, { namespace })).items,
            ...(yield* kube.list(VirtualKeys, { namespace })).items,
            ...(yield* kube.list(TeamMemberAssociations, { namespace })).items
          ]
        })
        const objects = yield* eventually(
          "every converted sample Ready",
          all,
          (os) => os.length === manifests.length && os.every((o) => isReady(o.status)),
          "60 seconds"
        )
        assert.strictEqual(objects.length, 9)

        // LiteLLM holds what they declare: the memberships with their roles, the user's role, the key.
        const snapshot = yield* sim.snapshot
        const userId = (email: string) => snapshot.users.find((u) => u.user_email === email)?.user_id
        const members = (alias: string) =>
          Schema.decodeUnknownSync(Members)(snapshot.teams.find((t) => t.team_alias === alias)?.members_with_roles).map(
            (m) => `${m.user_id}:${m.role}`
          )
        assert.include(members("my-team"), `${userId("my-team-admin@example.com")}:admin`)
        assert.include(members("my-team"), `${userId("my-user@example.com")}:user`)
        assert.include(members("ai-team"), `${userId("alice@example.com")}:user`)
        assert.strictEqual(
          snapshot.users.find((u) => u.user_email === "my-user@example.com")?.user_role,
          "internal_user"
        )
        const key = yield* kube.get(VirtualKeys, { namespace, name: "example-service" })
        const secret = yield* kube.readSecret({ namespace, name: "example-service-litellm-key" })
        const raw = Redacted.value(secret.data?.key ?? Redacted.make(""))
        // status.token is the key's sha256 hash, never the key (the Go operator kept the key there).
        assert.strictEqual(key.status?.token, createHash("sha256").update(raw).digest("hex"))
        assert.strictEqual(snapshot.keys.find((k) => k.token === key.status?.token)?.max_budget, 10)
      })
    )

    it.effect("budgets and durations spelled as the Go operator passed them reach LiteLLM as the same values", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const namespace = yield* freshNamespace("spellings")
        yield* createConnectionSecret(namespace)
        yield* startOperator(namespace)
        const connectionRef = { secretRef: { name: "litellm" } }
        yield* kube.create(VirtualKeys, {
          metadata: { namespace, name: "spelled" },
          spec: { connectionRef, keyAlias: "spelled", maxBudget: "1e3", budgetDuration: "1month", duration: "30days" }
        })
        yield* kube.create(Teams, {
          metadata: { namespace, name: "spelled" },
          spec: { connectionRef, teamAlias: "spelled", maxBudget: "+2.5", budgetDuration: "2hours" }
        })
        const key = yield* eventually("key Ready", kube.get(VirtualKeys, { namespace, name: "spelled" }), (k) =>
          isReady(k.status)
        )
        const team = yield* eventually("team Ready", kube.get(Teams, { namespace, name: "spelled" }), (t) =>
          isReady(t.status)
        )
        const snapshot = yield* sim.snapshot
        const row = snapshot.keys.find((k) => k.token === key.status?.token)
        assert.strictEqual(row?.max_budget, 1000)
        assert.strictEqual(row?.budget_duration, "1mo")
        assert.strictEqual(key.status?.duration, "30d")
        const teamRow = snapshot.teams.find((t) => t.team_id === team.status?.teamID)
        assert.strictEqual(teamRow?.max_budget, 2.5)
        assert.strictEqual(teamRow?.budget_duration, "2h")
        // And they settle: resyncs (every 2 seconds) send nothing more.
        yield* sim.resetCalls
        yield* Effect.sleep("5 seconds")
        const writes = Object.keys(yield* sim.calls).filter((c) => c.startsWith("POST"))
        assert.deepStrictEqual(writes, [])
      })
    )
  })
})
