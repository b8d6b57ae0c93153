/**
 * EventRecorder against the real API server: events.k8s.io/v1 Events with
 * MicroTime timestamps, repeats aggregated into one Event's series, and
 * failures that never reach the caller.
 */
import { assert, layer } from "@effect/vitest"
import { Clock, Effect, Layer, Ref } from "effect"
import { EventRecorder, Events, KubeClient, Teams } from "../src/index.ts"
import { ClusterLive, exampleTeam, freshNamespace } from "./support/cluster.ts"

const MICRO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

const Recorder = EventRecorder.layer({ reportingInstance: "test-0", aggregationWindow: "2 seconds" }).pipe(
  Layer.provideMerge(ClusterLive)
)

layer(Recorder, { excludeTestServices: true })("EventRecorder", (it) => {
  it.effect("writes an Event and aggregates repeats into its series", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const recorder = yield* EventRecorder
      const ns = yield* freshNamespace("events")
      const team = yield* client.create(Teams, exampleTeam(ns, "alpha"))

      yield* recorder.normal(team, "Reconciled", "SyncTeam", "LiteLLM matches the spec")
      const [event, ...others] = (yield* client.list(Events, { namespace: ns })).items
      assert.strictEqual(others.length, 0)
      assert.isDefined(event)
      if (event === undefined) return
      assert.strictEqual(event.reportingController, "litellm-operator")
      assert.strictEqual(event.reportingInstance, "test-0")
      assert.strictEqual(event.type, "Normal")
      assert.strictEqual(event.reason, "Reconciled")
      assert.strictEqual(event.action, "SyncTeam")
      assert.strictEqual(event.note, "LiteLLM matches the spec")
      assert.strictEqual(event.regarding?.uid, team.metadata.uid)
      assert.strictEqual(event.regarding?.kind, "Team")
      assert.match(event.eventTime ?? "", MICRO)
      assert.isUndefined(event.series)

      // Three repeats: still one Event, with a series.
      for (let i = 0; i < 3; i++) yield* recorder.normal(team, "Reconciled", "SyncTeam", "LiteLLM matches the spec")
      const repeated = (yield* client.list(Events, { namespace: ns })).items
      assert.strictEqual(repeated.length, 1)
      assert.strictEqual(repeated[0]?.series?.count, 4)
      assert.match(repeated[0]?.series?.lastObservedTime ?? "", MICRO)

      // A different note is a different Event.
      yield* recorder.warning(team, "LiteLLMError", "SyncTeam", "LiteLLM answered 500")
      assert.strictEqual((yield* client.list(Events, { namespace: ns })).items.length, 2)

      // After the aggregation window, a repeat starts a new Event.
      yield* Effect.sleep("2100 millis")
      yield* recorder.normal(team, "Reconciled", "SyncTeam", "LiteLLM matches the spec")
      assert.strictEqual((yield* client.list(Events, { namespace: ns })).items.length, 3)

      // If the aggregated Event is gone (events expire), the next repeat creates one.
      const latest = (yield* client.list(Events, { namespace: ns })).items.find(
        (e) => e.reason === "Reconciled" && e.series === undefined && e.metadata.name !== event.metadata.name
      )
      assert.isDefined(latest)
      if (latest !== undefined) yield* client.delete(Events, latest.metadata)
      yield* recorder.normal(team, "Reconciled", "SyncTeam", "LiteLLM matches the spec")
      assert.strictEqual((yield* client.list(Events, { namespace: ns })).items.length, 3)
    })
  )

  it.effect("writes for different objects run at once, up to the limit; repeats of one still aggregate", () =>
    Effect.gen(function* () {
      const real = yield* KubeClient
      const ns = yield* freshNamespace("events-par")
      const teams = yield* Effect.forEach([0, 1, 2, 3, 4, 5, 6, 7], (i) => real.create(Teams, exampleTeam(ns, `t${i}`)))
      // A slow API server: every Event write takes 300 ms; count how many are in flight at once.
      const inFlight = yield* Ref.make(0)
      const peak = yield* Ref.make(0)
      const slowly = <A, E>(call: Effect.Effect<A, E>) =>
        Effect.acquireUseRelease(
          Effect.flatMap(
            Ref.updateAndGet(inFlight, (n) => n + 1),
            (n) => Ref.update(peak, (p) => Math.max(p, n))
          ),
          () => Effect.andThen(Effect.sleep("300 millis"), call),
          () => Ref.update(inFlight, (n) => n - 1)
        )
      const slow = KubeClient.of({
        ...real,
        create: (type, object) => slowly(real.create(type, object)),
        mergePatch: (type, key, patch) => slowly(real.mergePatch(type, key, patch))
      })
      const recorder = yield* EventRecorder.pipe(
        Effect.provide(
          EventRecorder.layer({ reportingInstance: "test-1", concurrency: 4 }).pipe(
            Layer.provide(Layer.succeed(KubeClient, slow))
          )
        )
      )

      const started = yield* Clock.currentTimeMillis
      yield* Effect.forEach(teams, (team) => recorder.normal(team, "Reconciled", "SyncTeam", "in sync"), {
        concurrency: "unbounded"
      })
      const took = (yield* Clock.currentTimeMillis) - started
      assert.strictEqual(yield* Ref.get(peak), 4, "four writes at once, never more")
      // One at a time would take 8 x 300 ms; four at a time, two rounds.
      assert.isBelow(took, 1_800)
      assert.isAtLeast(took, 600)
      assert.strictEqual((yield* real.list(Events, { namespace: ns })).items.length, 8)

      // Three repeats at once for one object: serialised among themselves, so one Event counts all four.
      const first = teams[0]
      if (first === undefined) return
      yield* Effect.all(
        [0, 1, 2].map(() => recorder.normal(first, "Reconciled", "SyncTeam", "in sync")),
        { concurrency: "unbounded" }
      )
      const events = (yield* real.list(Events, { namespace: ns })).items
      assert.strictEqual(events.length, 8)
      assert.strictEqual(events.find((e) => e.regarding?.uid === first.metadata.uid)?.series?.count, 4)
    })
  )

  it.effect("never fails the caller", () =>
    Effect.gen(function* () {
      const recorder = yield* EventRecorder
      const ghost = {
        apiVersion: "auth.litellm.ai/v1alpha1",
        kind: "Team",
        metadata: { name: "ghost", namespace: "no-such-namespace", uid: "00000000-0000-0000-0000-000000000000" }
      }
      // The namespace does not exist: the write fails, the caller does not notice.
      yield* recorder.warning(ghost, "LiteLLMError", "SyncTeam", "x")
      // Input the API would refuse is dropped too.
      yield* recorder.record({ regarding: ghost, type: "Normal", reason: "", action: "SyncTeam", note: "x" })
      yield* recorder.normal(ghost, "Reconciled", "SyncTeam", "n".repeat(5000))
    })
  )
})
