/**
 * KubeClient against the real API server: decoding, lists by pages, error reasons, status
 * through the status subresource, finalizers under concurrent writers, and
 * owned Secrets whose values never leave `Redacted`.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Option, Predicate, Redacted, Result, Stream } from "effect"
import type { TeamResource } from "../src/index.ts"
import { KubeClient, Secrets, Teams } from "../src/index.ts"
import { ClusterLive, exampleTeam, freshNamespace } from "./support/cluster.ts"

const ours = "auth.litellm.ai/finalizer"

const ready = (generation: number) => ({
  type: "Ready",
  status: "True" as const,
  observedGeneration: generation,
  lastTransitionTime: "2026-01-01T00:00:00Z",
  reason: "Reconciled",
  message: "LiteLLM matches the spec"
})

layer(ClusterLive, { excludeTestServices: true })("KubeClient", (it) => {
  it.effect("decodes objects and maps 404, 409 and 422 to tagged reasons", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const ns = yield* freshNamespace("client")
      const created = yield* client.create(Teams, exampleTeam(ns, "alpha"))
      const read = yield* client.get(Teams, { namespace: ns, name: "alpha" })
      assert.strictEqual(read.metadata.uid, created.metadata.uid)
      assert.deepStrictEqual(read.spec.models, ["gpt-4o"])

      const missing = yield* Effect.flip(client.get(Teams, { namespace: ns, name: "nope" }))
      assert.strictEqual(missing.reason._tag, "NotFound")
      assert.strictEqual(missing.status, 404)

      const duplicate = yield* Effect.flip(client.create(Teams, exampleTeam(ns, "alpha")))
      assert.strictEqual(duplicate.reason._tag, "Conflict")
      assert.isTrue(duplicate.reason._tag === "Conflict" && duplicate.reason.alreadyExists)

      const invalid = yield* Effect.flip(
        client.create(Teams, { ...exampleTeam(ns, "beta"), spec: { ...exampleTeam(ns, "beta").spec, maxBudget: "x" } })
      )
      assert.strictEqual(invalid.reason._tag, "Invalid")
      if (invalid.reason._tag === "Invalid") {
        assert.deepInclude(
          invalid.reason.causes.map((c) => c.field),
          "spec.maxBudget"
        )
      }
      // Deleting what is gone succeeds.
      yield* client.delete(Teams, { namespace: ns, name: "nope" })
    })
  )

  it.effect("lists page by page: listPages yields each page as the server sends it, list their fold", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const ns = yield* freshNamespace("pages")
      // More than one page of 500.
      const names = Array.from({ length: 520 }, (_, i) => `team-${String(i).padStart(3, "0")}`)
      yield* Effect.forEach(names, (name) => client.create(Teams, exampleTeam(ns, name)), {
        concurrency: 16,
        discard: true
      })
      const pages = yield* Stream.runCollect(client.listPages(Teams, { namespace: ns }))
      assert.deepStrictEqual(
        pages.map((p) => p.items.length),
        [500, 20]
      )
      const whole = yield* client.list(Teams, { namespace: ns })
      assert.sameMembers(
        whole.items.map((t) => t.metadata.name),
        names
      )
      assert.sameMembers(
        pages.flatMap((p) => p.items.map((t) => t.metadata.name)),
        names
      )
      // Every page of one list is of the same snapshot of the collection: the version to watch from.
      assert.strictEqual(pages[1]?.resourceVersion, pages[0]?.resourceVersion)
      assert.isAtLeast(Number(whole.resourceVersion), Number(pages[1]?.resourceVersion))
    })
  )

  it.effect("asks for pages of the size given: large objects are never held many at a time", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const ns = yield* freshNamespace("sized-pages")
      // Small ones first in name order, then large ones: a page size guessed from the first pages would
      // ask for the large ones all at once.
      const names = [...Array.from({ length: 12 }, (_, i) => `a-${String(i).padStart(2, "0")}`), "z-0", "z-1", "z-2"]
      yield* Effect.forEach(
        names,
        (name) =>
          client.create(Secrets, {
            metadata: { namespace: ns, name },
            type: "Opaque",
            data: { blob: Buffer.alloc(name.startsWith("z") ? 400 * 1024 : 10, 7).toString("base64") }
          }),
        { concurrency: 4, discard: true }
      )
      const pages = yield* Stream.runCollect(client.listPages(Secrets, { namespace: ns, pageSize: 4 }))
      assert.deepStrictEqual(
        pages.map((p) => p.items.map((s) => s.metadata.name)),
        [names.slice(0, 4), names.slice(4, 8), names.slice(8, 12), names.slice(12)]
      )
      assert.strictEqual(new Set(pages.map((p) => p.resourceVersion)).size, 1, "one snapshot")
      // `prune` sees each object as it arrives; what it leaves out is never decoded.
      const seen: Array<unknown> = []
      const pruned = yield* client.list(Secrets, {
        namespace: ns,
        prune: (raw) => {
          seen.push(raw)
          return Predicate.isObject(raw) ? { ...raw, data: {} } : raw
        }
      })
      assert.strictEqual(seen.length, names.length)
      assert.deepStrictEqual(
        pruned.items.map((s) => Object.keys(s.data ?? {}).length),
        names.map(() => 0)
      )
    })
  )

  it.effect("streams a list as a watch: each object an event, then a bookmark at the list's version", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const ns = yield* freshNamespace("streamed")
      const created = yield* Effect.forEach(["a", "b", "c"], (name) => client.create(Teams, exampleTeam(ns, name)))
      const events = yield* Stream.runCollect(
        client
          .watch(Teams, { namespace: ns, resourceVersion: "", sendInitialEvents: true, timeoutSeconds: 5 })
          .pipe(Stream.take(4))
      )
      assert.deepStrictEqual(
        events.slice(0, 3).map((e) => (e.type === "ADDED" ? e.object.metadata.name : e.type)),
        ["a", "b", "c"]
      )
      const end = events[3]
      assert.strictEqual(end?.type, "BOOKMARK")
      if (end?.type === "BOOKMARK") {
        // A bookmark's object has no name: its version is read all the same (a watch resumes from it).
        assert.isAtLeast(Number(end.resourceVersion), Number(created[2]?.metadata.resourceVersion))
        assert.isTrue(end.initialEventsEnd)
      }
    })
  )

  it.effect("writes status through the status subresource with a merge patch", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const ns = yield* freshNamespace("status")
      const team = yield* client.create(Teams, exampleTeam(ns, "alpha"))
      const key = { namespace: ns, name: "alpha" }

      const first = { teamID: "t-1", spend: "1.5", conditions: [ready(team.metadata.generation)] }
      const patched = yield* client.patchStatus(Teams, key, first)
      assert.deepStrictEqual(patched.status, first)
      // Status writes do not touch the spec or bump the generation.
      assert.strictEqual(patched.metadata.generation, team.metadata.generation)
      assert.deepStrictEqual(patched.spec, team.spec)

      // A field the new status dropped is cleared when the previous status is given.
      const second = { teamID: "t-1", conditions: [ready(team.metadata.generation)] }
      const cleared = yield* client.patchStatus(Teams, key, second, { previous: first })
      assert.deepStrictEqual(cleared.status, second)

      // With a resourceVersion precondition, a stale writer gets Conflict.
      const stale = yield* Effect.flip(
        client.patchStatus(Teams, key, first, { resourceVersion: patched.metadata.resourceVersion })
      )
      assert.strictEqual(stale.reason._tag, "Conflict")

      // The spec cannot be changed through /status.
      const reread = yield* client.get(Teams, key)
      assert.deepStrictEqual(reread.spec, team.spec)
    })
  )

  it.effect("adds and removes finalizers without losing a concurrent writer's", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const ns = yield* freshNamespace("finalizers")
      const cached: TeamResource = yield* client.create(Teams, exampleTeam(ns, "alpha"))
      const key = { namespace: ns, name: "alpha" }

      // Another controller adds its finalizer after our cache was filled.
      yield* client.mergePatch(Teams, key, { metadata: { finalizers: ["other.example.com/cleanup"] } })
      // Our add starts from the stale cached object: 409, re-read, retry.
      const added = yield* client.addFinalizer(Teams, cached, ours)
      assert.deepStrictEqual(added.metadata.finalizers, ["other.example.com/cleanup", ours])
      // Adding again writes nothing.
      const again = yield* client.addFinalizer(Teams, key, ours)
      assert.strictEqual(again.metadata.resourceVersion, added.metadata.resourceVersion)

      // Eight writers at once, each adding its own: every one survives.
      const names = Array.from({ length: 8 }, (_, i) => `writer-${i}.example.com/f`)
      yield* Effect.forEach(names, (f) => client.addFinalizer(Teams, key, f), {
        concurrency: "unbounded",
        discard: true
      })
      const all = yield* client.get(Teams, key)
      for (const f of [...names, ours, "other.example.com/cleanup"]) assert.include(all.metadata.finalizers ?? [], f)

      // Removing from a stale object keeps the others.
      const removed = yield* client.removeFinalizer(Teams, added, ours)
      assert.isTrue(Option.isSome(removed))
      const after = yield* client.get(Teams, key)
      assert.notInclude(after.metadata.finalizers ?? [], ours)
      assert.strictEqual(after.metadata.finalizers?.length, names.length + 1)

      // Deleted while finalizers remain: it stays, marked; once the last goes, it is gone.
      yield* client.delete(Teams, key)
      const deleting = yield* client.get(Teams, key)
      assert.isDefined(deleting.metadata.deletionTimestamp)
      for (const f of [...names, "other.example.com/cleanup"]) yield* client.removeFinalizer(Teams, key, f)
      const gone = yield* Effect.flip(client.get(Teams, key))
      assert.strictEqual(gone.reason._tag, "NotFound")
      // Removing from an object that is gone is not an error.
      assert.isTrue(Option.isNone(yield* client.removeFinalizer(Teams, key, ours)))
    })
  )

  it.effect("writes an owned Secret idempotently and reads it back as Redacted", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const ns = yield* freshNamespace("secret")
      const owner = yield* client.create(Teams, exampleTeam(ns, "alpha"))
      const ownerRef = {
        apiVersion: owner.apiVersion,
        kind: owner.kind,
        name: owner.metadata.name,
        uid: owner.metadata.uid
      }
      const value = "sk-this-must-never-be-printed"
      const desired = {
        namespace: ns,
        name: "alpha-key",
        owner: ownerRef,
        labels: { "app.kubernetes.io/managed-by": "litellm-operator" },
        data: { key: Redacted.make(value), url: Redacted.make("http://litellm:4000") }
      }
      const created = yield* client.applyOwnedSecret(desired)
      assert.deepStrictEqual(created.metadata.ownerReferences, [
        { ...ownerRef, controller: true, blockOwnerDeletion: true }
      ])
      assert.strictEqual(created.metadata.labels?.["app.kubernetes.io/managed-by"], "litellm-operator")

      // The same request again writes nothing.
      const same = yield* client.applyOwnedSecret(desired)
      assert.strictEqual(same.metadata.resourceVersion, created.metadata.resourceVersion)

      // Changed data is written.
      const rotated = yield* client.applyOwnedSecret({
        ...desired,
        data: { ...desired.data, key: Redacted.make("sk-rotated-value") }
      })
      assert.notStrictEqual(rotated.metadata.resourceVersion, created.metadata.resourceVersion)

      // An update is a merge patch: what someone else put on the Secret stays.
      const others = yield* client.mergePatch(
        Secrets,
        { namespace: ns, name: "alpha-key" },
        {
          metadata: { labels: { "other-tool": "a" }, annotations: { "other-tool/note": "b" } },
          data: { "ca.crt": Buffer.from("not the operator's").toString("base64") }
        }
      )
      const rotatedAgain = yield* client.applyOwnedSecret({
        ...desired,
        data: { ...desired.data, key: Redacted.make("sk-rotated-value") }
      })
      assert.strictEqual(rotatedAgain.metadata.resourceVersion, others.metadata.resourceVersion, "nothing to write")
      yield* client.applyOwnedSecret({ ...desired, data: { ...desired.data, key: Redacted.make("sk-third-value") } })
      const kept = yield* client.readSecret({ namespace: ns, name: "alpha-key" })
      assert.strictEqual(kept.metadata.labels?.["other-tool"], "a")
      assert.strictEqual(kept.metadata.annotations?.["other-tool/note"], "b")
      assert.strictEqual(Redacted.value(kept.data?.["ca.crt"] ?? Redacted.make("")), "not the operator's")
      // Decided from a stale version (a cache behind): the patch's precondition refuses it.
      const stale = yield* Effect.flip(
        client.applyOwnedSecret(
          { ...desired, data: { ...desired.data, key: Redacted.make("sk-fourth-value") } },
          { current: Option.some(others) }
        )
      )
      assert.strictEqual(stale.reason._tag, "Conflict")
      yield* client.applyOwnedSecret({ ...desired, data: { ...desired.data, key: Redacted.make("sk-rotated-value") } })

      const read = yield* client.readSecret({ namespace: ns, name: "alpha-key" })
      const key = read.data?.key
      assert.isTrue(key !== undefined && Redacted.isRedacted(key))
      assert.strictEqual(key === undefined ? undefined : Redacted.value(key), "sk-rotated-value")
      // Printing the object shows no value.
      assert.notInclude(JSON.stringify(read), "sk-rotated-value")
      assert.notInclude(String(key), "sk-rotated-value")

      // Found by label.
      const listed = yield* client.list(Secrets, {
        namespace: ns,
        labelSelector: "app.kubernetes.io/managed-by=litellm-operator"
      })
      assert.deepStrictEqual(
        listed.items.map((s) => s.metadata.name),
        ["alpha-key"]
      )

      // A Secret of that name owned by someone else is left alone.
      yield* client.applyOwnedSecret({ ...desired, name: "foreign", owner: { ...ownerRef, uid: "someone-else" } })
      const refused = yield* Effect.flip(client.applyOwnedSecret({ ...desired, name: "foreign" }))
      assert.strictEqual(refused.reason._tag, "Conflict")

      // An invalid Secret fails without echoing its data.
      const invalid = yield* Effect.result(
        client.applyOwnedSecret({ ...desired, name: "bad", data: { "not a valid key!": Redacted.make(value) } })
      )
      assert.isTrue(Result.isFailure(invalid))
      if (Result.isFailure(invalid)) {
        assert.strictEqual(invalid.failure.reason._tag, "Invalid")
        assert.notInclude(invalid.failure.message, value)
        assert.notInclude(JSON.stringify(invalid.failure), value)
      }
    })
  )
})
