/**
 * Keys that work: the operator's objects (the repository's examples, a generated
 * population, generated key specs), reconciled into the simulator, give
 * keys whose Secrets do exactly what the objects say on LiteLLM's data plane —
 * the allowed models answer and others are refused, budgets hold (also after a
 * change), blocking the key or its team refuses it, deleting the object
 * revokes it, and a User's own key follows the User. A property test generates
 * key specs and checks what each key can do against what its spec says.
 */
import { assert, describe, layer } from "@effect/vitest"
import {
  KubeClient,
  type Manifest,
  readManifestDirectory,
  TeamMemberAssociations,
  Teams,
  Users,
  VirtualKeys
} from "@litellm-operator/k8s"
import { applyManifests } from "@litellm-operator/k8s/local"
import { latestProfile, Simulator } from "@litellm-operator/litellm/simulator"
import { Effect, Exit, Redacted } from "effect"
import fc from "fast-check"
import { inject } from "vitest"
import { examplesDirectory, operatorObjects, pointConnectionSecrets } from "../src/local/localRun.ts"
import {
  capturedLogs,
  createConnectionSecret,
  eventually,
  freshNamespace,
  harnessLayer,
  isReady,
  masterKey,
  startOperator
} from "./support/operatorHarness.ts"
import { awaitAllReady, type Counts, populate, total } from "./support/population.ts"

const connectionRef = { secretRef: { name: "litellm" } }
/** The examples' connection Secret. */
const exampleConnection = { secretRef: { name: "litellm-connection" } }

/** A manifest moved to another namespace. */
const inNamespace = (manifest: Manifest, namespace: string): Manifest => ({
  ...manifest,
  header: { ...manifest.header, metadata: { ...manifest.header.metadata, namespace } },
  object: { ...manifest.object, metadata: { ...manifest.object.metadata, namespace } }
})
const MODELS = latestProfile.models

interface Answer {
  readonly status: number
  readonly body: unknown
}

