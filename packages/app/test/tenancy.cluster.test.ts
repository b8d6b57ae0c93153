/**
 * Tenants that do not trust each other (decision 9), against the real API
 * server and the simulator: a connection owner's namespace with a LiteLLM
 * instance shared by two tenant namespaces, a victim (`v-…`) and a hostile
 * tenant (`h-…`). Every abuse is refused with a clear condition, the attacker's
 * objects make no LiteLLM write, and the victim's LiteLLM objects do not change
 * over several resyncs. Each test runs its own operator over all namespaces,
 * limited by a label to the objects of that test.
 */
import { assert, describe, layer } from "@effect/vitest"
import type { Condition } from "@litellm-operator/core"
import { ownerMetadataKey, readyOf } from "@litellm-operator/core"
import type { CustomObject, CustomResourceType, ObjectKey } from "@litellm-operator/k8s"
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
import { Duration, Effect, Random } from "effect"
import { eventually, harnessLayer, isReady, MASTER_KEY, startOperator } from "./support/operatorHarness.ts"
import { createNamespace, sumCalls } from "./support/population.ts"

const RESYNC = Duration.seconds(1)

/** Creates a Secret with string data and annotations (the connection owner's instance Secret). */
const createSecret = Effect.fnUntraced(function* (
  namespace: string,
  name: string,
  stringData: Record<string, string>,
  annotations: Record<string, string> = {}
) {
  const transport = yield* KubeTransport
  yield* transport.request({
    method: "POST",
    path: `/api/v1/namespaces/${namespace}/secrets`,
    body: { apiVersion: "v1", kind: "Secret", metadata: { namespace, name, annotations }, stringData },
    sensitive: true
  })
})

/**
 * The setting: a connection owner's namespace holding the LiteLLM instance
 * Secret (shared with the two tenants by `allow-namespaces`, plus any policy
 * annotations given), a victim and an attacker, and an operator over all three.
 */
const tenants = Effect.fnUntraced(function* (policy: Record<string, string> = {}) {
  const sim = yield* Simulator
  const run = (yield* Random.nextIntBetween(0, 0xffffff)).toString(16).padStart(6, "0")
  const conn = yield* createNamespace(`conn-${run}`)
  const victim = yield* createNamespace(`v-${run}`)
  const attacker = yield* createNamespace(`h-${run}`)
  yield* createSecret(
    conn,
    "litellm-secrets",
    { masterkey: MASTER_KEY },
    { "auth.litellm.ai/allow-namespaces": `${victim},${attacker}`, ...policy }
  )
  const label = { "tenancy-run": run }
  yield* startOperator(victim, {
    namespace: undefined,
    labelSelector: `tenancy-run=${run}`,
    instanceUrlTemplate: sim.url,
    resyncPeriod: RESYNC,
    deniedRetry: RESYNC
  })
  const connectionRef = { instanceRef: { name: "litellm", namespace: conn } }
  const meta = (namespace: string, name: string, annotations: Record<string, string> = {}) => ({
    namespace,
    name,
    labels: label,
    annotations
  })
  return { run, conn, victim, attacker, connectionRef, meta }
})

const conditionOf = (status: { readonly conditions?: ReadonlyArray<Condition> } | undefined) =>
  readyOf(status?.conditions)

/** Waits until the object's Ready condition is False with `reason`, and returns the condition. */
const refusedWith = <A extends CustomObject<St>, St extends { readonly conditions?: ReadonlyArray<Condition> }>(
  type: CustomResourceType<A, St>,
  key: ObjectKey,
  reason: string
) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const object = yield* eventually(
      `${type.kind} ${key.namespace}/${key.name} refused with ${reason}`,
      kube.get(type, key),
      (o) => conditionOf(o.status)?.status === "False" && conditionOf(o.status)?.reason === reason
    )
    const condition = conditionOf(object.status)
    if (condition === undefined) return yield* Effect.die(new Error("no Ready condition"))
    return condition
  })

