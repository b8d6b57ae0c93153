/**
 * The informer against the real API server: it sees creates, updates and
 * deletes, and keeps the cache equal to the server through closed watches,
 * server-side watch timeouts, failed connections, a silent watch and a 410
 * after a partition, without losing the effect of any change; a relist keeps
 * the cached copy of each object it finds unchanged.
 */
import { assert, layer } from "@effect/vitest"
import type { Scope } from "effect"
import { Effect, Metric, Option, Redacted, Ref, Schedule, Schema, Stream } from "effect"
import type { Informer, InformerEvent, InformerOptions, TeamResource } from "../src/index.ts"
import {
  informerLastSyncTimestamp,
  informerListsTotal,
  informerWatchRestartsTotal,
  KubeClient,
  KubeTransport,
  makeInformer,
  Secrets,
  Teams
} from "../src/index.ts"
import { ClusterLive, exampleTeam, freshNamespace } from "./support/cluster.ts"
import { makeWatchFaults } from "./support/watchFaults.ts"

type Event = InformerEvent<TeamResource>

/** Starts an informer on `namespace` and records every event it publishes. */
const observe = Effect.fnUntraced(function* (
  namespace: string,
  options: InformerOptions = {}
): Effect.fn.Return<
  { readonly informer: Informer<TeamResource>; readonly log: Ref.Ref<ReadonlyArray<Event>> },
  never,
  Scope.Scope | KubeClient
> {
  const informer = yield* makeInformer(Teams, { namespace, ...options })
  const log = yield* Ref.make<ReadonlyArray<Event>>([])
  yield* informer.events.pipe(
    Stream.runForEach((e) => Ref.update(log, (l) => [...l, e])),
    Effect.forkScoped
  )
  yield* informer.synced
  return { informer, log }
})

class NotYet extends Schema.TaggedError<NotYet>()("NotYet", { what: Schema.String }) {}

/** Polls until `check` holds (20 s at most). */
const eventually = <A>(what: string, read: Effect.Effect<A>, check: (a: A) => boolean) =>
  read.pipe(
    Effect.flatMap((a) => (check(a) ? Effect.succeed(a) : Effect.fail(new NotYet({ what })))),
    Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 400 }),
    Effect.orDie
  )

const summary = (events: ReadonlyArray<Event>) =>
  events.map((e) => (e.type === "Malformed" ? "Malformed" : `${e.type} ${e.object.metadata.name}`))

/** The cache holds exactly what the server holds, object for object. */
const assertCacheMatchesServer = Effect.fnUntraced(function* (informer: Informer<TeamResource>, namespace: string) {
  const client = yield* KubeClient
  const server = yield* client.list(Teams, { namespace })
  const cached = yield* informer.list(namespace)
  const versions = (items: ReadonlyArray<TeamResource>) =>
    Object.fromEntries(items.map((i) => [i.metadata.name, i.metadata.resourceVersion]))
  assert.deepStrictEqual(versions(cached), versions(server.items))
})

const budgetOf = (informer: Informer<TeamResource>, namespace: string, name: string) =>
  Effect.map(informer.get({ namespace, name }), (o) => (o._tag === "Some" ? o.value.spec.maxBudget : undefined))

