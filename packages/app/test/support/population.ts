/**
 * Shared by the stress tests and the benchmarks (no Vitest here): many
 * objects of every kind created at once, "everything Ready" as one check, and
 * the invariants of the simulator's tables (no duplicates, no orphans) as a
 * list of problems.
 */
import { createHash } from "node:crypto"
import { readyOf } from "@litellm-operator/core"
import type {
  NewObject,
  TeamMemberAssociationResource,
  TeamResource,
  UserResource,
  VirtualKeyResource
} from "@litellm-operator/k8s"
import {
  KubeClient,
  type KubeError,
  KubeTransport,
  Secrets,
  TeamMemberAssociations,
  Teams,
  Users,
  VirtualKeys
} from "@litellm-operator/k8s"
import type { Snapshot } from "@litellm-operator/litellm/simulator"
import { Duration, Effect, Redacted, Schedule } from "effect"

export interface Counts {
  readonly teams: number
  readonly users: number
  readonly keys: number
  readonly associations: number
}

export const total = (counts: Counts): number => counts.teams + counts.users + counts.keys + counts.associations

/**
 * How the objects are spelled: `ours`, or as the Go operator's CRDs (v1.1.1) want the same
 * population: the Secret's key names spelled out (its CRD requires them; ours defaults to
 * these two) and each association naming its Team and User objects (`teamRef`/`userRef`,
 * which our CRD refuses) instead of the team's alias and the user's email.
 */
export type ObjectForm = "ours" | "go"

/** The Secret's key names in the `go` form. */
const explicitSecretKeys = { masterKey: "masterkey", url: "url" } as const

/** The objects of a population; names and aliases carry `prefix` (the simulator's aliases are global). */
export const objectsFor = (namespace: string, counts: Counts, prefix: string, form: ObjectForm = "ours") => {
  const connectionRef = { secretRef: { name: "litellm", ...(form === "go" ? { keys: explicitSecretKeys } : {}) } }
  const teams: Array<NewObject<typeof TeamResource.Encoded>> = []
  const users: Array<NewObject<typeof UserResource.Encoded>> = []
  const keys: Array<NewObject<typeof VirtualKeyResource.Encoded>> = []
  const associations: Array<NewObject<typeof TeamMemberAssociationResource.Encoded>> = []
  for (let i = 0; i < counts.teams; i++)
    teams.push({
      metadata: { namespace, name: `${prefix}-team-${i}` },
      spec: { connectionRef, teamAlias: `${prefix}-team-${i}`, maxBudget: "100", models: ["gpt-4o"] }
    })
  for (let i = 0; i < counts.users; i++)
    users.push({
      metadata: { namespace, name: `${prefix}-user-${i}` },
      spec: {
        connectionRef,
        userEmail: `${prefix}-user-${i}@example.com`,
        maxBudget: "10",
        autoCreateKey: true,
        keyAlias: `${prefix}-ukey-${i}`
      }
    })
  for (let i = 0; i < counts.keys; i++)
    keys.push({
      metadata: { namespace, name: `${prefix}-key-${i}` },
      spec: { connectionRef, keyAlias: `${prefix}-key-${i}`, maxBudget: "5", duration: "30d", models: ["gpt-4o"] }
    })
  // Association i: team i mod teams, user i (unique pairs while associations <= users).
  for (let i = 0; i < counts.associations; i++)
    associations.push({
      metadata: { namespace, name: `${prefix}-tma-${i}` },
      spec: {
        connectionRef,
        teamAlias: `${prefix}-team-${i % Math.max(1, counts.teams)}`,
        userEmail: `${prefix}-user-${i % Math.max(1, counts.users)}@example.com`,
        role: "user"
      }
    })
  // Association i of the `go` form: the same pairs, by the Team's and User's object names.
  const goAssociations = Array.from({ length: form === "go" ? counts.associations : 0 }, (_, i) => ({
    apiVersion: "auth.litellm.ai/v1alpha1",
    kind: "TeamMemberAssociation",
    metadata: { namespace, name: `${prefix}-tma-${i}` },
    spec: {
      connectionRef,
      teamRef: { name: `${prefix}-team-${i % Math.max(1, counts.teams)}` },
      userRef: { name: `${prefix}-user-${i % Math.max(1, counts.users)}` },
      role: "user"
    }
  }))
  return { teams, users, keys, associations, goAssociations }
}