/** One data-plane request with the key from a Secret as the credential. */
const dataPlane = (key: string, method: "GET" | "POST", path: string, body?: unknown) =>
  Effect.gen(function* () {
    const sim = yield* Simulator
    return yield* Effect.promise(async (): Promise<Answer> => {
      const response = await fetch(`${sim.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
      const text = await response.text()
      let parsed: unknown = text
      try {
        parsed = JSON.parse(text)
      } catch {
        // Not JSON: keep the text.
      }
      return { status: response.status, body: parsed }
    })
  })

const chat = (key: string, model: string) =>
  Effect.map(
    dataPlane(key, "POST", "/chat/completions", { model, messages: [{ role: "user", content: "hi" }] }),
    (a) => a.status
  )

const listModels = (key: string) =>
  Effect.map(dataPlane(key, "GET", "/v1/models"), (a) => {
    if (a.status !== 200) return `status ${a.status}`
    const data = typeof a.body === "object" && a.body !== null ? Reflect.get(a.body, "data") : undefined
    return Array.isArray(data)
      ? data
          .map((m: unknown) => String(typeof m === "object" && m !== null ? Reflect.get(m, "id") : m))
          .sort()
          .join(",")
      : "no list"
  })

/** The raw key a Secret holds. */
const keyIn = Effect.fn("keyIn")(function* (namespace: string, name: string) {
  const secret = yield* (yield* KubeClient).readSecret({ namespace, name })
  const raw = Redacted.value(secret.data?.key ?? Redacted.make(""))
  assert.match(raw, /^sk-/)
  return raw
})

/** Waits until the simulator's row for a key (by alias) satisfies `accept`. */
const keyRowBecomes = (alias: string, accept: (row: Readonly<Record<string, unknown>>) => boolean) =>
  eventually(
    `key ${alias} in LiteLLM`,
    Effect.map(
      Simulator.use((sim) => sim.snapshot),
      (s) => s.keys.find((k) => k.key_alias === alias)
    ),
    (row) => row !== undefined && accept(row)
  )

describe("keys that work", () => {
  layer(harnessLayer(14), { timeout: 240_000, excludeTestServices: true })((it) => {
    it.effect("the examples' keys do what their objects say, and follow every change", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const namespace = yield* freshNamespace("keys-work")
        yield* startOperator(namespace)

        // The examples themselves (examples/*.yaml), in a namespace of their own, their connection
        // Secret pointed at the simulator; plus a key of the example team.
        const examples = (yield* readManifestDirectory(examplesDirectory)).map((m) => inNamespace(m, namespace))
        assert.deepStrictEqual(
          operatorObjects(examples).map((m) => `${m.header.kind}/${m.header.metadata.name}`),
          ["Team/search", "User/alice", "VirtualKey/search-indexer", "TeamMemberAssociation/alice-in-search"]
        )
        const pointed = pointConnectionSecrets(examples, sim.url, masterKey)
        assert.strictEqual(pointed.rewritten.length, 1)
        yield* applyManifests(inject("kubeconfig"), pointed.manifests, { fieldManager: "keys-work-test" })
        const team = yield* eventually(
          "Team Ready",
          kube.get(Teams, { namespace, name: "search" }),
          (t) => isReady(t.status) && t.status?.teamID !== undefined
        )
        const teamId = team.status?.teamID ?? ""
        yield* kube.create(VirtualKeys, {
          metadata: { namespace, name: "search-app" },
          spec: { connectionRef: exampleConnection, keyAlias: "search-app", teamID: teamId }
        })
        const alice = yield* eventually("User Ready", kube.get(Users, { namespace, name: "alice" }), (u) =>
          isReady(u.status)
        )
        const indexer = yield* eventually(
          "indexer Ready",
          kube.get(VirtualKeys, { namespace, name: "search-indexer" }),
          (k) => isReady(k.status)
        )
        const app = yield* eventually("app Ready", kube.get(VirtualKeys, { namespace, name: "search-app" }), (k) =>
          isReady(k.status)
        )
        yield* eventually(
          "association Ready",
          kube.get(TeamMemberAssociations, { namespace, name: "alice-in-search" }),
          (a) => isReady(a.status)
        )
        const indexerKey = yield* keyIn(namespace, indexer.status?.keySecretRef ?? "")
        const appKey = yield* keyIn(namespace, app.status?.keySecretRef ?? "")
        const aliceKey = yield* keyIn(namespace, alice.status?.keySecretRef ?? "")

        // Allowed models answer and are listed; others are refused.
        assert.strictEqual(yield* listModels(indexerKey), "gpt-4o-mini")
        assert.strictEqual(yield* chat(indexerKey, "gpt-4o-mini"), 200)
        assert.strictEqual(yield* chat(indexerKey, "gpt-4o"), 403)
        assert.strictEqual(yield* listModels(appKey), "gpt-4o,gpt-4o-mini")
        assert.strictEqual(yield* chat(appKey, "gpt-4o"), 200)
        assert.strictEqual(yield* chat(appKey, "claude-3-5-haiku"), 401)
        assert.strictEqual(yield* listModels(aliceKey), "gpt-4o-mini")
        assert.strictEqual(yield* chat(aliceKey, "gpt-4o-mini"), 200)
        assert.strictEqual(yield* chat(aliceKey, "gpt-4o"), 403)

        // A budget change holds: each request costs 0.5; the indexer has spent 0.5.
        yield* kube.mergePatch(VirtualKeys, { namespace, name: "search-indexer" }, { spec: { maxBudget: "1" } })
        yield* keyRowBecomes("search-indexer", (k) => k.max_budget === 1)
        assert.strictEqual(yield* chat(indexerKey, "gpt-4o-mini"), 200)
        assert.strictEqual(yield* chat(indexerKey, "gpt-4o-mini"), 400)
        yield* kube.mergePatch(VirtualKeys, { namespace, name: "search-indexer" }, { spec: { maxBudget: "2" } })
        yield* keyRowBecomes("search-indexer", (k) => k.max_budget === 2)
        assert.strictEqual(yield* chat(indexerKey, "gpt-4o-mini"), 200)
        assert.strictEqual(yield* chat(indexerKey, "gpt-4o-mini"), 200)
        assert.strictEqual(yield* chat(indexerKey, "gpt-4o-mini"), 400)

        // Blocking the key, then its team, refuses it; unblocking lets it back in.
        yield* kube.mergePatch(VirtualKeys, { namespace, name: "search-app" }, { spec: { blocked: true } })
        yield* eventually("key blocked", chat(appKey, "gpt-4o"), (s) => s === 401)
        yield* kube.mergePatch(VirtualKeys, { namespace, name: "search-app" }, { spec: { blocked: false } })
        yield* eventually("key unblocked", chat(appKey, "gpt-4o"), (s) => s === 200)
        yield* kube.mergePatch(Teams, { namespace, name: "search" }, { spec: { blocked: true } })
        const teamBlocked = yield* eventually(
          "team blocked",
          dataPlane(appKey, "POST", "/chat/completions", { model: "gpt-4o" }),
          (a) => a.status === 401
        )
        assert.include(JSON.stringify(teamBlocked.body), `Team=${teamId} is blocked`)
        yield* kube.mergePatch(Teams, { namespace, name: "search" }, { spec: { blocked: false } })
        yield* eventually("team unblocked", chat(appKey, "gpt-4o"), (s) => s === 200)

        // The User's own key follows the User: its budget (alice has spent 0.5), then its deletion.
        yield* kube.mergePatch(Users, { namespace, name: "alice" }, { spec: { maxBudget: "1" } })
        yield* eventually(
          "user budget 1",
          sim.snapshot,
          (s) => s.users.find((u) => u.user_id === alice.status?.userID)?.max_budget === 1
        )
        assert.strictEqual(yield* chat(aliceKey, "gpt-4o-mini"), 200)
        const overUser = yield* dataPlane(aliceKey, "POST", "/chat/completions", { model: "gpt-4o-mini" })
        assert.strictEqual(overUser.status, 400)
        assert.include(JSON.stringify(overUser.body), "ExceededBudget: User=")
        yield* kube.delete(TeamMemberAssociations, { namespace, name: "alice-in-search" })
        yield* kube.delete(Users, { namespace, name: "alice" })
        yield* eventually("User gone", Effect.exit(kube.get(Users, { namespace, name: "alice" })), Exit.isFailure)
        assert.strictEqual(yield* chat(aliceKey, "gpt-4o-mini"), 401)

        // Deleting a VirtualKey (policy Delete) revokes its key.
        yield* kube.delete(VirtualKeys, { namespace, name: "search-indexer" })
        yield* eventually(
          "VirtualKey gone",
          Effect.exit(kube.get(VirtualKeys, { namespace, name: "search-indexer" })),
          Exit.isFailure
        )
        assert.strictEqual(yield* chat(indexerKey, "gpt-4o-mini"), 401)
        // Deleting the Team revokes its keys too (LiteLLM deletes a team's keys).
        assert.strictEqual(yield* chat(appKey, "gpt-4o"), 200)
        yield* kube.delete(VirtualKeys, { namespace, name: "search-app" })
        yield* kube.delete(Teams, { namespace, name: "search" })
        yield* eventually("Team gone", Effect.exit(kube.get(Teams, { namespace, name: "search" })), Exit.isFailure)
        assert.strictEqual(yield* chat(appKey, "gpt-4o"), 401)
        // No key ever reached a log line.
        for (const raw of [indexerKey, appKey, aliceKey]) assert.notInclude(capturedLogs.join("\n"), raw)
      })
    )

    it.effect("a generated population: every key Secret works as its object says", () =>
      Effect.gen(function* () {
        const namespace = yield* freshNamespace("keys-pop")
        yield* createConnectionSecret(namespace)
        yield* startOperator(namespace)
        const counts: Counts = { teams: 3, users: 4, keys: 6, associations: 3 }
        yield* populate(namespace, counts, namespace)
        const population = yield* awaitAllReady(namespace, total(counts), "60 seconds")
        // The population's keys allow gpt-4o only; the users' own keys name no models (every model).
        for (const key of population.keys) {
          const raw = yield* keyIn(namespace, key.status?.keySecretRef ?? "")
          assert.deepStrictEqual(key.spec.models, ["gpt-4o"])
          assert.strictEqual(yield* listModels(raw), "gpt-4o", key.metadata.name)
          assert.strictEqual(yield* chat(raw, "gpt-4o"), 200, key.metadata.name)
          assert.strictEqual(yield* chat(raw, "gpt-4o-mini"), 403, key.metadata.name)
        }
        for (const user of population.users) {
          const raw = yield* keyIn(namespace, user.status?.keySecretRef ?? "")
          assert.strictEqual(yield* listModels(raw), [...MODELS].sort().join(","), user.metadata.name)
          for (const model of MODELS) assert.strictEqual(yield* chat(raw, model), 200, `${user.metadata.name} ${model}`)
        }
        assert.strictEqual(population.keys.length + population.users.length, counts.keys + counts.users)
      })
    )

    it.effect("property: what a generated key can do is what its spec says", () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const namespace = yield* freshNamespace("keys-prop")
        yield* createConnectionSecret(namespace)
        yield* startOperator(namespace)
        const seed = Date.now() % 1_000_000
        const specs = fc.sample(specArb, { numRuns: 12, seed })

        // Every generated key (and its team) at once, then every check.
        const created = yield* Effect.forEach(
          specs,
          Effect.fnUntraced(function* (spec, i) {
            let teamID: string | undefined
            if (spec.team !== undefined) {
              yield* kube.create(Teams, {
                metadata: { namespace, name: `team-${i}` },
                spec: { connectionRef, teamAlias: `prop-${namespace}-${i}`, models: [...spec.team.models] }
              })
              const team = yield* eventually(
                `team-${i} Ready`,
                kube.get(Teams, { namespace, name: `team-${i}` }),
                (t) => isReady(t.status) && t.status?.teamID !== undefined
              )
              teamID = team.status?.teamID
            }
            yield* kube.create(VirtualKeys, {
              metadata: { namespace, name: `key-${i}` },
              spec: {
                connectionRef,
                keyAlias: `prop-${namespace}-${i}`,
                models: [...spec.models],
                ...(spec.maxBudget === undefined ? {} : { maxBudget: spec.maxBudget }),
                ...(spec.blocked ? { blocked: true } : {}),
                ...(teamID === undefined ? {} : { teamID })
              }
            })
            return i
          }),
          { concurrency: 4 }
        )
        for (const i of created) {
          const spec = specs[i]
          if (spec === undefined) continue
          const ready = yield* eventually(
            `key-${i} Ready`,
            kube.get(VirtualKeys, { namespace, name: `key-${i}` }),
            (k) => isReady(k.status)
          )
          const raw = yield* keyIn(namespace, ready.status?.keySecretRef ?? "")
          const what = `seed ${seed}, spec ${JSON.stringify(spec)}`
          assert.strictEqual(yield* listModels(raw), expectedList(spec), `models listed: ${what}`)
          for (const model of MODELS)
            assert.strictEqual(yield* chat(raw, model), expectedStatus(spec, model), `${model}: ${what}`)
        }
      })
    )
  })
})

interface KeySpec {
  readonly models: ReadonlyArray<string>
  readonly team: { readonly models: ReadonlyArray<string> } | undefined
  readonly maxBudget: "0" | "10" | undefined
  readonly blocked: boolean
}

const modelsArb = fc.subarray([...MODELS])
const specArb: fc.Arbitrary<KeySpec> = fc.record({
  models: modelsArb,
  team: fc.option(fc.record({ models: modelsArb }), { nil: undefined }),
  maxBudget: fc.constantFrom<"0" | "10" | undefined>("0", "10", undefined),
  blocked: fc.boolean()
})

/** From the spec alone: an empty list allows everything; a team key needs both lists to allow the model. */
const allowedBy = (list: ReadonlyArray<string> | undefined, model: string) =>
  list === undefined || list.length === 0 || list.includes(model)

const expectedStatus = (spec: KeySpec, model: string): number => {
  if (spec.blocked) return 401
  if (!allowedBy(spec.models, model)) return 403
  if (!allowedBy(spec.team?.models, model)) return 401
  if (spec.maxBudget === "0") return 400
  return 200
}

const expectedList = (spec: KeySpec): string =>
  spec.blocked
    ? "status 401"
    : MODELS.filter((m) => allowedBy(spec.models, m) && allowedBy(spec.team?.models, m))
        .sort()
        .join(",")
