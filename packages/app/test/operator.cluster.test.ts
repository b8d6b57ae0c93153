import { createHash } from "node:crypto"
import { assert, describe, layer } from "@effect/vitest"
import type { TeamStatus } from "@litellm-operator/core"
import { readyOf } from "@litellm-operator/core"
import type { NewObject, TeamResource } from "@litellm-operator/k8s"
import {
  Events,
  KubeClient,
  KubeTransport,
  Secrets,
  TeamMemberAssociations,
  Teams,
  Users,
  VirtualKeys
} from "@litellm-operator/k8s"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Duration, Effect, Exit, Redacted, Scope } from "effect"
import {
  capturedLogs,
  createConnectionSecret,
  eventually,
  freshNamespace,
  harnessLayer,
  isReady,
  MASTER_KEY,
  startOperator
} from "./support/operatorHarness.ts"

const team = (namespace: string, name: string): NewObject<typeof TeamResource.Encoded> => ({
  metadata: { namespace, name },
  spec: { connectionRef: { secretRef: { name: "litellm" } }, teamAlias: name, maxBudget: "100", models: ["gpt-4o"] }
})

describe("operator, end to end", () => {
  layer(harnessLayer(11), { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("a Team: created, updated, cleared, corrected after drift, deleted", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const namespace = yield* freshNamespace("e2e-team")
        yield* createConnectionSecret(namespace)
        yield* startOperator(namespace)
        const key = { namespace, name: "search" }

        const created = yield* kube.create(Teams, team(namespace, "search"))
        const teamId = `k8s-${created.metadata.uid}`
        const ready = yield* eventually("Team Ready", kube.get(Teams, key), (t) => isReady(t.status))
        assert.strictEqual(ready.status?.teamID, teamId)
        assert.strictEqual(ready.status?.observedGeneration, created.metadata.generation)
        assert.strictEqual(ready.status?.maxBudget, "100")
        assert.include(ready.metadata.finalizers ?? [], "auth.litellm.ai/finalizer")
        const row = (yield* sim.snapshot).teams.find((t) => t.team_id === teamId)
        assert.strictEqual(row?.team_alias, "search")

        // A spec change: one update call.
        yield* sim.resetCalls
        yield* kube.mergePatch(Teams, key, { spec: { maxBudget: "150", rpmLimit: 60 } })
        yield* eventually(
          "maxBudget 150",
          kube.get(Teams, key),
          (t) => t.status?.maxBudget === "150" && isReady(t.status)
        )
        assert.strictEqual((yield* sim.calls)["POST /team/update"], 1)
        const updated = yield* kube.get(Teams, key)
        assert.strictEqual(updated.metadata.generation, created.metadata.generation + 1)
        assert.strictEqual(updated.status?.observedGeneration, updated.metadata.generation)

        // A field removed from the spec is cleared in LiteLLM.
        yield* kube.mergePatch(Teams, key, { spec: { rpmLimit: null } })
        yield* eventually("rpmLimit cleared", kube.get(Teams, key), (t) => t.status?.rpmLimit === undefined)

        // Drift behind the operator's back is put right at the next resync.
        yield* sim.resetCalls
        yield* Effect.promise(() =>
          fetch(`${sim.url}/team/update`, {
            method: "POST",
            headers: { authorization: "Bearer sk-e2e-master-7Hq2LmVx9RtK4wPz", "content-type": "application/json" },
            body: JSON.stringify({ team_id: teamId, max_budget: 1 })
          })
        )
        yield* eventually(
          "drift corrected",
          sim.snapshot,
          (s) => s.teams.find((t) => t.team_id === teamId)?.max_budget === 150
        )

        // Deleted: gone from LiteLLM, finalizer removed, object gone.
        yield* kube.delete(Teams, key)
        yield* eventually("Team gone", Effect.exit(kube.get(Teams, key)), Exit.isFailure)
        assert.isUndefined((yield* sim.snapshot).teams.find((t) => t.team_id === teamId))
      })
    )

    it.effect("a VirtualKey: its key in a Secret first, minted under that value, replaced if revoked, deleted", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const namespace = yield* freshNamespace("e2e-key")
        yield* createConnectionSecret(namespace)
        yield* startOperator(namespace)
        const key = { namespace, name: "indexer" }
        yield* kube.create(VirtualKeys, {
          metadata: key,
          spec: {
            connectionRef: { secretRef: { name: "litellm" } },
            keyAlias: "indexer",
            maxBudget: "20",
            duration: "30d"
          }
        })
        const ready = yield* eventually("VirtualKey Ready", kube.get(VirtualKeys, key), (k) => isReady(k.status))
        assert.strictEqual(ready.status?.keySecretRef, "indexer-litellm-key")
        const secret = yield* kube.readSecret({ namespace, name: "indexer-litellm-key" })
        const raw = Redacted.value(secret.data?.key ?? Redacted.make(""))
        assert.match(raw, /^sk-/)
        assert.strictEqual(Redacted.value(secret.data?.url ?? Redacted.make("")), sim.url)
        assert.strictEqual(secret.metadata.ownerReferences?.[0]?.uid, ready.metadata.uid)
        const token = createHash("sha256").update(raw).digest("hex")
        assert.strictEqual(ready.status?.token, token)
        assert.notInclude(JSON.stringify(ready.status), raw)
        assert.isDefined((yield* sim.snapshot).keys.find((k) => k.token === token))

        // Revoked behind the operator's back: a new key is minted and the Secret updated.
        yield* Effect.promise(() =>
          fetch(`${sim.url}/key/delete`, {
            method: "POST",
            headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
            body: JSON.stringify({ keys: [token] })
          })
        )
        const replaced = yield* eventually(
          "new key",
          kube.get(VirtualKeys, key),
          (k) => k.status?.token !== token && isReady(k.status)
        )
        const after = yield* kube.readSecret({ namespace, name: "indexer-litellm-key" })
        const newRaw = Redacted.value(after.data?.key ?? Redacted.make(""))
        assert.notStrictEqual(newRaw, raw)
        assert.strictEqual(replaced.status?.token, createHash("sha256").update(newRaw).digest("hex"))
        assert.strictEqual((yield* sim.snapshot).keys.filter((k) => k.key_alias === "indexer").length, 1)

        yield* kube.delete(VirtualKeys, key)
        yield* eventually("VirtualKey gone", Effect.exit(kube.get(VirtualKeys, key)), Exit.isFailure)
        assert.strictEqual((yield* sim.snapshot).keys.filter((k) => k.key_alias === "indexer").length, 0)
      })
    )

    it.effect("a User with its own key, and its membership of a Team found by alias and email", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const namespace = yield* freshNamespace("e2e-user")
        yield* createConnectionSecret(namespace)
        // No resync within the test: only the Team's and the User's own changes can end the association's wait.
        yield* startOperator(namespace, { resyncPeriod: Duration.minutes(10) })
        const connectionRef = { secretRef: { name: "litellm" } }
        const tmaKey = { namespace, name: "alice-in-search" }
        // The association first: it waits for the team and the user, then follows them.
        yield* kube.create(TeamMemberAssociations, {
          metadata: tmaKey,
          spec: {
            connectionRef,
            teamAlias: "search",
            userEmail: "Alice@Example.com",
            role: "user",
            maxBudgetInTeam: "25"
          }
        })
        yield* eventually(
          "association waits",
          kube.get(TeamMemberAssociations, tmaKey),
          (t) => t.status?.conditions?.some((c) => c.reason === "DependencyNotReady") === true
        )
        yield* kube.create(Teams, team(namespace, "search"))
        yield* kube.create(Users, {
          metadata: { namespace, name: "alice" },
          spec: {
            connectionRef,
            userEmail: "alice@example.com",
            maxBudget: "50",
            autoCreateKey: true,
            keyAlias: "alice-key"
          }
        })
        const user = yield* eventually("User Ready", kube.get(Users, { namespace, name: "alice" }), (u) =>
          isReady(u.status)
        )
        assert.strictEqual(user.status?.keySecretRef, "alice-litellm-key")
        assert.strictEqual(user.status?.keyAlias, "alice-key")
        const tma = yield* eventually("association Ready", kube.get(TeamMemberAssociations, tmaKey), (t) =>
          isReady(t.status)
        )
        assert.strictEqual(tma.status?.userID, user.status?.userID)
        assert.strictEqual(tma.status?.maxBudgetInTeam, "25")
        // Waiting was not a failure: the status said it, no Warning Event did.
        const warnings = (yield* kube.list(Events, { namespace })).items.filter(
          (e) => e.regarding?.name === tmaKey.name && e.type === "Warning"
        )
        assert.deepStrictEqual(
          warnings.map((e) => e.reason),
          []
        )
        const teamRow = (yield* sim.snapshot).teams.find((t) => t.team_id === tma.status?.teamID)
        assert.include(JSON.stringify(teamRow?.members_with_roles), user.status?.userID ?? "missing")

        // A budget change goes through /team/member_update, once.
        yield* sim.resetCalls
        yield* kube.mergePatch(TeamMemberAssociations, tmaKey, { spec: { maxBudgetInTeam: "30" } })
        yield* eventually(
          "budget 30",
          kube.get(TeamMemberAssociations, tmaKey),
          (t) => t.status?.maxBudgetInTeam === "30"
        )
        const memberCalls = Object.entries(yield* sim.calls).filter(([endpoint]) => endpoint.startsWith("POST"))
        assert.deepStrictEqual(memberCalls, [["POST /team/member_update", 1]])

        // Deleting the Team first does not wedge the association's deletion, nor the user's.
        yield* kube.delete(Teams, { namespace, name: "search" })
        yield* kube.delete(TeamMemberAssociations, tmaKey)
        yield* kube.delete(Users, { namespace, name: "alice" })
        yield* eventually("team gone", Effect.exit(kube.get(Teams, { namespace, name: "search" })), Exit.isFailure)
        yield* eventually("association gone", Effect.exit(kube.get(TeamMemberAssociations, tmaKey)), Exit.isFailure)
        yield* eventually("user gone", Effect.exit(kube.get(Users, { namespace, name: "alice" })), Exit.isFailure)
        const after = yield* sim.snapshot
        assert.isUndefined(after.users.find((u) => u.user_id === user.status?.userID))
        assert.isUndefined(after.keys.find((k) => k.key_alias === "alice-key"))
      })
    )

    it.effect(
      "drift on every kind is put right: a deleted user, a removed member, a changed key, a dropped field",
      () =>
        Effect.gen(function* () {
          const kube = yield* KubeClient
          const sim = yield* Simulator
          const namespace = yield* freshNamespace("e2e-drift")
          yield* createConnectionSecret(namespace)
          yield* startOperator(namespace)
          const connectionRef = { secretRef: { name: "litellm" } }
          const post = (path: string, body: unknown) =>
            Effect.promise(() =>
              fetch(`${sim.url}${path}`, {
                method: "POST",
                headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
                body: JSON.stringify(body)
              })
            )
          yield* kube.create(Teams, team(namespace, "drift"))
          yield* kube.create(Users, {
            metadata: { namespace, name: "carol" },
            spec: { connectionRef, userEmail: "carol@example.com", maxBudget: "10", autoCreateKey: true }
          })
          yield* kube.create(VirtualKeys, {
            metadata: { namespace, name: "svc" },
            spec: { connectionRef, keyAlias: "drift-svc", maxBudget: "5", rpmLimit: 10 }
          })
          const tmaKey = { namespace, name: "carol-in-drift" }
          yield* kube.create(TeamMemberAssociations, {
            metadata: tmaKey,
            spec: { connectionRef, teamAlias: "drift", userEmail: "carol@example.com", role: "user" }
          })
          const tma = yield* eventually("association Ready", kube.get(TeamMemberAssociations, tmaKey), (t) =>
            isReady(t.status)
          )
          const user = yield* eventually("User Ready", kube.get(Users, { namespace, name: "carol" }), (u) =>
            isReady(u.status)
          )
          const vk = yield* eventually("key Ready", kube.get(VirtualKeys, { namespace, name: "svc" }), (k) =>
            isReady(k.status)
          )
          const userId = user.status?.userID ?? ""

          // A dropped field is cleared; a field changed behind the operator's back is put back.
          yield* kube.mergePatch(VirtualKeys, { namespace, name: "svc" }, { spec: { rpmLimit: null } })
          yield* post("/key/update", { key: vk.status?.token, max_budget: 999 })
          yield* eventually("key fixed", sim.snapshot, (s) => {
            const row = s.keys.find((k) => k.token === vk.status?.token)
            return row?.max_budget === 5 && row.rpm_limit === null
          })

          // A member removed behind the operator's back is added again.
          yield* post("/team/member_delete", { team_id: tma.status?.teamID, user_id: userId })
          yield* eventually("member back", sim.snapshot, (s) =>
            JSON.stringify(s.teams.find((t) => t.team_id === tma.status?.teamID)?.members_with_roles).includes(userId)
          )

          // A user deleted behind the operator's back (which takes its key with it) comes back, with a new key.
          yield* post("/user/delete", { user_ids: [userId] })
          const back = yield* eventually(
            "user back",
            kube.get(Users, { namespace, name: "carol" }),
            (u) => isReady(u.status) && u.status?.token !== user.status?.token
          )
          const snapshot = yield* sim.snapshot
          assert.isDefined(snapshot.users.find((u) => u.user_id === userId))
          assert.isDefined(snapshot.keys.find((k) => k.token === back.status?.token))
          assert.isUndefined(snapshot.keys.find((k) => k.token === user.status?.token))
        })
    )

    it.effect(
      "fields that cannot take effect say so; guardrails reach the user; budgetID with softBudget settles",
      () =>
        Effect.gen(function* () {
          const kube = yield* KubeClient
          const sim = yield* Simulator
          const namespace = yield* freshNamespace("e2e-fields")
          yield* createConnectionSecret(namespace)
          yield* startOperator(namespace)
          const connectionRef = { secretRef: { name: "litellm" } }
          const userKey = { namespace, name: "dana" }
          yield* kube.create(Users, {
            metadata: userKey,
            spec: {
              connectionRef,
              userEmail: "dana@example.com",
              blocked: true,
              permissions: { get_spend_routes: "false" },
              guardrails: ["pii-mask"],
              spend: "1",
              ssoUserID: "sso-dana"
            }
          })
          const messageOf = (status: { readonly conditions?: TeamStatus["conditions"] } | undefined) =>
            readyOf(status?.conditions)?.message ?? ""
          const user = yield* eventually(
            "User Ready with warnings",
            kube.get(Users, userKey),
            (u) => readyOf(u.status?.conditions)?.reason === "ReconciledWithWarnings"
          )
          assert.isTrue(isReady(user.status))
          assert.include(messageOf(user.status), "User field blocked applies only to the user's own key")
          assert.include(messageOf(user.status), "User field permissions applies only to the user's own key")
          const userId = user.status?.userID
          const row = (yield* sim.snapshot).users.find((u) => u.user_id === userId)
          assert.include(JSON.stringify(row?.metadata), '"guardrails":["pii-mask"]')

          // Later edits: spend is sent once; the SSO id, which /user/update ignores, is named.
          yield* kube.mergePatch(Users, userKey, {
            spec: { blocked: null, permissions: null, ssoUserID: "sso-other", spend: "3" }
          })
          const edited = yield* eventually("ssoUserID edit named", kube.get(Users, userKey), (u) =>
            messageOf(u.status).includes("User field ssoUserID was changed after creation")
          )
          assert.notInclude(messageOf(edited.status), "User field blocked")
          yield* eventually("spend sent", sim.snapshot, (s) => s.users.find((u) => u.user_id === userId)?.spend === 3)

          // Both budget fields on one key: Ready with budgetID named, and resyncs send nothing more.
          const vkKey = { namespace, name: "budgeted" }
          yield* kube.create(VirtualKeys, {
            metadata: vkKey,
            spec: { connectionRef, keyAlias: "budgeted", budgetID: "shared-budget", softBudget: "2" }
          })
          const vk = yield* eventually("VirtualKey Ready", kube.get(VirtualKeys, vkKey), (k) => isReady(k.status))
          assert.include(messageOf(vk.status), "budgetID is not applied")
          yield* sim.resetCalls
          yield* Effect.sleep("5 seconds") // resyncs every 2 seconds
          assert.isUndefined((yield* sim.calls)["POST /key/update"])
        })
    )

    it.effect("a new object costs one reconcile: its own finalizer and status writes do not wake it again", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const namespace = yield* freshNamespace("e2e-one")
        yield* createConnectionSecret(namespace)
        // No resync within the test: every reconcile counted is one an event asked for.
        yield* startOperator(namespace, { resyncPeriod: Duration.minutes(10) })
        yield* sim.resetCalls
        yield* kube.create(VirtualKeys, {
          metadata: { namespace, name: "once" },
          spec: { connectionRef: { secretRef: { name: "litellm" } }, keyAlias: `once-${namespace}` }
        })
        yield* eventually("Ready", kube.get(VirtualKeys, { namespace, name: "once" }), (o) => isReady(o.status))
        yield* Effect.sleep("1500 millis")
        const calls = yield* sim.calls
        // The create alone: a key value generated this reconcile, stored in its Secret first, cannot be in
        // LiteLLM yet, so it is not looked for before the create; the create's answer shows the key as a read
        // would, so it is not read back either.
        assert.strictEqual(calls["POST /key/generate"], 1, JSON.stringify(calls))
        assert.isUndefined(calls["GET /key/info"], JSON.stringify(calls))
        assert.isUndefined(calls["GET /key/list"], JSON.stringify(calls))
        assert.deepStrictEqual(
          Object.keys(calls).sort(),
          Object.keys(calls)
            .filter((c) => c.includes("/key/"))
            .sort()
        )
        // A change by someone else still wakes it: a spec change is one update.
        yield* sim.resetCalls
        yield* kube.mergePatch(VirtualKeys, { namespace, name: "once" }, { spec: { maxBudget: "3" } })
        yield* eventually(
          "budget 3",
          kube.get(VirtualKeys, { namespace, name: "once" }),
          (o) => o.status?.maxBudget === "3"
        )
        assert.strictEqual((yield* sim.calls)["POST /key/update"], 1)
      })
    )

    it.effect("a status written from a create's answer is what a later pass reads: it writes nothing more", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const namespace = yield* freshNamespace("e2e-answer")
        yield* createConnectionSecret(namespace)
        const connectionRef = { secretRef: { name: "litellm" } }
        const quiet = { resyncPeriod: Duration.minutes(10) }
        const first = yield* Scope.make()
        yield* startOperator(namespace, quiet).pipe(Scope.provide(first))
        yield* sim.resetCalls
        // Answers that stand for the read (a plain key; an expiry and a soft budget's joined row; a user's own
        // key), and one that cannot (when a budget next resets is not in the answer): that key is read back.
        const keys = {
          plain: { connectionRef, keyAlias: `plain-${namespace}`, maxBudget: "5", models: ["gpt-4o"] },
          soft: { connectionRef, keyAlias: `soft-${namespace}`, duration: "30d", softBudget: "2" },
          reset: { connectionRef, keyAlias: `reset-${namespace}`, budgetDuration: "1d", maxBudget: "1" }
        }
        for (const [name, spec] of Object.entries(keys))
          yield* kube.create(VirtualKeys, { metadata: { namespace, name }, spec })
        yield* kube.create(Users, {
          metadata: { namespace, name: "uma" },
          spec: { connectionRef, userEmail: `uma-${namespace}@example.com`, autoCreateKey: true }
        })
        const objects = Effect.all([
          ...Object.keys(keys).map((name) => kube.get(VirtualKeys, { namespace, name })),
          kube.get(Users, { namespace, name: "uma" })
        ])
        const ready = yield* eventually("all Ready", objects, (os) => os.every((o) => isReady(o.status)))
        const created = yield* sim.calls
        assert.strictEqual(created["POST /key/generate"], 4, JSON.stringify(created))
        // Only the key whose answer cannot stand is read back (by id; the harness may also take a list).
        assert.isAtMost(created["GET /key/info"] ?? 0, 1, JSON.stringify(created))
        assert.isAtMost(created["GET /key/list"] ?? 0, 1, JSON.stringify(created))
        yield* Scope.close(first, Exit.void)

        // A restarted operator reads every object afresh (from the lists, as a resync does) and finds its status.
        yield* sim.resetCalls
        yield* startOperator(namespace, quiet)
        yield* eventually("keys and the user read again", sim.calls, (calls) =>
          ["/key/", "/user/"].every((path) =>
            Object.keys(calls).some((call) => call.startsWith("GET") && call.includes(path))
          )
        )
        yield* Effect.sleep("1500 millis")
        const calls = yield* sim.calls
        assert.deepStrictEqual(
          Object.keys(calls).filter((call) => call.startsWith("POST")),
          [],
          JSON.stringify(calls)
        )
        assert.deepStrictEqual(
          (yield* objects).map((o) => o.metadata.resourceVersion),
          ready.map((o) => o.metadata.resourceVersion),
          "status written again"
        )
      })
    )

    it.effect(
      "steady state: resyncs read LiteLLM, and write nothing to LiteLLM or to the API server; status holds what LiteLLM computes",
      () =>
        Effect.gen(function* () {
          const kube = yield* KubeClient
          const sim = yield* Simulator
          const namespace = yield* freshNamespace("e2e-steady")
          yield* createConnectionSecret(namespace)
          yield* startOperator(namespace, { resyncPeriod: Duration.seconds(1), resyncJitter: 0 })
          const connectionRef = { secretRef: { name: "litellm" } }
          yield* kube.create(Teams, team(namespace, "steady"))
          yield* kube.create(Users, {
            metadata: { namespace, name: "bob" },
            spec: { connectionRef, userEmail: "bob@example.com", autoCreateKey: true, blocked: true }
          })
          // Guardrails on a key need a LiteLLM license; on a user without its own key they do not.
          yield* kube.create(Users, {
            metadata: { namespace, name: "eve" },
            spec: { connectionRef, userEmail: "eve@example.com", guardrails: ["pii"] }
          })
          yield* kube.create(VirtualKeys, {
            metadata: { namespace, name: "svc" },
            spec: { connectionRef, keyAlias: "steady-svc", duration: "7d", softBudget: "2" }
          })
          yield* kube.create(TeamMemberAssociations, {
            metadata: { namespace, name: "bob-in-steady" },
            spec: { connectionRef, teamAlias: "steady", userEmail: "bob@example.com", role: "user" }
          })
          const versions = Effect.gen(function* () {
            return [
              yield* kube.get(Teams, { namespace, name: "steady" }),
              yield* kube.get(Users, { namespace, name: "bob" }),
              yield* kube.get(VirtualKeys, { namespace, name: "svc" }),
              yield* kube.get(TeamMemberAssociations, { namespace, name: "bob-in-steady" }),
              yield* kube.get(Users, { namespace, name: "eve" })
            ]
          })
          yield* eventually("all Ready", versions, (objects) => objects.every((o) => isReady(o.status)))
          // Fields LiteLLM computes or keeps elsewhere: the key's budget row (its soft budget), the user's
          // guardrails (in its metadata); a LiteLLM user has no blocked flag, its own key has.
          const bob = yield* kube.get(Users, { namespace, name: "bob" })
          const svc = yield* kube.get(VirtualKeys, { namespace, name: "svc" })
          const eve = yield* kube.get(Users, { namespace, name: "eve" })
          assert.deepStrictEqual(eve.status?.guardrails, ["pii"])
          assert.strictEqual(bob.status?.keyBlocked, true)
          assert.isUndefined(bob.status?.blocked)
          const budgetRow: Record<string, unknown> = JSON.parse(svc.status?.liteLLMBudgetTable ?? "{}")
          assert.strictEqual(budgetRow.soft_budget, 2)
          assert.strictEqual(budgetRow.budget_id, svc.status?.budgetID)
          // Let the last status patches and their events settle, then watch three resyncs.
          yield* Effect.sleep(Duration.millis(1500))
          const before = (yield* versions).map((o) => o.metadata.resourceVersion)
          const secretsBefore = [
            (yield* kube.readSecret({ namespace, name: "bob-litellm-key" })).metadata.resourceVersion,
            (yield* kube.readSecret({ namespace, name: "svc-litellm-key" })).metadata.resourceVersion
          ]
          yield* sim.resetCalls
          yield* Effect.sleep(Duration.seconds(3.5))
          const calls = yield* sim.calls
          const writes = Object.entries(calls).filter(([endpoint]) => endpoint.startsWith("POST"))
          assert.deepStrictEqual(writes, [], "LiteLLM writes in steady state")
          assert.isAbove(
            Object.values(calls).reduce((a, b) => a + b, 0),
            0,
            "resyncs should have read LiteLLM"
          )
          assert.deepStrictEqual(
            (yield* versions).map((o) => o.metadata.resourceVersion),
            before,
            "API server writes to the objects"
          )
          assert.deepStrictEqual(
            [
              (yield* kube.readSecret({ namespace, name: "bob-litellm-key" })).metadata.resourceVersion,
              (yield* kube.readSecret({ namespace, name: "svc-litellm-key" })).metadata.resourceVersion
            ],
            secretsBefore,
            "API server writes to the key Secrets"
          )
        })
    )

    it.effect("a deletion whose Secret went first (a namespace being deleted) still cleans up LiteLLM", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const transport = yield* KubeTransport
        const sim = yield* Simulator
        const namespace = yield* freshNamespace("e2e-nsdel")
        yield* createConnectionSecret(namespace, "going")
        yield* startOperator(namespace)
        const key = { namespace, name: "short-lived" }
        yield* kube.create(Teams, {
          metadata: key,
          spec: { connectionRef: { secretRef: { name: "going" } }, teamAlias: "short-lived" }
        })
        const ready = yield* eventually("Ready", kube.get(Teams, key), (t) => isReady(t.status))
        yield* transport.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}/secrets/going` })
        yield* kube.delete(Teams, key)
        yield* eventually("gone", Effect.exit(kube.get(Teams, key)), Exit.isFailure)
        assert.isUndefined((yield* sim.snapshot).teams.find((t) => t.team_id === ready.status?.teamID))
      })
    )

    it.effect(
      "after a restart, a deletion without its connection is blocked, says so, and lets go once the policy is Orphan",
      () =>
        Effect.gen(function* () {
          const kube = yield* KubeClient
          const transport = yield* KubeTransport
          const sim = yield* Simulator
          const namespace = yield* freshNamespace("e2e-blocked")
          yield* createConnectionSecret(namespace, "doomed")
          const key = { namespace, name: "blocked" }
          const first = yield* Scope.make()
          yield* startOperator(namespace).pipe(Scope.provide(first))
          yield* kube.create(Teams, {
            metadata: key,
            spec: { connectionRef: { secretRef: { name: "doomed" } }, teamAlias: "blocked" }
          })
          const ready = yield* eventually("Ready", kube.get(Teams, key), (t) => isReady(t.status))
          yield* Scope.close(first, Exit.void)
          yield* transport.request({ method: "DELETE", path: `/api/v1/namespaces/${namespace}/secrets/doomed` })
          yield* kube.delete(Teams, key)
          yield* startOperator(namespace)
          const blocked = yield* eventually(
            "DeletionBlocked",
            kube.get(Teams, key),
            (t) => t.status?.conditions?.some((c) => c.reason === "DeletionBlocked") === true
          )
          const message = blocked.status?.conditions?.find((c) => c.type === "Ready")?.message ?? ""
          assert.include(message, "does not exist")
          assert.include(message, "auth.litellm.ai/deletion-policy")
          yield* kube.mergePatch(Teams, key, {
            metadata: { annotations: { "auth.litellm.ai/deletion-policy": "Orphan" } }
          })
          yield* eventually("gone", Effect.exit(kube.get(Teams, key)), Exit.isFailure)
          // Orphaned: still in LiteLLM.
          assert.isDefined((yield* sim.snapshot).teams.find((t) => t.team_id === ready.status?.teamID))
        })
    )

    it.effect(
      "a deletion policy it does not know is refused, never defaulted: no key is made, and a deletion waits and leaves LiteLLM alone until it is fixed",
      () =>
        Effect.gen(function* () {
          const kube = yield* KubeClient
          const sim = yield* Simulator
          const namespace = yield* freshNamespace("e2e-policy")
          yield* createConnectionSecret(namespace, "litellm")
          yield* startOperator(namespace)
          const key = { namespace, name: "typo" }
          const policy = (value: string) => ({
            metadata: { annotations: { "auth.litellm.ai/deletion-policy": value } }
          })
          const readyCondition = (k: { readonly status?: TeamStatus | undefined }) =>
            k.status?.conditions?.find((c) => c.type === "Ready")
          const keysMade = sim.snapshot.pipe(Effect.map((s) => s.keys.filter((k) => k.key_alias === "typo-key")))
          // What the admission policy refuses when the chart installs it; here none is installed.
          yield* kube.create(VirtualKeys, {
            metadata: { ...key, annotations: { "auth.litellm.ai/deletion-policy": "orphan" } },
            spec: { connectionRef: { secretRef: { name: "litellm" } }, keyAlias: "typo-key" }
          })
          const refused = yield* eventually(
            "InvalidSpec",
            kube.get(VirtualKeys, key),
            (k) => readyCondition(k)?.reason === "InvalidSpec"
          )
          assert.include(readyCondition(refused)?.message, 'must be "Delete" or "Orphan" (case matters), not "orphan"')
          assert.deepStrictEqual(yield* keysMade, [])
          assert.notInclude(refused.metadata.finalizers ?? [], "auth.litellm.ai/finalizer")

          // Fixed: the key is made. Misspelt again: refused, and the key stays as it is.
          yield* kube.mergePatch(VirtualKeys, key, policy("Orphan"))
          yield* eventually("Ready", kube.get(VirtualKeys, key), (k) => isReady(k.status))
          assert.strictEqual((yield* keysMade).length, 1)
          yield* kube.mergePatch(VirtualKeys, key, policy("Retain"))
          yield* eventually(
            "InvalidSpec again",
            kube.get(VirtualKeys, key),
            (k) => readyCondition(k)?.message?.includes('not "Retain"') === true
          )

          // Deleted while misspelt: neither deleted from LiteLLM nor let go.
          yield* kube.delete(VirtualKeys, key)
          const blocked = yield* eventually(
            "DeletionBlocked",
            kube.get(VirtualKeys, key),
            (k) => readyCondition(k)?.reason === "DeletionBlocked"
          )
          assert.include(readyCondition(blocked)?.message, 'not "Retain"')
          assert.include(readyCondition(blocked)?.message, "is left in LiteLLM")
          yield* Effect.sleep("2 seconds")
          assert.isDefined((yield* kube.get(VirtualKeys, key)).metadata.deletionTimestamp)
          assert.strictEqual((yield* keysMade).length, 1)

          // The policy the user meant: the object goes, the key stays.
          yield* kube.mergePatch(VirtualKeys, key, policy("Orphan"))
          yield* eventually("gone", Effect.exit(kube.get(VirtualKeys, key)), Exit.isFailure)
          assert.strictEqual((yield* keysMade).length, 1)
        })
    )

    it.effect("no key or master key in any log line, Event, status or condition", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        // Every raw key the operator minted is in a key Secret (nothing collects them here: no controller manager).
        const keySecrets = yield* kube.list(Secrets, { labelSelector: "app.kubernetes.io/managed-by=litellm-operator" })
        const secrets = [
          MASTER_KEY,
          ...keySecrets.items.flatMap((s) => (s.data?.key === undefined ? [] : [Redacted.value(s.data.key)]))
        ]
        assert.isAbove(secrets.length, 3)
        assert.isAbove((yield* sim.snapshot).keys.length, 0)
        const listed = yield* kube.list(Events)
        const events = JSON.stringify(listed.items)
        const statuses = JSON.stringify(
          [
            ...(yield* kube.list(Teams)).items,
            ...(yield* kube.list(Users)).items,
            ...(yield* kube.list(VirtualKeys)).items,
            ...(yield* kube.list(TeamMemberAssociations)).items
          ].map((o) => o.status)
        )
        const logs = capturedLogs.join("\n")
        assert.isAbove(capturedLogs.length, 0)
        assert.isAbove(listed.items.length, 0)
        const rawKeys = [
          ...events.matchAll(/sk-[A-Za-z0-9_-]{20,}/g),
          ...statuses.matchAll(/sk-[A-Za-z0-9_-]{20,}/g),
          ...logs.matchAll(/sk-[A-Za-z0-9_-]{20,}/g)
        ]
        assert.deepStrictEqual(
          rawKeys.map((m) => m[0]),
          [],
          "something that looks like a key leaked"
        )
        for (const secret of secrets) {
          assert.notInclude(events, secret)
          assert.notInclude(statuses, secret)
          assert.notInclude(logs, secret)
        }
      })
    )
  })
})