/** Retries what a restarting API server refuses for a while. */
const patiently = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 150 }))

/** Creates the population (interleaving kinds, so every controller has work at once). */
export const populate = Effect.fn("populate")(function* (
  namespace: string,
  counts: Counts,
  prefix: string,
  options: { readonly concurrency?: number; readonly form?: ObjectForm } = {}
) {
  const kube = yield* KubeClient
  const transport = yield* KubeTransport
  const form = options.form ?? "ours"
  const objects = objectsFor(namespace, counts, prefix, form)
  const creations: Array<Effect.Effect<unknown, KubeError>> = [
    ...objects.teams.map((o) => kube.create(Teams, o)),
    ...objects.users.map((o) => kube.create(Users, o)),
    ...objects.keys.map((o) => kube.create(VirtualKeys, o)),
    ...(form === "go"
      ? // Not through our schema, which refuses teamRef/userRef.
        objects.goAssociations.map((o) =>
          transport.request({
            method: "POST",
            path: `/apis/auth.litellm.ai/v1alpha1/namespaces/${namespace}/teammemberassociations`,
            body: o
          })
        )
      : objects.associations.map((o) => kube.create(TeamMemberAssociations, o)))
  ]
  // Only a server that is away is waited for; an AlreadyExists after such a retry means the first attempt went through.
  yield* Effect.forEach(
    creations,
    (create) =>
      create.pipe(
        Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 150, while: (e) => e.retryable }),
        Effect.catchIf(
          (e) => e.reason._tag === "Conflict" && e.reason.alreadyExists,
          () => Effect.void
        )
      ),
    { concurrency: options.concurrency ?? 16, discard: true }
  )
})

/**
 * Ready, for the object's current generation (a Ready about an older spec is not convergence): the
 * condition says so, and so does `status.observedGeneration`, where kstatus and the Go operator look.
 */
export const isReadyObject = (o: AnyResource): boolean => {
  const ready = readyOf(o.status?.conditions ?? [])
  return (
    ready?.status === "True" &&
    ready.observedGeneration === o.metadata.generation &&
    o.status?.observedGeneration === o.metadata.generation
  )
}

/** Every object of the four kinds in the namespace. */
export const listAll = Effect.fn("listAll")(function* (namespace: string) {
  const kube = yield* KubeClient
  const [teams, users, keys, associations] = yield* Effect.all(
    [
      kube.list(Teams, { namespace }),
      kube.list(Users, { namespace }),
      kube.list(VirtualKeys, { namespace }),
      kube.list(TeamMemberAssociations, { namespace })
    ],
    { concurrency: 4 }
  )
  return { teams: teams.items, users: users.items, keys: keys.items, associations: associations.items }
})

export type Population = Effect.Success<ReturnType<typeof listAll>>

export type AnyResource = TeamResource | UserResource | VirtualKeyResource | TeamMemberAssociationResource

export const everything = (p: Population): ReadonlyArray<AnyResource> => [
  ...p.teams,
  ...p.users,
  ...p.keys,
  ...p.associations
]

export const readyCount = (p: Population): number => everything(p).filter(isReadyObject).length

