/**
 * Tenants that do not trust each other (decision 9), against the real API
 * server and the simulator: a connection owner's namespace with a LiteLLM
 * instance shared by two tenant namespaces, a victim (`v-…`) and a hostile
 * tenant (`h-…`). Every abuse is refused with a clear condition, the attacker's
 * objects make no LiteLLM write, and the victim's LiteLLM objects do not change
 * over several resyncs. Each test runs its own operator over all namespaces,
 * limited by a label to the objects of that test.
 */
import { createHash } from "node:crypto"
import { createServer, type Socket } from "node:net"
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
import { Duration, Effect, Random, Redacted } from "effect"
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

/** Waits until LiteLLM has had `n` /key/generate calls, then checks that several resyncs add none. */
const generatesSettleAt = Effect.fnUntraced(function* (what: string, n: number) {
  const sim = yield* Simulator
  yield* eventually(what, sim.calls, (calls) => calls["POST /key/generate"] === n)
  yield* Effect.sleep(Duration.times(RESYNC, 3))
  assert.strictEqual((yield* sim.calls)["POST /key/generate"], n, `${what}: no more /key/generate`)
})

/** A merge patch of a Secret (its annotations: the connection owner's policy; or its data). */
const patchSecret = Effect.fnUntraced(function* (namespace: string, name: string, body: Record<string, unknown>) {
  const transport = yield* KubeTransport
  yield* transport.request({
    method: "PATCH",
    path: `/api/v1/namespaces/${namespace}/secrets/${name}`,
    contentType: "application/merge-patch+json",
    body,
    sensitive: true
  })
})

/**
 * The setting: a connection owner's namespace holding the LiteLLM instance
 * Secret (shared with the two tenants by `allow-namespaces`, plus any policy
 * annotations given), a victim and an attacker, and an operator over all three.
 */
const tenants = Effect.fnUntraced(function* (policy: Record<string, string> = {}, started = true) {
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
  const start = startOperator(victim, {
    namespace: undefined,
    labelSelector: `tenancy-run=${run}`,
    instanceUrlTemplate: sim.url,
    resyncPeriod: RESYNC,
    deniedRetry: RESYNC
  })
  if (started) yield* start
  const connectionRef = { instanceRef: { name: "litellm", namespace: conn } }
  const meta = (namespace: string, name: string, annotations: Record<string, string> = {}) => ({
    namespace,
    name,
    labels: label,
    annotations
  })
  return { run, conn, victim, attacker, connectionRef, meta, start }
})

