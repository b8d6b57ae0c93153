/**
 * SecretCache against the real API server: named Secrets read with one GET
 * and then from the cache, unrelated Secrets never read (their data never
 * even sent: the watch is metadata-only), a Secret created later announced,
 * a change fetched again, and a write visible at once even while the owned
 * Secrets' watch is cut off (read-your-writes).
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Option, Redacted, Ref, Schedule, Schema, Stream } from "effect"
import type { NewObject, ObjectKey } from "../src/index.ts"
import {
  acceptOf,
  collectionPath,
  KubeClient,
  KubeTransport,
  type Secret,
  SecretCache,
  Secrets,
  SecretsMetadata,
  Teams
} from "../src/index.ts"
import { ClusterLive, exampleTeam, freshNamespace } from "./support/cluster.ts"
import { makeWatchFaults } from "./support/watchFaults.ts"

const ownedLabel = { key: "app.kubernetes.io/managed-by", value: "litellm-operator" }

class NotYet extends Schema.TaggedError<NotYet>()("NotYet", { what: Schema.String }) {}

const eventually = <A, E, R>(what: string, read: Effect.Effect<A, E, R>, check: (a: A) => boolean) =>
  read.pipe(
    Effect.flatMap((a) => (check(a) ? Effect.succeed(a) : Effect.fail(new NotYet({ what })))),
    Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 400 }),
    Effect.orDie
  )

const plainSecret = (
  namespace: string,
  name: string,
  data: Record<string, string>
): NewObject<typeof Secret.Encoded> => ({
  metadata: { namespace, name },
  type: "Opaque",
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]))
})

const plainValue = (secret: Option.Option<typeof Secret.Type>, key: string) => {
  const value = Option.getOrUndefined(secret)?.data?.[key]
  return value === undefined ? undefined : Redacted.value(value)
}

/** The real client, counting GETs of single Secrets. */
const countingGets = Effect.gen(function* () {
  const real = yield* KubeClient
  const gets = yield* Ref.make(0)
  const client = KubeClient.of({
    ...real,
    get: (type, key) =>
      type.plural === "secrets"
        ? Effect.andThen(
            Ref.update(gets, (n) => n + 1),
            real.get(type, key)
          )
        : real.get(type, key)
  })
  return { client, gets: Ref.get(gets) }
})