/** Polls until `expected` objects exist and are all Ready; returns them, or dies after `timeout` naming the laggards. */
export const awaitAllReady = Effect.fn("awaitAllReady")(function* (
  namespace: string,
  expected: number,
  timeout: Duration.Input,
  poll: Duration.Input = "250 millis"
) {
  const deadline = Date.now() + Duration.toMillis(Duration.fromInputUnsafe(timeout))
  for (;;) {
    const population = yield* patiently(listAll(namespace))
    const all = everything(population)
    if (all.length >= expected && all.every(isReadyObject)) return population
    if (Date.now() > deadline) {
      const laggards = all
        .filter((o) => !isReadyObject(o))
        .slice(0, 5)
        .map(
          (o) => `${o.kind}/${o.metadata.name}: ${JSON.stringify(readyOf(o.status?.conditions ?? []) ?? "no status")}`
        )
      return yield* Effect.die(
        new Error(
          `not all Ready after ${Duration.format(Duration.fromInputUnsafe(timeout))}: ${all.filter(isReadyObject).length}/${expected} Ready; e.g. ${laggards.join("; ")}`
        )
      )
    }
    yield* Effect.sleep(poll)
  }
})

/** sha256 tokens of the keys in the operator's key Secrets of a namespace, by Secret name. */
export const keySecretTokens = Effect.fn("keySecretTokens")(function* (namespace: string) {
  const kube = yield* KubeClient
  const secrets = yield* kube.list(Secrets, {
    namespace,
    labelSelector: "app.kubernetes.io/managed-by=litellm-operator"
  })
  const tokens = new Map<string, string>()
  for (const s of secrets.items) {
    const key = s.data?.key
    if (key !== undefined) tokens.set(s.metadata.name, createHash("sha256").update(Redacted.value(key)).digest("hex"))
  }
  return tokens
})

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined)

const duplicatesOf = (values: ReadonlyArray<string>): Array<string> => {
  const seen = new Set<string>()
  const dups = new Set<string>()
  for (const v of values) (seen.has(v) ? dups : seen).add(v)
  return [...dups]
}

/**
 * What is wrong with the simulator's tables given the objects in the cluster:
 * duplicates (two keys under one alias, two teams under one alias, two users
 * under one email, a member twice in a team), orphans (a team, user or key no
 * object accounts for) and objects missing from LiteLLM.
 */
