/**
 * `plan` and `export` against what the operator then really does (the real
 * kube-apiserver, the operator, the simulator's request log): plan's calls for
 * the examples are exactly the creates the operator makes; export's manifests,
 * applied, are adopted with nothing written but the owner markers, keys by
 * token with no key Secret.
 */

import { fileURLToPath } from "node:url"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, layer } from "@effect/vitest"
import { adoptTokenAnnotation, ownerMetadataKey, readyOf } from "@litellm-operator/core"
import type { Manifest } from "@litellm-operator/k8s"
import {
  KubeClient,
  parseManifests,
  readManifestDirectory,
  renderManifests,
  Secrets,
  VirtualKeys
} from "@litellm-operator/k8s"
import { applyManifests } from "@litellm-operator/k8s/local"
import { LiteLLMClient } from "@litellm-operator/litellm"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Effect, Option, Redacted } from "effect"
import { inject } from "vitest"
import { exportProxy } from "../src/cli/export.ts"
import { classifyManifests } from "../src/cli/manifests.ts"
import type { PlanReport } from "../src/cli/plan.ts"
import { exitCodeOf, planManifests } from "../src/cli/plan.ts"
import {
  createConnectionSecret,
  eventually,
  freshNamespace,
  harnessLayer,
  masterKey,
  operatorOptions,
  startOperator
} from "./support/operatorHarness.ts"
import { awaitAllReady } from "./support/population.ts"

const EXAMPLES = fileURLToPath(new URL("../../../examples", import.meta.url))
const installation = operatorOptions("x").installation

/** The manifests, moved to `namespace`; the connection Secret stays out (the test makes the real one). */
const inNamespace = (manifests: ReadonlyArray<Manifest>, namespace: string): ReadonlyArray<Manifest> =>
  manifests
    .filter((m) => m.header.kind !== "Secret")
    .map((m) => ({
      ...m,
      header: { ...m.header, metadata: { ...m.header.metadata, namespace } },
      object: { ...m.object, metadata: { ...m.object.metadata, namespace } }
    }))

/** Write calls per endpoint, as plan names them and as the simulator counts them. */
const plannedWrites = (report: PlanReport) => {
  const out: Record<string, number> = {}
  for (const call of report.objects.flatMap((o) => o.calls)) out[call.call] = (out[call.call] ?? 0) + 1
  return out
}
const writesIn = (calls: Readonly<Record<string, number>>) =>
  Object.fromEntries(Object.entries(calls).filter(([call]) => call.startsWith("POST ") && !call.endsWith("/list")))

const clientFor = Effect.gen(function* () {
  const sim = yield* Simulator
  return yield* LiteLLMClient.make({ url: sim.url, masterKey, timeout: "5 seconds" })
}).pipe(Effect.provide(NodeHttpClient.dispatcherLayerGlobal))