layer(ClusterLive, { excludeTestServices: true })("Informer", (it) => {
  it.effect("sees create, update and delete, and gives a late subscriber the current objects", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const ns = yield* freshNamespace("inf-basic")
      yield* client.create(Teams, exampleTeam(ns, "before"))
      const { informer, log } = yield* observe(ns)
      assert.isTrue(yield* informer.isSynced)
      assert.deepStrictEqual(summary(yield* Ref.get(log)), ["Added before"])

      yield* client.create(Teams, exampleTeam(ns, "alpha"))
      yield* client.mergePatch(Teams, { namespace: ns, name: "alpha" }, { spec: { maxBudget: "42" } })
      yield* client.delete(Teams, { namespace: ns, name: "before" })
      yield* eventually("three events", Ref.get(log), (l) => l.length >= 4)
      assert.deepStrictEqual(summary(yield* Ref.get(log)), [
        "Added before",
        "Added alpha",
        "Modified alpha",
        "Deleted before"
      ])
      assert.strictEqual(yield* budgetOf(informer, ns, "alpha"), "42")
      assert.isTrue((yield* informer.get({ namespace: ns, name: "before" }))._tag === "None")

      // A subscriber that arrives later starts from the cache.
      const late = yield* informer.events.pipe(Stream.take(1), Stream.runCollect)
      assert.deepStrictEqual(summary(late), ["Added alpha"])
      yield* assertCacheMatchesServer(informer, ns)
    })
  )

  it.effect(
    "hands every event to a handler where it is cached, the current objects first; a failing handler stops nothing",
    () =>
      Effect.gen(function* () {
        const client = yield* KubeClient
        const ns = yield* freshNamespace("inf-handle")
        yield* client.create(Teams, exampleTeam(ns, "before"))
        const informer = yield* makeInformer(Teams, { namespace: ns })
        yield* informer.synced
        const seen: Array<Event> = []
        // Whether the cache already held what each event says when the handler was called (asserted below: a
        // throw in the handler would only be logged).
        const cachedFirst: Array<boolean> = []
        const ran = yield* Ref.make<ReadonlyArray<string>>([])
        yield* informer.handle((event) => {
          seen.push(event)
          if (event.type === "Malformed") return undefined
          const cached = Effect.runSync(informer.get(event.object.metadata))
          cachedFirst.push(
            event.type === "Deleted"
              ? Option.isNone(cached)
              : Option.isSome(cached) && cached.value.metadata.resourceVersion === event.object.metadata.resourceVersion
          )
          return Ref.update(ran, (r) => [...r, `${event.type} ${event.object.metadata.name}`])
        })
        // Two handlers that fail, one by throwing and one in what it returns: logged, and the informer goes on.
        yield* informer.handle(() => {
          throw new Error("a handler's bug")
        })
        yield* informer.handle(() => Effect.die("a handler's effect's bug"))
        assert.deepStrictEqual(summary(seen), ["Added before"])

        yield* client.create(Teams, exampleTeam(ns, "alpha"))
        yield* client.mergePatch(Teams, { namespace: ns, name: "alpha" }, { spec: { maxBudget: "42" } })
        yield* client.delete(Teams, { namespace: ns, name: "before" })
        yield* eventually("four events", Ref.get(ran), (r) => r.length >= 4)
        assert.deepStrictEqual(yield* Ref.get(ran), ["Added before", "Added alpha", "Modified alpha", "Deleted before"])
        assert.deepStrictEqual(summary(seen), ["Added before", "Added alpha", "Modified alpha", "Deleted before"])
        assert.deepStrictEqual(cachedFirst, [true, true, true, true])
        yield* assertCacheMatchesServer(informer, ns)
      })
  )

  it.effect("resumes after forced watch closes without listing again or missing an update", () =>
    Effect.gen(function* () {
      const faults = yield* makeWatchFaults
      const client = yield* KubeClient
      const ns = yield* freshNamespace("inf-close")
      yield* client.create(Teams, exampleTeam(ns, "alpha"))
      const { informer } = yield* observe(ns).pipe(Effect.provideService(KubeClient, faults.client))

      for (let i = 1; i <= 10; i++) {
        yield* client.mergePatch(Teams, { namespace: ns, name: "alpha" }, { spec: { maxBudget: String(i) } })
        if (i % 3 === 0) {
          yield* Effect.sleep("1100 millis") // long enough not to count as a failed (very short) watch
          yield* faults.closeWatches
        }
      }
      yield* eventually("the last update", budgetOf(informer, ns, "alpha"), (b) => b === "10")
      const stats = yield* informer.stats
      assert.strictEqual(stats.lists, 1, "resumed from the last resourceVersion, no relist")
      assert.isAtLeast(stats.watches, 4)
      assert.strictEqual(stats.errors, 0)
      yield* assertCacheMatchesServer(informer, ns)
    })
  )

  it.effect("follows a stream of updates across server-side watch timeouts", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const ns = yield* freshNamespace("inf-timeout")
      yield* client.create(Teams, exampleTeam(ns, "alpha"))
      const { informer } = yield* observe(ns, { watchTimeout: { min: "1 second", max: "1 second" } })
      for (let i = 1; i <= 16; i++) {
        yield* client.mergePatch(Teams, { namespace: ns, name: "alpha" }, { spec: { maxBudget: String(i) } })
        yield* Effect.sleep("250 millis")
      }
      yield* eventually("the last update", budgetOf(informer, ns, "alpha"), (b) => b === "16")
      const stats = yield* informer.stats
      assert.isAtLeast(stats.watches, 2, "the server ended a watch at least once")
      assert.strictEqual(stats.lists, 1)
      yield* assertCacheMatchesServer(informer, ns)
    })
  )

  for (const [how, listing] of [
    ["paged", {}],
    ["streamed (a watch with its initial events)", { streamingList: true }]
  ] as const)
    it.effect(`after a partition and a 410, lists again, ${how}, and delivers every change it missed`, () =>
      Effect.gen(function* () {
        const faults = yield* makeWatchFaults
        const client = yield* KubeClient
        const ns = yield* freshNamespace("inf-gone")
        // What /metrics shows for informers of Teams (shared by the informers of this file, which run one at a time).
        const teams = { resource: "teams", selector: "" }
        const gone = Metric.withAttributes(informerWatchRestartsTotal, { ...teams, reason: "gone" })
        const lists = Metric.withAttributes(informerListsTotal, teams)
        const goneBefore = (yield* Metric.value(gone)).count
        const listsBefore = (yield* Metric.value(lists)).count
        yield* client.create(Teams, exampleTeam(ns, "kept"))
        yield* client.create(Teams, exampleTeam(ns, "changed"))
        yield* client.create(Teams, exampleTeam(ns, "deleted"))
        const { informer, log } = yield* observe(ns, listing).pipe(Effect.provideService(KubeClient, faults.client))
        yield* Ref.set(log, [])
        const cachedBefore = (name: string) => Effect.map(informer.get({ namespace: ns, name }), Option.getOrThrow)
        const keptBefore = yield* cachedBefore("kept")
        const changedBefore = yield* cachedBefore("changed")

        yield* faults.partition
        yield* client.create(Teams, exampleTeam(ns, "created"))
        yield* client.mergePatch(Teams, { namespace: ns, name: "changed" }, { spec: { maxBudget: "7" } })
        yield* client.delete(Teams, { namespace: ns, name: "deleted" })
        yield* Effect.sleep("300 millis")
        assert.deepStrictEqual(summary(yield* Ref.get(log)), [], "nothing arrives during the partition")

        // Back, but the resourceVersion it resumes from has been compacted: 410.
        yield* faults.heal({ expired: true })
        yield* eventually("the missed changes", Ref.get(log), (l) => l.length >= 3)
        assert.sameMembers(summary(yield* Ref.get(log)), ["Added created", "Modified changed", "Deleted deleted"])
        assert.strictEqual(yield* budgetOf(informer, ns, "changed"), "7")
        const stats = yield* informer.stats
        assert.strictEqual(stats.gone, 1)
        assert.strictEqual(stats.lists, 2)
        assert.strictEqual((yield* Metric.value(gone)).count - goneBefore, 1)
        assert.strictEqual((yield* Metric.value(lists)).count - listsBefore, 2)
        const lastSync = (yield* Metric.value(Metric.withAttributes(informerLastSyncTimestamp, teams))).value
        assert.approximately(lastSync, Date.now() / 1000, 30)
        yield* assertCacheMatchesServer(informer, ns)
        // The relist kept the cached copy of what it found unchanged, and holds a new one of what changed.
        assert.strictEqual(yield* cachedBefore("kept"), keptBefore)
        assert.notStrictEqual(yield* cachedBefore("changed"), changedBefore)

        // And it keeps watching.
        yield* client.mergePatch(Teams, { namespace: ns, name: "kept" }, { spec: { maxBudget: "8" } })
        yield* eventually("a later update", budgetOf(informer, ns, "kept"), (b) => b === "8")
      })
    )

  it.effect("restarts with backoff after failed connections and catches up", () =>
    Effect.gen(function* () {
      const faults = yield* makeWatchFaults
      const client = yield* KubeClient
      const ns = yield* freshNamespace("inf-errors")
      yield* client.create(Teams, exampleTeam(ns, "alpha"))
      const { informer } = yield* observe(ns, { backoff: { initial: "100 millis", max: "400 millis" } }).pipe(
        Effect.provideService(KubeClient, faults.client)
      )
      yield* faults.failNext(3)
      yield* faults.closeWatches
      yield* client.mergePatch(Teams, { namespace: ns, name: "alpha" }, { spec: { maxBudget: "99" } })
      yield* eventually("three failed attempts", informer.stats, (s) => s.errors >= 3)
      yield* eventually("the update", budgetOf(informer, ns, "alpha"), (b) => b === "99")
      const stats = yield* informer.stats
      assert.isAtLeast(stats.lists, 2, "lists again after errors")
      yield* assertCacheMatchesServer(informer, ns)
    })
  )

  it.effect("works for Secrets too, whose values stay Redacted in the cache", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const ns = yield* freshNamespace("inf-secret")
      const informer = yield* makeInformer(Secrets, { namespace: ns })
      yield* informer.synced
      const owner = yield* client.create(Teams, exampleTeam(ns, "alpha"))
      yield* client.applyOwnedSecret({
        namespace: ns,
        name: "alpha-key",
        owner: { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid },
        data: { key: Redacted.make("sk-informer-secret") }
      })
      const cached = yield* eventually("the Secret", informer.get({ namespace: ns, name: "alpha-key" }), Option.isSome)
      const value = Option.getOrUndefined(cached)?.data?.key
      assert.isTrue(value !== undefined && Redacted.isRedacted(value))
      assert.strictEqual(value === undefined ? undefined : Redacted.value(value), "sk-informer-secret")
      assert.notInclude(JSON.stringify(yield* informer.list(ns)), "sk-informer-secret")
    })
  )

  it.effect("drops kubectl's last-applied copy on arrival, from lists and from watch events alike", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const ns = yield* freshNamespace("inf-trim")
      const lastApplied = { "kubectl.kubernetes.io/last-applied-configuration": '{"spec":{"maxBudget":"100"}}' }
      const example = exampleTeam(ns, "listed")
      yield* client.create(Teams, {
        ...example,
        metadata: { ...example.metadata, annotations: { ...lastApplied, keep: "me" } }
      })
      const { informer } = yield* observe(ns)
      const watched = exampleTeam(ns, "watched")
      yield* client.create(Teams, { ...watched, metadata: { ...watched.metadata, annotations: lastApplied } })
      yield* eventually("both", informer.list(ns), (l) => l.length === 2)
      const annotations = (name: string) =>
        Effect.map(informer.get({ namespace: ns, name }), (o) => Option.getOrUndefined(o)?.metadata.annotations)
      assert.deepStrictEqual(yield* annotations("listed"), { keep: "me" })
      assert.deepStrictEqual(yield* annotations("watched"), {})
      // managedFields (which the server sends with every object) are never decoded into the cache.
      assert.notInclude(JSON.stringify(yield* informer.list(ns)), "managedFields")
      const raw = yield* (yield* KubeTransport).request({
        method: "GET",
        path: `/apis/auth.litellm.ai/v1alpha1/namespaces/${ns}/teams`
      })
      assert.include(raw, "managedFields")
      // The server still has it: only the cache is trimmed.
      const server = yield* client.get(Teams, { namespace: ns, name: "watched" })
      assert.deepStrictEqual(server.metadata.annotations, lastApplied)
    })
  )

  it.effect("a watchdog restarts a watch that stays silent", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const ns = yield* freshNamespace("inf-silent")
      const { informer, log } = yield* observe(ns, { silenceTimeout: "1 second" })
      yield* eventually("a watchdog restart", informer.stats, (s) => s.watchdogRestarts >= 1)
      yield* client.create(Teams, exampleTeam(ns, "alpha"))
      yield* eventually("the create", Ref.get(log), (l) => l.length >= 1)
      assert.deepStrictEqual(summary(yield* Ref.get(log)), ["Added alpha"])
      const stats = yield* informer.stats
      assert.strictEqual(stats.lists, 1)
      assert.strictEqual(stats.errors, 0)
    })
  )
})
