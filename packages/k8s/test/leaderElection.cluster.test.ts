/**
 * Leader election between real candidates on a real Lease: exactly one leads;
 * when the leader stops renewing, the other takes over after the lease
 * duration (not before); a released lease is taken at once; a leader that
 * cannot renew within the deadline says so.
 */
import { assert, layer } from "@effect/vitest"
import { Clock, Context, Effect, Exit, Layer, Scope } from "effect"
import type { LeaderElectionOptions } from "../src/index.ts"
import { KubeClient, LeaderElection, Leases } from "../src/index.ts"
import { ClusterLive, freshNamespace } from "./support/cluster.ts"

const timing = { leaseDuration: "2 seconds", renewDeadline: "1500 millis", retryPeriod: "300 millis" } as const

/** Builds a candidate in its own scope, so the test can stop it like a crashed or exiting replica. */
const candidate = Effect.fnUntraced(function* (options: LeaderElectionOptions) {
  const scope = yield* Scope.make()
  const context = yield* Layer.buildWithScope(LeaderElection.layer(options), scope)
  return { election: Context.get(context, LeaderElection), stop: Scope.close(scope, Exit.void) }
})

const leaders = (all: ReadonlyArray<LeaderElection["Service"]>) =>
  Effect.map(
    Effect.forEach(all, (c) => c.isLeader),
    (flags) => all.filter((_, i) => flags[i]).map((c) => c.identity)
  )

layer(ClusterLive, { excludeTestServices: true })("LeaderElection", (it) => {
  it.effect("exactly one of two candidates leads; the other takes over after the lease duration", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const namespace = yield* freshNamespace("leader")
      const base = { namespace, name: "litellm-operator", ...timing, releaseOnCancel: false }
      const a = yield* candidate({ ...base, identity: "a" })
      const b = yield* candidate({ ...base, identity: "b" })
      yield* Effect.raceFirst(a.election.awaitLeadership, b.election.awaitLeadership)

      // For three seconds (longer than a lease), exactly one leads, and the Lease names it.
      for (let i = 0; i < 15; i++) {
        const now = yield* leaders([a.election, b.election])
        assert.strictEqual(now.length, 1, `leaders: ${JSON.stringify(now)}`)
        const lease = yield* client.get(Leases, { namespace, name: "litellm-operator" })
        assert.strictEqual(lease.spec?.holderIdentity, now[0])
        yield* Effect.sleep("200 millis")
      }
      const [first] = yield* leaders([a.election, b.election])
      const leader = first === "a" ? a : b
      const follower = first === "a" ? b : a

      // The leader stops without releasing (a crash): the follower waits out the lease, then takes over.
      const stopped = yield* Clock.currentTimeMillis
      yield* leader.stop
      yield* Effect.sleep("1 second")
      assert.isFalse(yield* follower.election.isLeader, "took over before the lease expired")
      yield* follower.election.awaitLeadership
      const tookOver = (yield* Clock.currentTimeMillis) - stopped
      assert.isBelow(tookOver, 2000 + 1000, `took over after ${tookOver} ms`)
      const lease = yield* client.get(Leases, { namespace, name: "litellm-operator" })
      assert.strictEqual(lease.spec?.holderIdentity, follower.election.identity)
      assert.strictEqual(lease.spec?.leaseTransitions, 1)
      assert.match(lease.spec?.renewTime ?? "", /\.\d{6}Z$/)
      yield* follower.stop
    })
  )

  it.effect("a leader that shuts down releases the lease, so the next one need not wait", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const namespace = yield* freshNamespace("release")
      const base: Omit<LeaderElectionOptions, "identity"> = {
        namespace,
        name: "litellm-operator",
        leaseDuration: "10 seconds",
        renewDeadline: "5 seconds",
        retryPeriod: "200 millis"
      }
      const a = yield* candidate({ ...base, identity: "a" })
      yield* a.election.awaitLeadership
      const b = yield* candidate({ ...base, identity: "b" })
      yield* Effect.sleep("500 millis")
      assert.isFalse(yield* b.election.isLeader)
      const stopped = yield* Clock.currentTimeMillis
      yield* a.stop
      const released = yield* client.get(Leases, { namespace, name: "litellm-operator" })
      assert.strictEqual(released.spec?.holderIdentity ?? "", "")
      assert.strictEqual(released.spec?.leaseDurationSeconds, 1)
      yield* b.election.awaitLeadership
      assert.isBelow((yield* Clock.currentTimeMillis) - stopped, 2000, "far sooner than the 10 s lease")
      yield* b.stop
    })
  )

  it.effect("signals lost leadership when it cannot renew within the deadline", () =>
    Effect.gen(function* () {
      const client = yield* KubeClient
      const namespace = yield* freshNamespace("lost")
      const a = yield* candidate({ namespace, name: "litellm-operator", identity: "a", ...timing })
      yield* a.election.awaitLeadership
      // Someone else overwrites the lease with a long one: every renewal now finds a live foreign holder.
      const lease = yield* client.get(Leases, { namespace, name: "litellm-operator" })
      yield* client.replace(Leases, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: "intruder", leaseDurationSeconds: 60 }
      })
      const since = yield* Clock.currentTimeMillis
      yield* a.election.leadershipLost
      const after = (yield* Clock.currentTimeMillis) - since
      assert.isFalse(yield* a.election.isLeader)
      assert.isBelow(after, 300 * 1.2 + 1500 + 1000, `lost after ${after} ms`)
      // It does not clear someone else's lease on the way out.
      yield* a.stop
      const still = yield* client.get(Leases, { namespace, name: "litellm-operator" })
      assert.strictEqual(still.spec?.holderIdentity, "intruder")
    })
  )

  it.effect("refuses timings that break leaseDuration > renewDeadline > 1.2 × retryPeriod", () =>
    Effect.gen(function* () {
      const bad = yield* Effect.flip(
        candidate({ namespace: "x", name: "y", identity: "a", leaseDuration: "2 seconds", renewDeadline: "2 seconds" })
      )
      assert.strictEqual(bad._tag, "LeaderElectionConfigError")
      assert.include(bad.message, "leaseDuration must be greater than renewDeadline")
    })
  )
})