layer(ClusterLive, { excludeTestServices: true })("SecretCache", (it) => {
  it.effect("reads a named Secret once, never an unrelated one, and follows creation, change and release", () =>
    Effect.gen(function* () {
      const real = yield* KubeClient
      const transport = yield* KubeTransport
      const ns = yield* freshNamespace("sc-named")
      for (const name of ["other-a", "other-b", "other-c"]) {
        yield* real.create(Secrets, plainSecret(ns, name, { payload: "unrelated-payload-value" }))
      }
      yield* real.create(Secrets, plainSecret(ns, "conn", { masterkey: "sk-master-1" }))

      // The metadata-only list carries no Secret's data at all.
      const raw = yield* transport.request({
        method: "GET",
        path: collectionPath(Secrets, ns),
        accept: acceptOf(SecretsMetadata, "list")
      })
      assert.include(raw, "PartialObjectMetadataList")
      assert.include(raw, "other-a")
      assert.notInclude(raw, Buffer.from("unrelated-payload-value").toString("base64"))
      assert.notInclude(raw, Buffer.from("sk-master-1").toString("base64"))

      const { client, gets } = yield* countingGets
      const cache = yield* SecretCache.make({ namespace: ns, ownedLabel }).pipe(
        Effect.provideService(KubeClient, client)
      )
      const changes = yield* Ref.make<ReadonlyArray<string>>([])
      yield* cache.changes.pipe(
        Stream.runForEach((k: ObjectKey) => Ref.update(changes, (l) => [...l, k.name])),
        Effect.forkScoped
      )
      yield* cache.synced
      assert.strictEqual((yield* cache.stats).held, 0)

      const conn = { namespace: ns, name: "conn" }
      assert.strictEqual(plainValue(yield* cache.referenced(conn), "masterkey"), "sk-master-1")
      // Concurrent readers share one GET; later ones read the cache.
      yield* Effect.all([cache.referenced(conn), cache.referenced(conn), cache.referenced(conn)], {
        concurrency: "unbounded"
      })
      assert.strictEqual(yield* gets, 1)
      assert.strictEqual((yield* cache.stats).held, 1)

      // Absent: known from the watch, no request.
      const late = { namespace: ns, name: "late" }
      assert.isTrue(Option.isNone(yield* cache.referenced(late)))
      assert.strictEqual(yield* gets, 1)

      // Created later: announced, then read.
      yield* real.create(Secrets, plainSecret(ns, "late", { masterkey: "sk-late" }))
      yield* eventually("the new Secret announced", Ref.get(changes), (l) => l.includes("late"))
      assert.strictEqual(plainValue(yield* cache.referenced(late), "masterkey"), "sk-late")
      assert.strictEqual(yield* gets, 2)

      // Changed: announced, and the next read fetches the new data.
      yield* real.mergePatch(Secrets, conn, { data: { masterkey: Buffer.from("sk-master-2").toString("base64") } })
      yield* eventually(
        "the rotated master key",
        cache.referenced(conn),
        (s) => plainValue(s, "masterkey") === "sk-master-2"
      )
      assert.strictEqual(yield* gets, 3)
      assert.deepStrictEqual(
        (yield* Ref.get(changes)).filter((n) => n.startsWith("other")).sort(),
        ["other-a", "other-b", "other-c"],
        "unrelated Secrets are announced (by name) but never read"
      )

      // Released: its data is dropped.
      yield* cache.release(conn)
      yield* cache.release(late)
      assert.strictEqual((yield* cache.stats).held, 0)

      // Deleted: gone from the answer.
      yield* real.delete(Secrets, late)
      yield* eventually("the deletion", cache.referenced(late), Option.isNone)
    })
  )

  it.effect("answers with a Secret just written while its watch lags, until the watch catches up", () =>
    Effect.gen(function* () {
      const real = yield* KubeClient
      const ns = yield* freshNamespace("sc-ryw")
      const faults = yield* makeWatchFaults
      const cache = yield* SecretCache.make({ namespace: ns, ownedLabel }).pipe(
        Effect.provideService(KubeClient, faults.client)
      )
      yield* cache.synced
      const team = yield* real.create(Teams, exampleTeam(ns, "owner"))
      const desired = (value: string) => ({
        namespace: ns,
        name: "owner-key",
        owner: { apiVersion: team.apiVersion, kind: team.kind, name: team.metadata.name, uid: team.metadata.uid },
        labels: { [ownedLabel.key]: ownedLabel.value },
        data: { key: Redacted.make(value) }
      })
      const where = { namespace: ns, name: "owner-key" }
      const first = yield* real.applyOwnedSecret(desired("sk-first"))
      yield* eventually("the first write seen", cache.owned(where), (s) => plainValue(s, "key") === "sk-first")

      // The watch is cut off: the cache still holds the first value when the second is written.
      yield* faults.partition
      const second = yield* real.applyOwnedSecret(desired("sk-second"), { current: Option.some(first) })
      yield* cache.wrote(second)
      assert.strictEqual(plainValue(yield* cache.owned(where), "key"), "sk-second")
      assert.strictEqual((yield* cache.stats).unconfirmedWrites, 1, "the watch has not seen the write")

      // A write based on the stale first version is refused by the server (409), not applied over the second.
      const stale = yield* Effect.flip(real.applyOwnedSecret(desired("sk-third"), { current: Option.some(first) }))
      assert.strictEqual(stale.reason._tag, "Conflict")
      assert.strictEqual(plainValue(Option.some(yield* real.readSecret(where)), "key"), "sk-second")

      yield* faults.heal()
      yield* eventually("the watch caught up", cache.stats, (s) => s.unconfirmedWrites === 0)
      assert.strictEqual(plainValue(yield* cache.owned(where), "key"), "sk-second")
    })
  )

  it.effect("keeps no metadata it does not need, and drops kubectl's last-applied copy from cached Secrets", () =>
    Effect.gen(function* () {
      const real = yield* KubeClient
      const ns = yield* freshNamespace("sc-trim")
      const applied = JSON.stringify({ data: { masterkey: Buffer.from("sk-in-annotation").toString("base64") } })
      yield* real.create(Secrets, {
        ...plainSecret(ns, "conn", { masterkey: "sk-trim" }),
        metadata: {
          namespace: ns,
          name: "conn",
          annotations: {
            "kubectl.kubernetes.io/last-applied-configuration": applied,
            "auth.litellm.ai/allow-namespaces": "*"
          }
        }
      })
      const cache = yield* SecretCache.make({ namespace: ns, ownedLabel })
      const found = yield* cache.referenced({ namespace: ns, name: "conn" })
      assert.strictEqual(plainValue(found, "masterkey"), "sk-trim")
      const annotations = Option.getOrUndefined(found)?.metadata.annotations ?? {}
      assert.deepStrictEqual(annotations, { "auth.litellm.ai/allow-namespaces": "*" })

      // An owned Secret is cached compactly, yet with every field the server keeps but the last-applied copy
      // (a replace is made from it), and its data as redacted values.
      const team = yield* real.create(Teams, exampleTeam(ns, "owner"))
      const owned = yield* real.applyOwnedSecret({
        namespace: ns,
        name: "owner-key",
        owner: { apiVersion: team.apiVersion, kind: team.kind, name: team.metadata.name, uid: team.metadata.uid },
        labels: { [ownedLabel.key]: ownedLabel.value, team: "a" },
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": applied, other: "kept" },
        type: "Opaque",
        data: { key: Redacted.make("sk-owned-value"), url: Redacted.make("http://litellm") }
      })
      yield* cache.synced
      const cached = yield* eventually("the owned Secret cached", cache.owned(owned.metadata), Option.isSome)
      const { data: cachedData, ...cachedRest } = Option.getOrThrow(cached)
      const { data: serverData, ...serverRest } = yield* real.readSecret(owned.metadata)
      assert.deepStrictEqual(cachedRest, {
        ...serverRest,
        metadata: { ...serverRest.metadata, annotations: { other: "kept" } }
      })
      assert.deepStrictEqual(Object.keys(cachedData ?? {}).sort(), ["key", "url"])
      assert.strictEqual(plainValue(cached, "key"), "sk-owned-value")
      assert.strictEqual(plainValue(cached, "url"), "http://litellm")
      assert.isTrue(Redacted.isRedacted(cachedData?.key), "the value stays redacted")
      assert.strictEqual(String(serverData?.key), String(cachedData?.key))
    })
  )
})