/** The victim's LiteLLM rows, to compare before and after: any write would change them (updated_at included). */
const rowsOf = Effect.fnUntraced(function* (ids: ReadonlyArray<string>) {
  const snapshot = yield* (yield* Simulator).snapshot
  return JSON.stringify([
    snapshot.teams.filter((t) => ids.includes(String(t.team_id))),
    snapshot.users.filter((u) => ids.includes(String(u.user_id))),
    snapshot.keys.filter((k) => ids.includes(String(k.token))),
    snapshot.memberships.filter((m) => ids.includes(String(m.team_id)) || ids.includes(String(m.user_id)))
  ])
})

describe("tenancy: no namespace reaches past its own", () => {
  layer(harnessLayer(31), { timeout: 180_000, excludeTestServices: true })((it) => {
    it.effect("a hostile tenant cannot take, change, spend or delete what another namespace owns", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const { victim, attacker, connectionRef, meta } = yield* tenants()

        // The victim: two teams, a user with its own key, a key of the team, a membership.
        const search = yield* kube.create(Teams, {
          metadata: meta(victim, "search"),
          spec: { connectionRef, teamAlias: `search-${victim}`, maxBudget: "250", models: ["gpt-4o"] }
        })
        const aiTeam = yield* kube.create(Teams, {
          metadata: meta(victim, "ai-team"),
          spec: { connectionRef, teamAlias: `ai-${victim}`, maxBudget: "100" }
        })
        const bob = yield* kube.create(Users, {
          metadata: meta(victim, "bob"),
          spec: { connectionRef, userEmail: `bob@${victim}.example`, maxBudget: "50", autoCreateKey: true }
        })
        const budget = yield* kube.create(Teams, {
          metadata: meta(victim, "budget"),
          spec: { connectionRef, teamAlias: `budget-${victim}`, maxBudget: "1000" }
        })
        const carol = yield* kube.create(Users, {
          metadata: meta(victim, "carol"),
          spec: { connectionRef, userEmail: `carol@${victim}.example`, maxBudget: "500" }
        })
        const budgetId = `k8s-${budget.metadata.uid}`
        const carolId = `k8s-${carol.metadata.uid}`
        const searchId = `k8s-${search.metadata.uid}`
        const aiId = `k8s-${aiTeam.metadata.uid}`
        const bobId = `k8s-${bob.metadata.uid}`
        yield* kube.create(VirtualKeys, {
          metadata: meta(victim, "indexer"),
          spec: { connectionRef, keyAlias: `indexer-${victim}`, teamID: searchId, models: ["gpt-4o"] }
        })
        yield* kube.create(TeamMemberAssociations, {
          metadata: meta(victim, "bob-in-search"),
          spec: { connectionRef, teamAlias: `search-${victim}`, userEmail: `bob@${victim}.example`, role: "user" }
        })
        const ready = <A extends CustomObject<St>, St extends { readonly conditions?: ReadonlyArray<Condition> }>(
          type: CustomResourceType<A, St>,
          name: string
        ) =>
          eventually(`victim ${type.kind} ${name} Ready`, kube.get(type, { namespace: victim, name }), (o) =>
            isReady(o.status)
          )
        yield* ready(Teams, "search")
        yield* ready(Teams, "ai-team")
        yield* ready(Users, "bob")
        yield* ready(Teams, "budget")
        yield* ready(Users, "carol")
        yield* ready(VirtualKeys, "indexer")
        yield* ready(TeamMemberAssociations, "bob-in-search")
        const bobStatus = yield* kube.get(Users, { namespace: victim, name: "bob" })
        const indexer = yield* kube.get(VirtualKeys, { namespace: victim, name: "indexer" })
        const victimIds = [
          searchId,
          aiId,
          bobId,
          budgetId,
          carolId,
          bobStatus.status?.token ?? "",
          indexer.status?.token ?? ""
        ]
        // Everything the victim owns carries its marker.
        const snapshot = yield* sim.snapshot
        const searchRow = snapshot.teams.find((t) => t.team_id === searchId)
        assert.include(JSON.stringify(searchRow?.metadata), search.metadata.uid)
        assert.include(JSON.stringify(snapshot.keys.find((k) => k.token === indexer.status?.token)), ownerMetadataKey)
        const before = yield* rowsOf(victimIds)
        yield* sim.resetCalls

        // The attacker's own user, for memberships it might try.
        const eve = yield* kube.create(Users, {
          metadata: meta(attacker, "eve"),
          spec: { connectionRef, userEmail: `eve@${attacker}.example` }
        })
        yield* eventually("attacker's own user Ready", kube.get(Users, { namespace: attacker, name: "eve" }), (o) =>
          isReady(o.status)
        )
        const eveId = `k8s-${eve.metadata.uid}`
        yield* sim.resetCalls

        // 1. Hijack by id: a Team and a User naming the victim's ids.
        yield* kube.create(Teams, {
          metadata: meta(attacker, "search"),
          spec: { connectionRef, teamID: searchId, teamAlias: "mine-now", maxBudget: "1" }
        })
        yield* kube.create(Users, {
          metadata: meta(attacker, "bob"),
          spec: { connectionRef, userID: bobId, userEmail: `eve@${attacker}.example`, maxBudget: "1" }
        })
        // 2. Privilege escalation: an admin user with its own key.
        yield* kube.create(Users, {
          metadata: meta(attacker, "root"),
          spec: { connectionRef, userEmail: `root@${attacker}.example`, userRole: "proxy_admin", autoCreateKey: true }
        })
        yield* kube.create(Users, {
          metadata: meta(attacker, "viewer"),
          spec: { connectionRef, userEmail: `viewer@${attacker}.example`, userRole: "proxy_admin_viewer" }
        })
        // 3. Spending another tenant's budget: a key of the victim's team, a key of the victim's user,
        //    a user joining the victim's team, a membership in the victim's team by its alias.
        yield* kube.create(VirtualKeys, {
          metadata: meta(attacker, "spend-team"),
          spec: { connectionRef, keyAlias: "spend-team", teamID: budgetId }
        })
        // (Naming an id that one of its own refused Teams declares only makes the key wait for that Team.)
        yield* kube.create(VirtualKeys, {
          metadata: meta(attacker, "spend-declared"),
          spec: { connectionRef, keyAlias: "spend-declared", teamID: searchId }
        })
        yield* kube.create(VirtualKeys, {
          metadata: meta(attacker, "spend-user"),
          spec: { connectionRef, keyAlias: "spend-user", userID: carolId }
        })
        yield* kube.create(Users, {
          metadata: meta(attacker, "joiner"),
          spec: { connectionRef, userEmail: `joiner@${attacker}.example`, teams: [budgetId] }
        })
        yield* kube.create(TeamMemberAssociations, {
          metadata: meta(attacker, "eve-in-search"),
          spec: { connectionRef, teamAlias: `search-${victim}`, userEmail: `eve@${attacker}.example`, role: "admin" }
        })
        // 4. Deleting another tenant's team: Delete asked for explicitly, then the object deleted.
        yield* kube.create(Teams, {
          metadata: meta(attacker, "ai-team", { "auth.litellm.ai/deletion-policy": "Delete" }),
          spec: { connectionRef, teamID: aiId, teamAlias: "ai-team" }
        })
        // 5. Adoption asked for by the attacker: the victim's objects have a live owner, so the answer is still no.
        yield* kube.create(Users, {
          metadata: meta(attacker, "adopt-bob", { "auth.litellm.ai/adopt": "true" }),
          spec: { connectionRef, userID: bobId, userEmail: `adopt@${attacker}.example` }
        })
        // 6. A forged owner marker in the spec's metadata: replaced by the operator, never trusted.
        yield* kube.create(Teams, {
          metadata: meta(attacker, "forged"),
          spec: {
            connectionRef,
            teamID: searchId,
            teamAlias: "forged",
            metadata: {
              [ownerMetadataKey]: JSON.stringify({
                installation: "e2e",
                namespace: victim,
                kind: "Team",
                name: "search",
                uid: search.metadata.uid
              })
            }
          }
        })
        // 7. An organization no namespace declares.
        yield* kube.create(Teams, {
          metadata: meta(attacker, "org"),
          spec: { connectionRef, teamAlias: "org-team", organizationID: "victim-org" }
        })

        const ownership = yield* refusedWith(Teams, { namespace: attacker, name: "search" }, "OwnershipConflict")
        assert.include(ownership.message, "belongs to an object in another namespace")
        assert.notInclude(ownership.message, victim, "the owner's namespace is not revealed")
        yield* refusedWith(Users, { namespace: attacker, name: "bob" }, "OwnershipConflict")
        const admin = yield* refusedWith(Users, { namespace: attacker, name: "root" }, "PolicyDenied")
        assert.include(admin.message, "proxy_admin")
        assert.include(admin.message, "auth.litellm.ai/allowed-user-roles")
        yield* refusedWith(Users, { namespace: attacker, name: "viewer" }, "PolicyDenied")
        const spendTeam = yield* refusedWith(VirtualKeys, { namespace: attacker, name: "spend-team" }, "PolicyDenied")
        assert.include(spendTeam.message, "auth.litellm.ai/allow-foreign-references")
        yield* refusedWith(VirtualKeys, { namespace: attacker, name: "spend-user" }, "PolicyDenied")
        const declared = yield* refusedWith(
          VirtualKeys,
          { namespace: attacker, name: "spend-declared" },
          "DependencyNotReady"
        )
        assert.include(declared.message, `Team ${attacker}/search`)
        yield* refusedWith(Users, { namespace: attacker, name: "joiner" }, "PolicyDenied")
        const member = yield* refusedWith(
          TeamMemberAssociations,
          { namespace: attacker, name: "eve-in-search" },
          "DependencyNotReady"
        )
        assert.include(member.message, "LiteLLM is not searched")
        yield* refusedWith(Teams, { namespace: attacker, name: "ai-team" }, "OwnershipConflict")
        yield* refusedWith(Users, { namespace: attacker, name: "adopt-bob" }, "OwnershipConflict")
        const forged = yield* refusedWith(Teams, { namespace: attacker, name: "forged" }, "OwnershipConflict")
        assert.include(forged.message, "another namespace")
        yield* refusedWith(Teams, { namespace: attacker, name: "org" }, "PolicyDenied")

        // No admin key reached a Secret of the attacker's namespace.
        const rootSecret = yield* Effect.exit(kube.get(Secrets, { namespace: attacker, name: "root-litellm-key" }))
        assert.isTrue(rootSecret._tag === "Failure", "no key Secret for a refused admin user")
        // The attacker's deletion of its "ai-team" removes its object at once and nothing in LiteLLM.
        yield* kube.delete(Teams, { namespace: attacker, name: "ai-team" })
        yield* eventually(
          "attacker's ai-team gone",
          Effect.exit(kube.get(Teams, { namespace: attacker, name: "ai-team" })),
          (exit) => exit._tag === "Failure"
        )

        // Several resyncs later: not one write by the attacker, and the victim's objects as they were.
        yield* Effect.sleep(Duration.times(RESYNC, 5))
        const calls = yield* sim.calls
        assert.strictEqual(sumCalls(calls).writes, 0, `no LiteLLM write: ${JSON.stringify(calls)}`)
        assert.strictEqual(yield* rowsOf(victimIds), before, "the victim's LiteLLM objects did not change")
        for (const name of ["search", "ai-team"]) {
          const team = yield* kube.get(Teams, { namespace: victim, name })
          assert.isTrue(isReady(team.status), `victim's ${name} still Ready`)
        }
        // The refusals are Events too, and no Event of the attacker's names the victim's namespace.
        const events = (yield* kube.list(Events, { namespace: attacker })).items
        assert.isTrue(events.some((e) => e.reason === "OwnershipConflict"))
        // (Aliases the attacker wrote may contain anything; what must not appear is a victim object's name or uid.)
        const leaking = events.filter((e) => (e.note ?? "").includes(`${victim}/`)).map((e) => e.note)
        assert.deepStrictEqual(leaking, [])
        // The victim's team keeps its alias and budget: no flapping between the two objects.
        const searchNow = (yield* sim.snapshot).teams.find((t) => t.team_id === searchId)
        assert.strictEqual(searchNow?.team_alias, `search-${victim}`)
        assert.strictEqual(searchNow?.max_budget, 250)
        assert.isTrue(eveId.length > 0)
      })
    )
  })
})
