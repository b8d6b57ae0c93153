/**
 * Key material read from the SecretCache, against the real API server, with
 * the cache's watch cut off so that it lags: a key already stored is never
 * replaced by a second value, a key just written is what the next reconcile
 * sees, and a cache that is up to date costs no API-server read at all.
 */
import { assert, layer } from "@effect/vitest"
import type { Secret } from "@litellm-operator/k8s"
import { KubeClient, SecretCache, Teams } from "@litellm-operator/k8s"
import { Effect, Layer, Option, Random, Redacted, Ref, Schedule, Schema } from "effect"
import { inject } from "vitest"
import { makeWatchFaults } from "../../k8s/test/support/watchFaults.ts"
import {
  ensureKeyMaterial,
  keySecretFields,
  keySecretName,
  managedByLabel,
  managedByValue,
  tokenOfKey as tokenOf
} from "../src/reconcile/keyMaterial.ts"
import { createNamespace } from "./support/population.ts"

const Cluster = Layer.suspend(() => KubeClient.layerFromFile(inject("kubeconfig")))

class NotYet extends Schema.TaggedError<NotYet>()("NotYet", { what: Schema.String }) {}
const eventually = <A, E, R>(what: string, read: Effect.Effect<A, E, R>, check: (a: A) => boolean) =>
  read.pipe(
    Effect.flatMap((a) => (check(a) ? Effect.succeed(a) : Effect.fail(new NotYet({ what })))),
    Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 400 }),
    Effect.orDie
  )

const keyIn = (secret: Secret | Option.Option<Secret>) => {
  const s = Option.isOption(secret) ? Option.getOrUndefined(secret) : secret
  const key = s?.data?.key
  return key === undefined ? undefined : Redacted.value(key)
}

layer(Cluster, { excludeTestServices: true })("ensureKeyMaterial with a cache", (it) => {
  it.effect(
    "never mints a second value when the cache lags, and reads nothing from the API server when it does not",
    () =>
      Effect.gen(function* () {
        const real = yield* KubeClient
        const suffix = (yield* Random.nextIntBetween(0, 0xffffff)).toString(16)
        const namespace = yield* createNamespace(`keys-${suffix}`)
        const team = yield* real.create(Teams, {
          metadata: { namespace, name: "owner" },
          spec: { connectionRef: { secretRef: { name: "litellm" } }, teamAlias: "owner" }
        })
        const owner = {
          apiVersion: team.apiVersion,
          kind: team.kind,
          name: team.metadata.name,
          namespace,
          uid: team.metadata.uid
        }
        const where = { namespace, name: keySecretName("owner") }

        // The cache watches through a client whose watches can be cut; the key code reads through one that counts.
        const faults = yield* makeWatchFaults
        const cache = yield* SecretCache.make({
          namespace,
          ownedLabel: { key: managedByLabel, value: managedByValue },
          ownedFields: keySecretFields
        }).pipe(Effect.provideService(KubeClient, faults.client))
        yield* cache.synced
        const reads = yield* Ref.make(0)
        const counting = KubeClient.of({
          ...real,
          get: (type, key) =>
            Effect.andThen(
              Ref.update(reads, (n) => n + 1),
              real.get(type, key)
            )
        })
        const ensure = (replace: boolean) =>
          ensureKeyMaterial({ owner, specKey: undefined, url: "http://litellm.test", replace }).pipe(
            Effect.provideService(SecretCache, cache),
            Effect.provideService(KubeClient, counting)
          )

        // 1. Another writer (a previous leader) stored a key the lagging cache has not seen: it is kept.
        yield* faults.partition
        yield* real.applyOwnedSecret({
          namespace,
          name: where.name,
          owner: { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid },
          labels: { [managedByLabel]: managedByValue, "auth.litellm.ai/owner-kind": "Team" },
          data: { key: Redacted.make("sk-stored-before"), url: Redacted.make("http://litellm.test") }
        })
        assert.isTrue(Option.isNone(yield* cache.owned(where)), "the cache lags")
        const kept = yield* ensure(false)
        assert.strictEqual(Redacted.value(kept.key), "sk-stored-before")
        assert.strictEqual(kept.token, tokenOf(Redacted.make("sk-stored-before")))
        assert.strictEqual(keyIn(yield* real.readSecret(where)), "sk-stored-before")

        // 2. The cache catches up and holds that key; then, cut off again, a replacement is written.
        yield* faults.heal()
        yield* eventually("the cache has the key", cache.owned(where), (s) => keyIn(s) === "sk-stored-before")
        yield* faults.partition
        const replaced = yield* ensure(true)
        assert.notStrictEqual(Redacted.value(replaced.key), "sk-stored-before")
        assert.isAtLeast((yield* cache.stats).unconfirmedWrites, 1, "the watch has not seen the replacement")
        // The next reconcile, with the watch still behind, uses the replacement, not the old key or a third.
        const next = yield* ensure(false)
        assert.strictEqual(next.token, replaced.token)
        assert.strictEqual(keyIn(yield* real.readSecret(where)), Redacted.value(replaced.key))

        // 3. Caught up: a reconcile reads nothing from the API server and writes nothing.
        yield* faults.heal()
        yield* eventually("the cache caught up", cache.stats, (s) => s.unconfirmedWrites === 0)
        const version = (yield* real.readSecret(where)).metadata.resourceVersion
        yield* Ref.set(reads, 0)
        const steady = yield* ensure(false)
        assert.strictEqual(steady.token, replaced.token)
        assert.strictEqual(yield* Ref.get(reads), 0)
        assert.strictEqual((yield* real.readSecret(where)).metadata.resourceVersion, version)
      })
  )
})