/** A call to the simulator's admin API with the master key, as someone working on LiteLLM directly would. */
const litellm = (path: string, body: unknown) =>
  Effect.gen(function* () {
    const sim = yield* Simulator
    const response = yield* Effect.promise(() =>
      fetch(`${sim.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(body)
      })
    )
    assert.strictEqual(response.status, 200, `${path} answered ${response.status}`)
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
        // A membership of the attacker's own team for the victim's user, found by the victim's email.
        yield* kube.create(Teams, {
          metadata: meta(attacker, "mine"),
          spec: { connectionRef, teamAlias: `mine-${attacker}` }
        })
        yield* kube.create(TeamMemberAssociations, {
          metadata: meta(attacker, "bob-in-mine"),
          spec: { connectionRef, teamAlias: `mine-${attacker}`, userEmail: `bob@${victim}.example`, role: "user" }
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
        yield* eventually("attacker's own team Ready", kube.get(Teams, { namespace: attacker, name: "mine" }), (o) =>
          isReady(o.status)
        )
        // Until it is reconciled again after "mine" became Ready it may still say that "mine" is not ready.
        const byEmail = yield* eventually(
          "bob-in-mine refused for want of a User in the namespace",
          kube.get(TeamMemberAssociations, { namespace: attacker, name: "bob-in-mine" }),
          (o) =>
            conditionOf(o.status)?.reason === "DependencyNotReady" &&
            (conditionOf(o.status)?.message ?? "").includes("no User in namespace")
        )
        assert.strictEqual(conditionOf(byEmail.status)?.status, "False")
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
        // The one write: the attacker's own team "mine", which names nothing of anyone else's.
        assert.deepStrictEqual(
          Object.entries(calls).filter(([endpoint]) => endpoint.startsWith("POST")),
          [["POST /team/new", 1]],
          `no other LiteLLM write: ${JSON.stringify(calls)}`
        )
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

    it.effect(
      "a refusal retrying cannot change is held: one call, then none until the spec or the connection changes",
      () =>
        Effect.gen(function* () {
          const kube = yield* KubeClient
          const sim = yield* Simulator
          const { conn, victim, attacker, connectionRef, meta } = yield* tenants()
          yield* kube.create(VirtualKeys, {
            metadata: meta(victim, "first"),
            spec: { connectionRef, keyAlias: `shared-alias-${victim}` }
          })
          yield* eventually("victim key Ready", kube.get(VirtualKeys, { namespace: victim, name: "first" }), (o) =>
            isReady(o.status)
          )
          yield* sim.resetCalls
          // The same alias (LiteLLM: 400, aliases are unique) and an Enterprise-only field (LiteLLM: 403).
          yield* kube.create(VirtualKeys, {
            metadata: meta(attacker, "taken"),
            spec: { connectionRef, keyAlias: `shared-alias-${victim}` }
          })
          yield* kube.create(VirtualKeys, {
            metadata: meta(attacker, "enterprise"),
            spec: { connectionRef, keyAlias: `enterprise-${attacker}`, guardrails: ["pii"] }
          })
          const taken = yield* refusedWith(VirtualKeys, { namespace: attacker, name: "taken" }, "LiteLLMRejected")
          assert.include(taken.message, "already exists")
          assert.include(taken.message, "not retried until the spec or the connection changes")
          const enterprise = yield* refusedWith(
            VirtualKeys,
            { namespace: attacker, name: "enterprise" },
            "LiteLLMRejected"
          )
          assert.include(enterprise.message, "Enterprise")
          // Many resyncs: still the one attempt each.
          yield* Effect.sleep(Duration.times(RESYNC, 6))
          assert.strictEqual((yield* sim.calls)["POST /key/generate"], 2)

          // A new generation is tried again, once.
          yield* kube.mergePatch(VirtualKeys, { namespace: attacker, name: "taken" }, { spec: { maxBudget: "5" } })
          yield* generatesSettleAt("tried again for the new generation", 3)
          // So is a change of the connection (here its policy): both objects once more.
          yield* patchSecret(conn, "litellm-secrets", {
            metadata: { annotations: { "auth.litellm.ai/allow-adoption": "true" } }
          })
          yield* generatesSettleAt("tried again for the new connection", 5)
          // A fix of the spec makes it Ready.
          yield* kube.mergePatch(
            VirtualKeys,
            { namespace: attacker, name: "taken" },
            { spec: { keyAlias: `own-alias-${attacker}` } }
          )
          yield* eventually("fixed key Ready", kube.get(VirtualKeys, { namespace: attacker, name: "taken" }), (o) =>
            isReady(o.status)
          )
        })
    )

    it.effect("adoption happens only when the object asks and the connection allows it", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const { conn, victim, connectionRef, meta } = yield* tenants()
        // A team made in LiteLLM by hand: no marker, no object.
        const teamId = `by-hand-${victim}`
        yield* litellm("/team/new", { team_id: teamId, team_alias: "by-hand", max_budget: 10 })
        yield* sim.resetCalls
        yield* kube.create(Teams, {
          metadata: meta(victim, "implicit"),
          spec: { connectionRef, teamID: teamId, teamAlias: "taken-over", maxBudget: "99" }
        })
        const implicit = yield* refusedWith(Teams, { namespace: victim, name: "implicit" }, "AdoptionNotAllowed")
        assert.include(implicit.message, 'auth.litellm.ai/adopt: "true" on this object')
        assert.include(
          implicit.message,
          `auth.litellm.ai/allow-adoption: "true" on the connection Secret ${conn}/litellm-secrets`
        )
        yield* kube.create(Teams, {
          metadata: meta(victim, "asks", {
            "auth.litellm.ai/adopt": "true",
            "auth.litellm.ai/deletion-policy": "Delete"
          }),
          spec: { connectionRef, teamID: teamId, teamAlias: "taken-over", maxBudget: "99" }
        })
        const asks = yield* refusedWith(Teams, { namespace: victim, name: "asks" }, "AdoptionNotAllowed")
        assert.notInclude(asks.message, "on this object")
        yield* Effect.sleep(Duration.times(RESYNC, 3))
        assert.strictEqual(sumCalls(yield* sim.calls).writes, 0)
        assert.strictEqual((yield* sim.snapshot).teams.find((t) => t.team_id === teamId)?.max_budget, 10)

        // The connection owner allows adoption: the object that asked adopts, with the policy it asked for.
        yield* kube.delete(Teams, { namespace: victim, name: "implicit" })
        yield* patchSecret(conn, "litellm-secrets", {
          metadata: { annotations: { "auth.litellm.ai/allow-adoption": "true" } }
        })
        const adopted = yield* eventually("adopted", kube.get(Teams, { namespace: victim, name: "asks" }), (o) =>
          isReady(o.status)
        )
        assert.strictEqual(adopted.metadata.annotations?.["auth.litellm.ai/adopted"], "true")
        const row = (yield* sim.snapshot).teams.find((t) => t.team_id === teamId)
        assert.strictEqual(row?.max_budget, 99)
        assert.include(JSON.stringify(row?.metadata), adopted.metadata.uid)
        const events = (yield* kube.list(Events, { namespace: victim })).items
        assert.isTrue(
          events.some((e) => e.reason === "Adopted" && (e.note ?? "").includes("deletion policy Delete")),
          "the Event says the policy the annotation asked for"
        )
        // A second object of the same namespace naming the same team is refused, and names the owner.
        yield* kube.create(Teams, {
          metadata: meta(victim, "twin", { "auth.litellm.ai/adopt": "true" }),
          spec: { connectionRef, teamID: teamId, teamAlias: "twin" }
        })
        const twin = yield* refusedWith(Teams, { namespace: victim, name: "twin" }, "OwnershipConflict")
        assert.include(twin.message, `Team ${victim}/asks`)
      })
    )

    it.effect("the connection owner decides: admin roles and other namespaces' teams when the Secret allows them", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const { victim, attacker, connectionRef, meta } = yield* tenants({
          "auth.litellm.ai/allowed-user-roles": "proxy_admin, internal_user",
          "auth.litellm.ai/allow-foreign-references": "true"
        })
        const team = yield* kube.create(Teams, {
          metadata: meta(victim, "shared"),
          spec: { connectionRef, teamAlias: `shared-${victim}` }
        })
        yield* eventually("team Ready", kube.get(Teams, { namespace: victim, name: "shared" }), (o) =>
          isReady(o.status)
        )
        yield* kube.create(Users, {
          metadata: meta(attacker, "admin"),
          spec: { connectionRef, userEmail: `admin@${attacker}.example`, userRole: "proxy_admin" }
        })
        yield* kube.create(Users, {
          metadata: meta(attacker, "viewer"),
          spec: { connectionRef, userEmail: `viewer@${attacker}.example`, userRole: "internal_user_viewer" }
        })
        yield* kube.create(VirtualKeys, {
          metadata: meta(attacker, "on-shared"),
          spec: { connectionRef, keyAlias: `on-shared-${attacker}`, teamID: `k8s-${team.metadata.uid}` }
        })
        yield* eventually("admin allowed", kube.get(Users, { namespace: attacker, name: "admin" }), (o) =>
          isReady(o.status)
        )
        const viewer = yield* refusedWith(Users, { namespace: attacker, name: "viewer" }, "PolicyDenied")
        assert.include(viewer.message, "allowed: proxy_admin, internal_user")
        const key = yield* eventually(
          "key on another namespace's team allowed",
          kube.get(VirtualKeys, { namespace: attacker, name: "on-shared" }),
          (o) => isReady(o.status)
        )
        assert.strictEqual(
          (yield* sim.snapshot).keys.find((k) => k.token === key.status?.token)?.team_id,
          `k8s-${team.metadata.uid}`
        )
      })
    )

    it.effect(
      "deletions never wedge on what was never made, and a key Secret in the way is named, not to be deleted",
      () =>
        Effect.gen(function* () {
          const kube = yield* KubeClient
          const sim = yield* Simulator
          const { victim, connectionRef, meta } = yield* tenants()
          // A plain Secret where the key Secret would go.
          yield* createSecret(victim, "blocked-litellm-key", { note: "mine" })
          yield* kube.create(VirtualKeys, { metadata: meta(victim, "blocked"), spec: { connectionRef, keyAlias: "b" } })
          const conflict = yield* refusedWith(VirtualKeys, { namespace: victim, name: "blocked" }, "Conflict")
          assert.include(conflict.message, "is not a key Secret of any LiteLLM object")
          // A User and a VirtualKey of the same name: the key's condition names the User, and does not say delete.
          yield* kube.create(Users, {
            metadata: meta(victim, "twin"),
            spec: { connectionRef, userEmail: `twin@${victim}.example`, autoCreateKey: true }
          })
          yield* eventually("user twin Ready", kube.get(Users, { namespace: victim, name: "twin" }), (o) =>
            isReady(o.status)
          )
          yield* kube.create(VirtualKeys, { metadata: meta(victim, "twin"), spec: { connectionRef, keyAlias: "twin" } })
          const twin = yield* refusedWith(VirtualKeys, { namespace: victim, name: "twin" }, "Conflict")
          assert.include(twin.message, `User ${victim}/twin`)
          assert.include(twin.message, "rename this VirtualKey")
          assert.notInclude(twin.message, "delete")
          // Objects whose connection never existed.
          const nowhere = { secretRef: { name: "no-such-secret" } }
          yield* kube.create(Teams, {
            metadata: meta(victim, "nowhere"),
            spec: { connectionRef: nowhere, teamAlias: "x" }
          })
          yield* kube.create(VirtualKeys, {
            metadata: meta(victim, "nowhere-key"),
            spec: { connectionRef: nowhere, keyAlias: "nowhere-key" }
          })
          yield* refusedWith(Teams, { namespace: victim, name: "nowhere" }, "ConnectionError")
          yield* refusedWith(VirtualKeys, { namespace: victim, name: "nowhere-key" }, "ConnectionError")
          yield* sim.resetCalls
          // All four deleted: each goes at once, without a call to LiteLLM.
          for (const name of ["blocked", "twin", "nowhere-key"])
            yield* kube.delete(VirtualKeys, { namespace: victim, name })
          yield* kube.delete(Teams, { namespace: victim, name: "nowhere" })
          for (const name of ["blocked", "twin", "nowhere-key"]) {
            yield* eventually(
              `VirtualKey ${name} gone`,
              Effect.exit(kube.get(VirtualKeys, { namespace: victim, name })),
              (exit) => exit._tag === "Failure"
            )
          }
          yield* eventually(
            "Team nowhere gone",
            Effect.exit(kube.get(Teams, { namespace: victim, name: "nowhere" })),
            (exit) => exit._tag === "Failure"
          )
          assert.strictEqual(sumCalls(yield* sim.calls).writes, 0)
          // The Secrets in the way are untouched: the plain one, and the User's key.
          const plain = yield* kube.get(Secrets, { namespace: victim, name: "blocked-litellm-key" })
          assert.isDefined(plain.data?.note)
          const user = yield* kube.get(Users, { namespace: victim, name: "twin" })
          const userKey = yield* kube.get(Secrets, { namespace: victim, name: "twin-litellm-key" })
          assert.isTrue((userKey.metadata.ownerReferences ?? []).some((r) => r.uid === user.metadata.uid))
        })
    )

    it.effect(
      "a namespace whose LiteLLM never answers, with many objects, does not make another namespace's objects wait behind them",
      () =>
        Effect.gen(function* () {
          const kube = yield* KubeClient
          // The attacker's own LiteLLM: it takes connections and never answers (each call holds a worker until
          // its timeout, retried three times).
          const held = new Set<Socket>()
          const tarpit = createServer((socket) => void held.add(socket))
          yield* Effect.acquireRelease(
            Effect.promise(() => new Promise<void>((resolve) => tarpit.listen(0, "127.0.0.1", resolve))),
            () =>
              Effect.promise(
                () =>
                  new Promise<void>((resolve) => {
                    for (const socket of held) socket.destroy()
                    tarpit.close(() => resolve())
                  })
              )
          )
          const address = tarpit.address()
          const port = typeof address === "object" && address !== null ? address.port : 0
          const { run, victim, attacker, connectionRef, meta } = yield* tenants({}, false)
          // Two workers per kind (the harness's), and a one-second LiteLLM timeout.
          yield* startOperator(
            victim,
            {
              namespace: undefined,
              labelSelector: `tenancy-run=${run}`,
              instanceUrlTemplate: (yield* Simulator).url,
              resyncPeriod: RESYNC,
              deniedRetry: RESYNC
            },
            { timeout: "1 second" }
          )
          yield* createSecret(attacker, "tarpit", { url: `http://127.0.0.1:${port}`, masterkey: "sk-attacker-0000" })
          for (let i = 0; i < 30; i++) {
            yield* kube.create(VirtualKeys, {
              metadata: meta(attacker, `slow-${i}`),
              spec: { connectionRef: { secretRef: { name: "tarpit" } }, keyAlias: `slow-${i}` }
            })
          }
          // Both workers are held by the attacker's keys.
          yield* eventually(
            "the tarpit holds both workers",
            Effect.sync(() => held.size),
            (n) => n >= 2
          )
          const startedAt = Date.now()
          for (let i = 0; i < 6; i++) {
            yield* kube.create(VirtualKeys, {
              metadata: meta(victim, `fast-${i}`),
              spec: { connectionRef, keyAlias: `fast-${i}` }
            })
          }
          for (let i = 0; i < 6; i++) {
            yield* eventually(
              `fast-${i} Ready`,
              kube.get(VirtualKeys, { namespace: victim, name: `fast-${i}` }),
              (k) => isReady(k.status),
              "60 seconds"
            )
          }
          const waited = Date.now() - startedAt
          // First come, first served, the victim's keys would wait for the 28 attacker keys ahead of them, two at
          // a time, each some 5 s (four attempts of 1 s): over a minute. Served by namespace, a key of a namespace
          // with nothing in flight waits only for the next free worker.
          assert.isBelow(waited, 20_000, `the victim's keys took ${waited} ms`)
          assert.isBelow(held.size, 30, "the attacker's keys were not all tried first")
          // Nor does each of the attacker's keys wait out the timeout: once a call found no answer, its LiteLLM is
          // left quiet, and the keys say so at once.
          const quieted = yield* eventually(
            "an attacker key told its LiteLLM is quiet",
            kube.list(VirtualKeys, { namespace: attacker }),
            (list) => list.items.some((k) => conditionOf(k.status)?.message?.includes("no call is sent to it") === true)
          )
          assert.isAbove(quieted.items.length, 0)
        }),
      120_000
    )

    it.effect("a deletion whose credential LiteLLM rejects says DeletionBlocked with the way out", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const { victim, meta } = yield* tenants()
        yield* createSecret(victim, "good", { url: sim.url, masterkey: MASTER_KEY })
        const team = yield* kube.create(Teams, {
          metadata: meta(victim, "rotated"),
          spec: { connectionRef: { secretRef: { name: "good" } }, teamAlias: "rotated" }
        })
        yield* eventually("Ready", kube.get(Teams, { namespace: victim, name: "rotated" }), (o) => isReady(o.status))
        // The Secret now holds a wrong master key (rotated in LiteLLM, not yet here).
        yield* patchSecret(victim, "good", { stringData: { masterkey: "sk-wrong-master-key" } })
        const wrong = yield* refusedWith(Teams, { namespace: victim, name: "rotated" }, "ConnectionError")
        assert.include(wrong.message, "credential")
        yield* kube.delete(Teams, { namespace: victim, name: "rotated" })
        const blocked = yield* refusedWith(Teams, { namespace: victim, name: "rotated" }, "DeletionBlocked")
        assert.include(blocked.message, "auth.litellm.ai/deletion-policy: Orphan")
        assert.notInclude(blocked.message, "sk-wrong-master-key")
        // The way out named in the condition works.
        yield* kube.mergePatch(
          Teams,
          { namespace: victim, name: "rotated" },
          { metadata: { annotations: { "auth.litellm.ai/deletion-policy": "Orphan" } } }
        )
        yield* eventually(
          "gone",
          Effect.exit(kube.get(Teams, { namespace: victim, name: "rotated" })),
          (exit) => exit._tag === "Failure"
        )
        assert.isDefined((yield* sim.snapshot).teams.find((t) => t.team_id === `k8s-${team.metadata.uid}`))
      })
    )

    it.effect("a namespace the connection does not list cannot use it, and a half-made User says what exists", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const { run, victim, connectionRef, meta } = yield* tenants()
        const outsider = yield* createNamespace(`x-${run}`)
        yield* kube.create(Teams, { metadata: meta(outsider, "t"), spec: { connectionRef, teamAlias: "outsider" } })
        const refused = yield* refusedWith(Teams, { namespace: outsider, name: "t" }, "ConnectionError")
        assert.include(refused.message, "auth.litellm.ai/allow-namespaces")
        // Moving an object to another LiteLLM is refused at admission: its objects would stay in the first.
        const moved = yield* Effect.exit(
          kube.mergePatch(
            Teams,
            { namespace: outsider, name: "t" },
            { spec: { connectionRef: { secretRef: { name: "x" } } } }
          )
        )
        assert.isTrue(moved._tag === "Failure" && String(moved.cause).includes("connectionRef is immutable"))

        // The user is made, then its key is refused (its alias is taken): the status records the user.
        yield* kube.create(VirtualKeys, {
          metadata: meta(victim, "k"),
          spec: { connectionRef, keyAlias: "taken-alias" }
        })
        yield* eventually("key Ready", kube.get(VirtualKeys, { namespace: victim, name: "k" }), (o) =>
          isReady(o.status)
        )
        const half = yield* kube.create(Users, {
          metadata: meta(victim, "half"),
          spec: { connectionRef, userEmail: `half@${victim}.example`, autoCreateKey: true, keyAlias: "taken-alias" }
        })
        yield* refusedWith(Users, { namespace: victim, name: "half" }, "LiteLLMRejected")
        const status = (yield* kube.get(Users, { namespace: victim, name: "half" })).status
        assert.strictEqual(status?.userID, `k8s-${half.metadata.uid}`)
        assert.isDefined((yield* sim.snapshot).users.find((u) => u.user_id === status?.userID))
        // And its deletion removes the user that was made.
        yield* kube.delete(Users, { namespace: victim, name: "half" })
        yield* eventually(
          "half-made user gone from LiteLLM",
          sim.snapshot,
          (snapshot) => snapshot.users.find((u) => u.user_id === status?.userID) === undefined
        )
      })
    )

    it.effect("objects made before owner markers existed keep working, and are marked", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const { victim, connectionRef, meta, start } = yield* tenants({}, false)
        // What an earlier version left: a team in LiteLLM without a marker, its id in the Team's status.
        const teamId = `legacy-${victim}`
        yield* litellm("/team/new", { team_id: teamId, team_alias: "legacy", max_budget: 5 })
        yield* kube.create(Teams, {
          metadata: meta(victim, "legacy"),
          spec: { connectionRef, teamID: teamId, teamAlias: "legacy", maxBudget: "5" }
        })
        yield* kube.patchStatus(Teams, { namespace: victim, name: "legacy" }, { teamID: teamId, appliedFields: [] })
        yield* start
        const ready = yield* eventually(
          "legacy Team Ready",
          kube.get(Teams, { namespace: victim, name: "legacy" }),
          (o) => isReady(o.status)
        )
        assert.isUndefined(ready.metadata.annotations?.["auth.litellm.ai/adopted"], "its own, not adopted")
        const row = (yield* sim.snapshot).teams.find((t) => t.team_id === teamId)
        assert.include(JSON.stringify(row?.metadata), ready.metadata.uid)
      })
    )

    it.effect("a chosen key comes from a Secret of the namespace, and its value appears nowhere else", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const { victim, connectionRef, meta } = yield* tenants()
        const chosen = "sk-chosen-by-the-team-0123456789"
        yield* createSecret(victim, "my-key", { value: chosen })
        yield* createSecret(victim, "not-a-key", { key: "hunter2-not-a-litellm-key" })
        yield* kube.create(VirtualKeys, {
          metadata: meta(victim, "chosen"),
          spec: { connectionRef, keyAlias: `chosen-${victim}`, keySecretRef: { name: "my-key", key: "value" } }
        })
        yield* kube.create(VirtualKeys, {
          metadata: meta(victim, "missing"),
          spec: { connectionRef, keyAlias: `missing-${victim}`, keySecretRef: { name: "no-such" } }
        })
        yield* kube.create(VirtualKeys, {
          metadata: meta(victim, "bad"),
          spec: { connectionRef, keyAlias: `bad-${victim}`, keySecretRef: { name: "not-a-key" } }
        })
        const ready = yield* eventually(
          "chosen key Ready",
          kube.get(VirtualKeys, { namespace: victim, name: "chosen" }),
          (o) => isReady(o.status)
        )
        const token = createHash("sha256").update(chosen).digest("hex")
        assert.strictEqual(ready.status?.token, token)
        assert.isDefined((yield* sim.snapshot).keys.find((k) => k.token === token))
        const delivered = yield* kube.get(Secrets, { namespace: victim, name: "chosen-litellm-key" })
        assert.strictEqual(delivered.data?.key === undefined ? undefined : Redacted.value(delivered.data.key), chosen)
        assert.notInclude(JSON.stringify(ready), chosen)
        const missing = yield* refusedWith(VirtualKeys, { namespace: victim, name: "missing" }, "InvalidSpec")
        assert.include(missing.message, `Secret ${victim}/no-such (spec.keySecretRef) does not exist`)
        const bad = yield* refusedWith(VirtualKeys, { namespace: victim, name: "bad" }, "InvalidSpec")
        assert.include(bad.message, 'must start with "sk-"')
        assert.notInclude(bad.message, "hunter2")
        // Both ways at once is refused at admission.
        const both = yield* Effect.exit(
          kube.create(VirtualKeys, {
            metadata: meta(victim, "both"),
            spec: { connectionRef, keyAlias: "both", key: chosen, keySecretRef: { name: "my-key" } }
          })
        )
        assert.isTrue(both._tag === "Failure" && String(both.cause).includes("at most one of key and keySecretRef"))
      })
    )

    it.effect("what a tenant adds to its objects and Secrets is not kept, and a Secret too large to read says so", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const { victim, attacker, connectionRef, meta } = yield* tenants()
        const blob = (kib: number) => "x".repeat(kib * 1024)
        // Secrets labelled as the operator's key Secrets, their data under a key Secret's entries.
        yield* Effect.forEach(
          [0, 1, 2, 3, 4, 5],
          (i) =>
            kube.create(Secrets, {
              metadata: {
                namespace: attacker,
                name: `posing-${i}`,
                labels: { "app.kubernetes.io/managed-by": "litellm-operator" }
              },
              type: "Opaque",
              data: {
                key: Buffer.from(blob(350)).toString("base64"),
                url: Buffer.from(blob(350)).toString("base64")
              }
            }),
          { discard: true }
        )
        // Its own key with 200 KiB of annotations and hundreds of labels; the operator's annotation still counts.
        const labels = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`tenant.example/l-${i}`, "v"]))
        yield* kube.create(VirtualKeys, {
          metadata: {
            ...meta(attacker, "bloated", {
              "tenant.example/blob": blob(200),
              "auth.litellm.ai/deletion-policy": "Orphan"
            }),
            labels: { ...meta(attacker, "bloated").labels, ...labels }
          },
          spec: { connectionRef, keyAlias: `bloated-${attacker}` }
        })
        // A chosen key read from a Secret far larger than any key.
        yield* createSecret(attacker, "heavy", { key: `sk-${"a".repeat(40)}`, padding: blob(100) })
        yield* kube.create(VirtualKeys, {
          metadata: meta(attacker, "heavy-ref"),
          spec: { connectionRef, keyAlias: `heavy-${attacker}`, keySecretRef: { name: "heavy" } }
        })
        yield* kube.create(VirtualKeys, {
          metadata: meta(victim, "calm"),
          spec: { connectionRef, keyAlias: `calm-${victim}` }
        })

        const heavy = yield* refusedWith(VirtualKeys, { namespace: attacker, name: "heavy-ref" }, "InvalidSpec")
        assert.include(heavy.message, `Secret ${attacker}/heavy holds more than 64 KiB of data`)
        yield* eventually("the victim's key Ready", kube.get(VirtualKeys, { namespace: victim, name: "calm" }), (o) =>
          isReady(o.status)
        )
        const bloated = yield* eventually(
          "the bloated key Ready",
          kube.get(VirtualKeys, { namespace: attacker, name: "bloated" }),
          (o) => isReady(o.status)
        )
        // The posing Secrets were left alone (the operator writes only its objects' key Secrets).
        const posing = yield* kube.get(Secrets, { namespace: attacker, name: "posing-0" })
        assert.strictEqual(Redacted.value(posing.data?.url ?? Redacted.make("")).length, 350 * 1024)
        // The deletion policy it asked for in its annotation holds: the key stays in LiteLLM.
        const token = bloated.status?.token
        yield* kube.delete(VirtualKeys, { namespace: attacker, name: "bloated" })
        yield* eventually(
          "the bloated key deleted",
          Effect.exit(kube.get(VirtualKeys, { namespace: attacker, name: "bloated" })),
          (exit) => exit._tag === "Failure"
        )
        assert.isDefined(
          (yield* sim.snapshot).keys.find((k) => k.token === token),
          "orphaned, as annotated"
        )
      })
    )

    it.effect(
      "finalizers a tenant adds, however many, are neither kept in the cache nor lost when the operator writes its own",
      () =>
        Effect.gen(function* () {
          const kube = yield* KubeClient
          const { attacker, connectionRef, meta } = yield* tenants()
          const theirs = Array.from({ length: 300 }, (_, i) => `tenant.example/hold-${i}`)
          yield* kube.create(VirtualKeys, {
            metadata: { ...meta(attacker, "fenced"), finalizers: theirs },
            spec: { connectionRef, keyAlias: `fenced-${attacker}` }
          })
          const ready = yield* eventually(
            "the fenced key Ready",
            kube.get(VirtualKeys, { namespace: attacker, name: "fenced" }),
            (o) => isReady(o.status)
          )
          // The operator added its finalizer to the whole list, read fresh (its cache holds only its own of them).
          assert.deepStrictEqual(ready.metadata.finalizers, [...theirs, "auth.litellm.ai/finalizer"])
          yield* kube.delete(VirtualKeys, { namespace: attacker, name: "fenced" })
          const left = yield* eventually(
            "the operator's finalizer removed",
            kube.get(VirtualKeys, { namespace: attacker, name: "fenced" }),
            (o) => !(o.metadata.finalizers ?? []).includes("auth.litellm.ai/finalizer")
          )
          assert.deepStrictEqual(left.metadata.finalizers, theirs, "the tenant's finalizers are all still there")
          // Let it go.
          yield* kube.mergePatch(
            VirtualKeys,
            { namespace: attacker, name: "fenced" },
            { metadata: { finalizers: null } }
          )
        })
    )

    it.effect("an object orphaned and created again in the same namespace takes its LiteLLM object back", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const { victim, attacker, connectionRef, meta } = yield* tenants()
        const spec = { connectionRef, teamID: `kept-${victim}`, teamAlias: "kept", maxBudget: "7" }
        yield* kube.create(Teams, {
          metadata: meta(victim, "kept", { "auth.litellm.ai/deletion-policy": "Orphan" }),
          spec
        })
        yield* eventually("Ready", kube.get(Teams, { namespace: victim, name: "kept" }), (o) => isReady(o.status))
        yield* kube.delete(Teams, { namespace: victim, name: "kept" })
        yield* eventually(
          "orphaned",
          Effect.exit(kube.get(Teams, { namespace: victim, name: "kept" })),
          (exit) => exit._tag === "Failure"
        )
        assert.isDefined((yield* sim.snapshot).teams.find((t) => t.team_id === spec.teamID))
        // Another namespace may not take it, even though its owner is gone.
        yield* kube.create(Teams, { metadata: meta(attacker, "kept"), spec })
        yield* refusedWith(Teams, { namespace: attacker, name: "kept" }, "AdoptionNotAllowed")
        // The same namespace may, without asking.
        const again = yield* kube.create(Teams, {
          metadata: meta(victim, "kept-again"),
          spec: { ...spec, maxBudget: "8" }
        })
        yield* eventually("taken back", kube.get(Teams, { namespace: victim, name: "kept-again" }), (o) =>
          isReady(o.status)
        )
        const row = (yield* sim.snapshot).teams.find((t) => t.team_id === spec.teamID)
        assert.strictEqual(row?.max_budget, 8)
        assert.include(JSON.stringify(row?.metadata), again.metadata.uid)
      })
    )
  })
})