export const integrityProblems = (snapshot: Snapshot, population: Population, tokens: ReadonlyMap<string, string>) => {
  const problems: Array<string> = []
  const keyAliases = snapshot.keys.flatMap((k) => (str(k.key_alias) === undefined ? [] : [String(k.key_alias)]))
  for (const d of duplicatesOf(keyAliases)) problems.push(`two keys with alias ${d}`)
  const teamAliases = snapshot.teams.flatMap((t) => (str(t.team_alias) === undefined ? [] : [String(t.team_alias)]))
  for (const d of duplicatesOf(teamAliases)) problems.push(`two teams with alias ${d}`)
  const emails = snapshot.users.flatMap((u) =>
    str(u.user_email) === undefined ? [] : [String(u.user_email).toLowerCase()]
  )
  for (const d of duplicatesOf(emails)) problems.push(`two users with email ${d}`)
  for (const t of snapshot.teams) {
    const members = Array.isArray(t.members_with_roles)
      ? t.members_with_roles.flatMap((m: unknown) =>
          typeof m === "object" && m !== null && "user_id" in m && typeof m.user_id === "string" ? [m.user_id] : []
        )
      : []
    for (const d of duplicatesOf(members)) problems.push(`user ${d} twice in team ${String(t.team_id)}`)
  }

  const teamIds = new Set(population.teams.flatMap((t) => (t.status?.teamID === undefined ? [] : [t.status.teamID])))
  const userIds = new Set(population.users.flatMap((u) => (u.status?.userID === undefined ? [] : [u.status.userID])))
  const secretTokens = new Set(tokens.values())
  for (const t of snapshot.teams) if (!teamIds.has(String(t.team_id))) problems.push(`orphan team ${String(t.team_id)}`)
  // LiteLLM makes the master key's own user a member (and a row) of every team it creates (litellm-api.md §5.1).
  for (const u of snapshot.users)
    if (!userIds.has(String(u.user_id)) && u.user_id !== "default_user_id")
      problems.push(`orphan user ${String(u.user_id)}`)
  for (const k of snapshot.keys)
    if (!secretTokens.has(String(k.token))) problems.push(`orphan key ${String(k.key_alias)} (no key Secret holds it)`)

  const inLiteLLM = {
    teams: new Set(snapshot.teams.map((t) => String(t.team_id))),
    users: new Set(snapshot.users.map((u) => String(u.user_id))),
    keys: new Map(snapshot.keys.map((k) => [String(k.token), k]))
  }
  for (const id of teamIds) if (!inLiteLLM.teams.has(id)) problems.push(`team ${id} missing from LiteLLM`)
  for (const id of userIds) if (!inLiteLLM.users.has(id)) problems.push(`user ${id} missing from LiteLLM`)
  // Every key Secret's key is in LiteLLM under its token, and it is the only key under its alias.
  const owners = [
    ...population.keys.map((k) => ({ name: k.metadata.name, alias: k.spec.keyAlias, token: k.status?.token })),
    ...population.users.flatMap((u) =>
      u.spec.autoCreateKey === true ? [{ name: u.metadata.name, alias: u.spec.keyAlias, token: u.status?.token }] : []
    )
  ]
  for (const owner of owners) {
    const token = tokens.get(`${owner.name}-litellm-key`)
    if (token === undefined) {
      problems.push(`${owner.name}: no key Secret`)
      continue
    }
    if (!inLiteLLM.keys.has(token)) problems.push(`${owner.name}: the key in its Secret is not in LiteLLM`)
    if (owner.token !== token) problems.push(`${owner.name}: status.token is not the Secret's key`)
    if (owner.alias !== undefined) {
      const under = snapshot.keys.filter((k) => k.key_alias === owner.alias)
      if (under.length !== 1 || under[0]?.token !== token)
        problems.push(`${owner.name}: ${under.length} keys under alias ${owner.alias}, not just the Secret's`)
    }
  }
  return problems
}

/** LiteLLM calls per endpoint and in all. */
export const sumCalls = (calls: Readonly<Record<string, number>>) => ({
  total: Object.values(calls).reduce((a, b) => a + b, 0),
  writes: Object.entries(calls)
    .filter(([endpoint]) => endpoint.startsWith("POST"))
    .reduce((a, [, n]) => a + n, 0)
})

/** Creates the namespace `name`. */
export const createNamespace = Effect.fn("createNamespace")(function* (name: string) {
  const transport = yield* KubeTransport
  yield* transport.request({
    method: "POST",
    path: "/api/v1/namespaces",
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name } }
  })
  return name
})

/** A connection Secret (`url`, `masterkey`) in `namespace` pointing at a LiteLLM (or the simulator). */
export const createConnectionSecretFor = Effect.fn("createConnectionSecretFor")(function* (
  namespace: string,
  connection: { readonly url: string; readonly masterKey: Redacted.Redacted<string> },
  name = "litellm",
  /** The connection owner's policy (auth.litellm.ai/allowed-user-roles, ...). */
  annotations: Readonly<Record<string, string>> = {}
) {
  const transport = yield* KubeTransport
  yield* transport.request({
    method: "POST",
    path: `/api/v1/namespaces/${namespace}/secrets`,
    body: {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { namespace, name, annotations },
      stringData: { url: connection.url, masterkey: Redacted.value(connection.masterKey) }
    },
    sensitive: true
  })
})

/** A namespace of the caller's own, and the connection Secret `litellm` pointing at a LiteLLM (or the simulator). */
export const namespaceWithConnection = Effect.fn("namespaceWithConnection")(function* (
  name: string,
  connection: { readonly url: string; readonly masterKey: Redacted.Redacted<string> }
) {
  yield* createNamespace(name)
  yield* createConnectionSecretFor(name, connection)
  return name
})
