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
  Invalid,
  KubeClient,
  KubeError,
  KubeTransport,
  type ListOptions,
  ownedPageSize,
  type Secret,
  SecretCache,
  Secrets,
  SecretsMetadata,
  Teams,
  type WatchOptions
} from "../src/index.ts"
import { ClusterLive, exampleTeam, freshNamespace } from "./support/cluster.ts"
import { makeWatchFaults } from "./support/watchFaults.ts"

const ownedLabel = { key: "app.kubernetes.io/managed-by", value: "litellm-operator" }
const ownedFields = { data: ["key", "url"], labels: [ownedLabel.key, "team"] }

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

/** The real client, counting GETs of single Secrets and recording the lists asked for. */
const countingGets = Effect.gen(function* () {
  const real = yield* KubeClient
  const gets = yield* Ref.make(0)
  const lists: Array<ListOptions | undefined> = []
  const watches: Array<WatchOptions> = []
  const client = KubeClient.of({
    ...real,
    listPages: (type, options) => {
      lists.push(options)
      return real.listPages(type, options)
    },
    watch: (type, options) => {
      watches.push(options)
      return real.watch(type, options)
    },
    get: (type, key) =>
      type.plural === "secrets"
        ? Effect.andThen(
            Ref.update(gets, (n) => n + 1),
            real.get(type, key)
          )
        : real.get(type, key)
  })
  return { client, gets: Ref.get(gets), lists, watches }
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
      const cache = yield* SecretCache.make({ namespace: ns, ownedLabel, ownedFields }).pipe(
        Effect.provideService(KubeClient, client)
      )
      const changes = yield* Ref.make<ReadonlyArray<string>>([])
      yield* cache.changes.pipe(
        Stream.runForEach((k: ObjectKey) => Ref.update(changes, (l) => [...l, k.name])),
        Effect.forkScoped
      )
      // The same keys handed out where they are cached; by then the data held from before is let go.
      const handled: Array<string> = []
      const heldWhenConnChanged: Array<number> = []
      yield* cache.handleChanges((k) => {
        handled.push(k.name)
        if (k.name === "conn") heldWhenConnChanged.push(Effect.runSync(cache.stats).held)
        return undefined
      })
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
      assert.deepStrictEqual([...new Set(handled)].sort(), [...new Set(yield* Ref.get(changes))].sort())
      // conn listed (nothing held yet), then rotated while conn and late were held: conn's data already let go.
      assert.deepStrictEqual(heldWhenConnChanged, [0, 1])

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
      const cache = yield* SecretCache.make({ namespace: ns, ownedLabel, ownedFields }).pipe(
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
      const cache = yield* SecretCache.make({ namespace: ns, ownedLabel, ownedFields })
      const found = yield* cache.referenced({ namespace: ns, name: "conn" })
      assert.strictEqual(plainValue(found, "masterkey"), "sk-trim")
      const annotations = Option.getOrUndefined(found)?.metadata.annotations ?? {}
      assert.deepStrictEqual(annotations, { "auth.litellm.ai/allow-namespaces": "*" })

      // An owned Secret is cached with its identity, version, controller reference and the labels and data
      // entries the operator writes (`ownedFields`), its data as redacted values; nothing else of it.
      const team = yield* real.create(Teams, exampleTeam(ns, "owner"))
      const owned = yield* real.applyOwnedSecret({
        namespace: ns,
        name: "owner-key",
        owner: { apiVersion: team.apiVersion, kind: team.kind, name: team.metadata.name, uid: team.metadata.uid },
        labels: { [ownedLabel.key]: ownedLabel.value, team: "a", other: "b" },
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": applied, other: "kept" },
        type: "Opaque",
        data: { key: Redacted.make("sk-owned-value"), url: Redacted.make("http://litellm"), extra: Redacted.make("x") }
      })
      yield* cache.synced
      const cached = yield* eventually("the owned Secret cached", cache.owned(owned.metadata), Option.isSome)
      const { data: cachedData, ...cachedRest } = Option.getOrThrow(cached)
      const { data: serverData, ...serverRest } = yield* real.readSecret(owned.metadata)
      const { name, namespace, uid, resourceVersion, creationTimestamp, ownerReferences } = serverRest.metadata
      assert.deepStrictEqual(cachedRest, {
        apiVersion: "v1",
        kind: "Secret",
        type: "Opaque",
        metadata: {
          name,
          namespace,
          uid,
          resourceVersion,
          ...(creationTimestamp === undefined ? {} : { creationTimestamp }),
          labels: { [ownedLabel.key]: ownedLabel.value, team: "a" },
          ...(ownerReferences === undefined ? {} : { ownerReferences })
        }
      })
      assert.deepStrictEqual(Object.keys(cachedData ?? {}).sort(), ["key", "url"])
      assert.strictEqual(plainValue(cached, "key"), "sk-owned-value")
      assert.strictEqual(plainValue(cached, "url"), "http://litellm")
      assert.isTrue(Redacted.isRedacted(cachedData?.key), "the value stays redacted")
      assert.strictEqual(String(serverData?.key), String(cachedData?.key))
    })
  )

  it.effect(
    "holds nothing a tenant adds to a Secret it labels as the operator's, and no named Secret over the limit",
    () =>
      Effect.gen(function* () {
        const real = yield* KubeClient
        const ns = yield* freshNamespace("sc-bound")
        const big = "x".repeat(300 * 1024)
        // A tenant labels a Secret of its namespace as the operator's, with large values under the operator's
        // entry names and under others, large annotations and labels of its own.
        yield* real.create(Secrets, {
          ...plainSecret(ns, "posing", { key: big, url: "http://litellm", junk: big }),
          metadata: {
            namespace: ns,
            name: "posing",
            labels: { [ownedLabel.key]: ownedLabel.value, "tenant-label": "y" },
            annotations: { "tenant-annotation": big.slice(0, 200 * 1024) }
          }
        })
        const { client, gets, lists, watches } = yield* countingGets
        const cache = yield* SecretCache.make({ namespace: ns, ownedLabel, ownedFields }).pipe(
          Effect.provideService(KubeClient, client)
        )
        yield* cache.synced
        // Labelled Secrets are listed one at a time, through a watch (a streaming list): never a page of them.
        const owned = `${ownedLabel.key}=${ownedLabel.value}`
        assert.deepStrictEqual(
          lists.filter((o) => o?.labelSelector === owned),
          []
        )
        assert.isTrue(watches.some((o) => o.labelSelector === owned && o.sendInitialEvents === true))
        // So are the other Secrets' metadata (labels and finalizers can make it large too).
        const others = `${ownedLabel.key}!=${ownedLabel.value}`
        assert.deepStrictEqual(
          lists.filter((o) => o?.labelSelector === others),
          []
        )
        assert.isTrue(watches.some((o) => o.labelSelector === others && o.sendInitialEvents === true))
        const posing = Option.getOrThrow(yield* cache.owned({ namespace: ns, name: "posing" }))
        assert.deepStrictEqual(
          Object.keys(posing.data ?? {}),
          ["url"],
          "the oversized key and other entries are not held"
        )
        assert.deepStrictEqual(posing.metadata.labels, { [ownedLabel.key]: ownedLabel.value })
        assert.strictEqual(posing.metadata.annotations, undefined)
        assert.isBelow(JSON.stringify(posing).length, 1024, "what is held of it is small whatever it holds")

        // Named by an object (a labelled Secret is read like any other named one): read in full when small.
        const labelledConn = { namespace: ns, name: "labelled-conn" }
        yield* real.create(Secrets, {
          ...plainSecret(ns, "labelled-conn", { masterkey: "sk-labelled" }),
          metadata: { ...labelledConn, labels: { [ownedLabel.key]: ownedLabel.value } }
        })
        const changes = yield* Ref.make<ReadonlyArray<string>>([])
        yield* cache.changes.pipe(
          Stream.runForEach((k: ObjectKey) => Ref.update(changes, (l) => [...l, k.name])),
          Effect.forkScoped
        )
        yield* eventually("the labelled Secret cached", cache.owned(labelledConn), Option.isSome)
        assert.strictEqual(plainValue(yield* cache.referenced(labelledConn), "masterkey"), "sk-labelled")
        assert.strictEqual(yield* gets, 1)
        // Its change is announced (the objects naming it are woken), and the next read has the new value.
        yield* real.mergePatch(Secrets, labelledConn, {
          data: { masterkey: Buffer.from("sk-labelled-2").toString("base64") }
        })
        yield* eventually("the labelled Secret's change announced", Ref.get(changes), (l) =>
          l.includes("labelled-conn")
        )
        yield* eventually(
          "the labelled Secret read again",
          cache.referenced(labelledConn),
          (found) => plainValue(found, "masterkey") === "sk-labelled-2"
        )
        assert.strictEqual(yield* gets, 2)

        // A named Secret over the limit fails with a message that says so, and is not fetched again until it changes.
        const heavy = { namespace: ns, name: "heavy" }
        yield* real.create(Secrets, plainSecret(ns, "heavy", { masterkey: "sk-heavy", padding: big }))
        const refused = yield* eventually(
          "the heavy Secret refused",
          Effect.flip(cache.referenced(heavy)),
          (error) => error._tag === "SecretTooLarge"
        )
        assert.include(refused.message, "more than 64 KiB of data")
        assert.notInclude(refused.message, "sk-heavy")
        const getsAfterRefusal = yield* gets
        const again = yield* Effect.flip(cache.referenced(heavy))
        assert.include(again.message, "more than 64 KiB of data")
        assert.strictEqual(yield* gets, getsAfterRefusal, "refused again from memory, without a GET")
        assert.strictEqual((yield* cache.stats).held, 1, "only the labelled connection Secret is held")

        // Once it shrinks, it is read.
        yield* real.mergePatch(Secrets, heavy, { data: { padding: null } })
        yield* eventually(
          "the shrunk Secret read",
          Effect.result(cache.referenced(heavy)),
          (r) => r._tag === "Success" && plainValue(r.success, "masterkey") === "sk-heavy"
        )
      })
  )

  it.effect("where the server refuses streaming lists, lists labelled Secrets 10 to a page", () =>
    Effect.gen(function* () {
      const real = yield* KubeClient
      const ns = yield* freshNamespace("sc-paged")
      const names = Array.from({ length: 23 }, (_, i) => `posing-${String(i).padStart(2, "0")}`)
      yield* Effect.forEach(
        names,
        (name) =>
          real.create(Secrets, {
            ...plainSecret(ns, name, { key: `sk-${name}`, junk: "x".repeat(1000) }),
            metadata: { namespace: ns, name, labels: { [ownedLabel.key]: ownedLabel.value } }
          }),
        { concurrency: 8, discard: true }
      )
      const { client, lists } = yield* countingGets
      // A server without streaming lists answers the request with 422, as one with the feature off does.
      const refusing = KubeClient.of({
        ...client,
        watch: (type, options) =>
          options.sendInitialEvents === true
            ? Stream.fail(
                new KubeError({
                  operation: "WATCH secrets",
                  status: 422,
                  reason: new Invalid({ message: "sendInitialEvents is forbidden for watch", causes: [] })
                })
              )
            : client.watch(type, options)
      })
      const cache = yield* SecretCache.make({ namespace: ns, ownedLabel, ownedFields }).pipe(
        Effect.provideService(KubeClient, refusing)
      )
      yield* cache.synced
      const paged = lists.filter((o) => o?.labelSelector === `${ownedLabel.key}=${ownedLabel.value}`)
      assert.deepStrictEqual(
        paged.map((o) => o?.pageSize),
        [ownedPageSize]
      )
      assert.strictEqual(ownedPageSize, 10)
      for (const name of names) {
        const held = Option.getOrThrow(yield* cache.owned({ namespace: ns, name }))
        assert.deepStrictEqual(Object.keys(held.data ?? {}), ["key"])
      }
    })
  )
})
