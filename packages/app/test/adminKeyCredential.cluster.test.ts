/**
 * The connection credential need not be the master key: a key of a
 * `proxy_admin` user works for every kind, and a valid key without admin
 * rights is reported as such (not as a wrong credential) and changes nothing.
 */
import { assert, describe, layer } from "@effect/vitest"
import { readyOf } from "@litellm-operator/core"
import { KubeClient, TeamMemberAssociations, Teams, Users, VirtualKeys } from "@litellm-operator/k8s"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Effect, Exit, Redacted } from "effect"
import {
  capturedLogs,
  eventually,
  freshNamespace,
  harnessLayer,
  isReady,
  MASTER_KEY,
  startOperator
} from "./support/operatorHarness.ts"
import { createConnectionSecretFor } from "./support/population.ts"

const connectionRef = { secretRef: { name: "litellm" } }

/** An admin call with the master key, as the connection owner makes the operator's credential. */
const asMaster = (path: string, body: unknown) =>
  Effect.gen(function* () {
    const sim = yield* Simulator
    const status = yield* Effect.promise(() =>
      fetch(`${sim.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(body)
      }).then((r) => r.status)
    )
    assert.strictEqual(status, 200, path)
  })

/** A user with a role and a key of theirs: the credential a connection Secret may hold instead of the master key. */
const keyOfUserWithRole = (userId: string, role: string, key: string) =>
  Effect.gen(function* () {
    yield* asMaster("/user/new", { user_id: userId, user_role: role, auto_create_key: false })
    yield* asMaster("/key/generate", { key, user_id: userId })
    return Redacted.make(key)
  })

describe("the connection credential", () => {
  layer(harnessLayer(61), { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("a proxy_admin user's key works for every kind, end to end", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const namespace = yield* freshNamespace("admin-key")
        const credential = yield* keyOfUserWithRole(`ops-${namespace}`, "proxy_admin", `sk-admin-${namespace}`)
        yield* createConnectionSecretFor(namespace, { url: sim.url, masterKey: credential })
        yield* startOperator(namespace)

        yield* kube.create(Teams, {
          metadata: { namespace, name: "search" },
          spec: { connectionRef, teamAlias: `search-${namespace}`, models: ["gpt-4o-mini"] }
        })
        yield* kube.create(Users, {
          metadata: { namespace, name: "bob" },
          spec: { connectionRef, userEmail: `bob@${namespace}.example.com`, userRole: "internal_user" }
        })
        yield* kube.create(TeamMemberAssociations, {
          metadata: { namespace, name: "bob-in-search" },
          spec: {
            connectionRef,
            teamAlias: `search-${namespace}`,
            userEmail: `bob@${namespace}.example.com`,
            role: "user"
          }
        })
        const team = yield* eventually(
          "Team Ready",
          kube.get(Teams, { namespace, name: "search" }),
          (t) => isReady(t.status) && t.status?.teamID !== undefined
        )
        yield* kube.create(VirtualKeys, {
          metadata: { namespace, name: "app" },
          spec: { connectionRef, keyAlias: `app-${namespace}`, teamID: team.status?.teamID ?? "" }
        })
        yield* eventually("User Ready", kube.get(Users, { namespace, name: "bob" }), (u) => isReady(u.status))
        yield* eventually(
          "association Ready",
          kube.get(TeamMemberAssociations, { namespace, name: "bob-in-search" }),
          (a) => isReady(a.status)
        )
        const key = yield* eventually("key Ready", kube.get(VirtualKeys, { namespace, name: "app" }), (k) =>
          isReady(k.status)
        )
        const raw = Redacted.value(
          (yield* kube.readSecret({ namespace, name: key.status?.keySecretRef ?? "" })).data?.key ?? Redacted.make("")
        )
        const chat = yield* Effect.promise(() =>
          fetch(`${sim.url}/chat/completions`, {
            method: "POST",
            headers: { authorization: `Bearer ${raw}`, "content-type": "application/json" },
            body: JSON.stringify({ model: "gpt-4o-mini" })
          }).then((r) => r.status)
        )
        assert.strictEqual(chat, 200)
        // Stays Ready over resyncs (nothing flaps because the caller is not the master key).
        yield* sim.resetCalls
        yield* Effect.sleep("5 seconds")
        const writes = Object.entries(yield* sim.calls).filter(([name]) => name.startsWith("POST"))
        assert.deepStrictEqual(writes, [], "no LiteLLM writes at rest")

        yield* kube.delete(VirtualKeys, { namespace, name: "app" })
        yield* kube.delete(TeamMemberAssociations, { namespace, name: "bob-in-search" })
        yield* kube.delete(Users, { namespace, name: "bob" })
        yield* kube.delete(Teams, { namespace, name: "search" })
        yield* eventually("Team gone", Effect.exit(kube.get(Teams, { namespace, name: "search" })), Exit.isFailure)
        yield* eventually("User gone", Effect.exit(kube.get(Users, { namespace, name: "bob" })), Exit.isFailure)
        const snapshot = yield* sim.snapshot
        assert.isUndefined(snapshot.teams.find((t) => t.team_id === team.status?.teamID))
        assert.isUndefined(snapshot.keys.find((k) => k.key_alias === `app-${namespace}`))
        // The credential and the minted key never reach a log line.
        assert.notInclude(capturedLogs.join("\n"), Redacted.value(credential))
        assert.notInclude(capturedLogs.join("\n"), raw)
      })
    )

    it.effect("a valid key without admin rights: a clear condition, no LiteLLM object made", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const namespace = yield* freshNamespace("plain-key")
        const credential = yield* keyOfUserWithRole(`dev-${namespace}`, "internal_user", `sk-plain-${namespace}`)
        yield* createConnectionSecretFor(namespace, { url: sim.url, masterKey: credential })
        yield* startOperator(namespace)
        yield* kube.create(Teams, {
          metadata: { namespace, name: "search" },
          spec: { connectionRef, teamAlias: `plain-${namespace}` }
        })
        const refused = yield* eventually(
          "Team refused",
          kube.get(Teams, { namespace, name: "search" }),
          (t) => readyOf(t.status?.conditions)?.reason === "CredentialNotAdmin"
        )
        const condition = readyOf(refused.status?.conditions)
        assert.strictEqual(condition?.status, "False")
        assert.include(condition?.message ?? "", "not an admin")
        assert.notInclude(JSON.stringify(refused.status), Redacted.value(credential))
        assert.notInclude(capturedLogs.join("\n"), Redacted.value(credential))
        assert.isUndefined((yield* sim.snapshot).teams.find((t) => t.team_alias === `plain-${namespace}`))
      })
    )
  })
})