describe("plan and export against the operator", () => {
  layer(harnessLayer(41), { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("plan of the examples on an empty LiteLLM shows exactly the creates the operator then makes", () =>
      Effect.gen(function* () {
        const sim = yield* Simulator
        yield* sim.reset
        const namespace = yield* freshNamespace("plan-examples")
        yield* createConnectionSecret(namespace, "litellm-connection")
        const manifests = inNamespace(yield* readManifestDirectory(EXAMPLES), namespace)
        const client = yield* clientFor
        const report = yield* planManifests(client, classifyManifests(manifests, namespace), {
          url: sim.url,
          installationId: installation,
          prune: false
        })
        assert.strictEqual(exitCodeOf(report), 2)
        assert.deepStrictEqual(writesIn(yield* sim.calls), {}, "plan wrote")

        yield* sim.resetCalls
        yield* startOperator(namespace)
        yield* applyManifests(inject("kubeconfig"), manifests, { fieldManager: "plan-test" })
        yield* awaitAllReady(namespace, 4, "60 seconds")
        assert.deepStrictEqual(writesIn(yield* sim.calls), plannedWrites(report))
        assert.deepStrictEqual(plannedWrites(report), {
          "POST /team/new": 1,
          "POST /user/new": 1,
          "POST /key/generate": 2,
          "POST /team/member_add": 1
        })
        // The fields plan showed are the ones LiteLLM now holds.
        const snapshot = yield* sim.snapshot
        const teamCreate = report.objects.find((o) => o.kind === "Team")?.calls[0]
        const team = snapshot.teams[0]
        assert.isDefined(team)
        for (const change of teamCreate?.changes ?? []) {
          if (change.field.startsWith("metadata.")) continue
          assert.deepStrictEqual(team?.[change.field], change.after, change.field)
        }
      })
    )

    it.effect(
      "export's manifests, applied: every object adopted, only owner markers written, as plan said; keys by token, no Secret",
      () =>
        Effect.gen(function* () {
          const sim = yield* Simulator
          yield* sim.reset
          const client = yield* clientFor
          yield* client.teamNew("team-ml", { team_alias: "ml", models: ["gpt-4o"], max_budget: 120.5, rpm_limit: 100 })
          yield* client.userNew("u-bob", { user_email: "bob@example.com", user_role: "internal_user", max_budget: 10 })
          yield* client.teamMemberAdd({ teamId: "team-ml", userId: "u-bob", role: "user", maxBudgetInTeam: 7 })
          const made = yield* client.keyGenerate(Redacted.make("sk-hand-made-key-0003-abcdefgh"), {
            key_alias: "ml-batch",
            team_id: "team-ml",
            max_budget: 3,
            metadata: { workload: "batch" }
          })
          const namespace = yield* freshNamespace("export")
          yield* createConnectionSecret(namespace, "litellm-connection", { "auth.litellm.ai/allow-adoption": "true" })
          const exported = yield* exportProxy(client, {
            namespace,
            connectionSecret: "litellm-connection",
            url: sim.url
          })
          // As the CLI writes them and kubectl reads them back.
          const manifests = yield* parseManifests(renderManifests(exported.manifests), "export")
          const before = yield* sim.snapshot
          yield* sim.resetCalls
          const report = yield* planManifests(client, classifyManifests(manifests, namespace), {
            url: sim.url,
            installationId: installation,
            prune: false
          })
          assert.strictEqual(exitCodeOf(report), 0, JSON.stringify(report.objects))
          assert.deepStrictEqual(report.summary, {
            create: 0,
            update: 0,
            adopt: 3,
            unchanged: 1,
            refused: 0,
            errors: 0,
            prune: 0
          })

          yield* startOperator(namespace)
          yield* applyManifests(inject("kubeconfig"), inNamespace(manifests, namespace), {
            fieldManager: "export-test"
          })
          const population = yield* awaitAllReady(namespace, 4, "60 seconds")
          // What the operator wrote is what plan said: one update per adopted object, the marker only.
          assert.deepStrictEqual(writesIn(yield* sim.calls), plannedWrites(report))
          const after = yield* sim.snapshot
          const withoutMarker = (rows: ReadonlyArray<Record<string, unknown>>) =>
            rows.map(({ metadata, updated_at: _u, updated_by: _b, ...row }) => {
              const rest: Record<string, unknown> =
                typeof metadata === "object" && metadata !== null ? { ...metadata } : {}
              delete rest[ownerMetadataKey]
              return { ...row, metadata: rest }
            })
          assert.deepStrictEqual(withoutMarker(after.teams), withoutMarker(before.teams))
          assert.deepStrictEqual(withoutMarker(after.users), withoutMarker(before.users))
          assert.deepStrictEqual(withoutMarker(after.keys), withoutMarker(before.keys))
          assert.deepStrictEqual(after.memberships, before.memberships)
          // (The simulator's own admin user is not exported, so not adopted.)
          for (const row of [...after.teams, ...after.users.filter((u) => u["user_id"] === "u-bob"), ...after.keys]) {
            const metadata = row["metadata"]
            assert.isTrue(typeof metadata === "object" && metadata !== null && ownerMetadataKey in metadata)
          }
          // The key is adopted by its token: its status records it, and no key Secret was written (no value known).
          const key = population.keys[0]
          assert.strictEqual(key?.metadata.annotations?.[adoptTokenAnnotation], made.token)
          assert.strictEqual(key?.status?.token, made.token)
          assert.isUndefined(key?.status?.keySecretRef)
          const kube = yield* KubeClient
          const secret = yield* kube
            .get(Secrets, { namespace, name: `${key?.metadata.name}-litellm-key` })
            .pipe(Effect.option)
          assert.isTrue(Option.isNone(secret))
          assert.isTrue(population.teams.every((t) => t.metadata.annotations?.["auth.litellm.ai/adopted"] === "true"))
        })
    )

    it.effect("a key adopted by a token LiteLLM does not have: InvalidSpec, never minted, no Secret", () =>
      Effect.gen(function* () {
        const sim = yield* Simulator
        yield* sim.reset
        const namespace = yield* freshNamespace("adopt-token")
        yield* createConnectionSecret(namespace, "litellm-connection", { "auth.litellm.ai/allow-adoption": "true" })
        yield* startOperator(namespace)
        const missing = "ab".repeat(32)
        const [vk] = yield* parseManifests(
          [
            "apiVersion: auth.litellm.ai/v1alpha1",
            "kind: VirtualKey",
            "metadata:",
            "  name: gone",
            `  namespace: ${namespace}`,
            "  annotations:",
            '    auth.litellm.ai/adopt: "true"',
            `    ${adoptTokenAnnotation}: ${missing}`,
            "spec: {connectionRef: {secretRef: {name: litellm-connection}}, keyAlias: gone}",
            ""
          ].join("\n"),
          "inline"
        )
        yield* applyManifests(inject("kubeconfig"), vk === undefined ? [] : [vk], { fieldManager: "export-test" })
        const kube = yield* KubeClient
        const ready = yield* eventually(
          "Ready=False InvalidSpec",
          kube.get(VirtualKeys, { namespace, name: "gone" }),
          (o) => readyOf(o.status?.conditions ?? [])?.reason === "InvalidSpec"
        )
        assert.include(readyOf(ready.status?.conditions ?? [])?.message ?? "", "cannot make it again")
        assert.strictEqual((yield* sim.calls)["POST /key/generate"], undefined)
        const secret = yield* kube.get(Secrets, { namespace, name: "gone-litellm-key" }).pipe(Effect.option)
        assert.isTrue(Option.isNone(secret))
      })
    )

    it.effect(
      "another namespace cannot take a key by its token: one another object owns is refused (OwnershipConflict), before and after plan",
      () =>
        Effect.gen(function* () {
          const sim = yield* Simulator
          yield* sim.reset
          const owner = yield* freshNamespace("token-owner")
          const thief = yield* freshNamespace("token-thief")
          yield* createConnectionSecret(owner, "litellm-connection")
          // The thief's connection owner even allows adoption: ownership still wins.
          yield* createConnectionSecret(thief, "litellm-connection", { "auth.litellm.ai/allow-adoption": "true" })
          yield* startOperator(owner)
          yield* startOperator(thief)
          const key = (namespace: string, annotations: ReadonlyArray<string>) =>
            parseManifests(
              [
                "apiVersion: auth.litellm.ai/v1alpha1",
                "kind: VirtualKey",
                "metadata:",
                "  name: worker",
                `  namespace: ${namespace}`,
                ...(annotations.length === 0 ? [] : ["  annotations:", ...annotations.map((a) => `    ${a}`)]),
                "spec: {connectionRef: {secretRef: {name: litellm-connection}}, keyAlias: worker, maxBudget: '5'}",
                ""
              ].join("\n"),
              namespace
            )
          yield* applyManifests(inject("kubeconfig"), yield* key(owner, []), { fieldManager: "t" })
          const ready = yield* awaitAllReady(owner, 1, "30 seconds")
          const token = ready.keys[0]?.status?.token ?? ""
          assert.match(token, /^[0-9a-f]{64}$/)
          const stolen = yield* key(thief, ['auth.litellm.ai/adopt: "true"', `${adoptTokenAnnotation}: ${token}`])
          const client = yield* clientFor
          const report = yield* planManifests(client, classifyManifests(stolen, thief), {
            url: sim.url,
            installationId: installation,
            prune: false
          })
          assert.strictEqual(report.objects[0]?.result, "refused")
          assert.include(report.objects[0]?.message ?? "", "OwnershipConflict")
          assert.strictEqual(exitCodeOf(report), 1)
          yield* sim.resetCalls
          yield* applyManifests(inject("kubeconfig"), stolen, { fieldManager: "t" })
          const kube = yield* KubeClient
          const refused = yield* eventually(
            "Ready=False OwnershipConflict",
            kube.get(VirtualKeys, { namespace: thief, name: "worker" }),
            (o) => readyOf(o.status?.conditions ?? [])?.reason === "OwnershipConflict"
          )
          assert.isUndefined(refused.status?.token)
          assert.strictEqual((yield* sim.calls)["POST /key/update"], undefined)
        })
    )
  })
})
