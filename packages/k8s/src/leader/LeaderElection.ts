/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's timing
 * semantics (tools/leaderelection):
 *
 * - A candidate takes the lease only when its holder has not renewed it for
 *   `leaseDuration`, measured on the candidate's own clock from the moment it
 *   last saw the lease record change: clock skew between replicas does not
 *   matter, and the remote `renewTime` is never compared with the local time.
 * - The leader renews every `retryPeriod`; if it cannot renew within
 *   `renewDeadline`, it stops leading and signals `leadershipLost` (the
 *   process should then stop its controllers and exit, as client-go's users do).
 * - On shutdown (the layer's scope closing) the leader releases the lease —
 *   holder cleared, duration 1 s — so a successor need not wait.
 * - Requires leaseDuration > renewDeadline > 1.2 × retryPeriod.
 */
import { Clock, Context, Deferred, Duration, Effect, Layer, Option, Random, Ref, Schedule, Schema } from "effect"
import type { Lease, LeaseSpec } from "../api/Lease.ts"
import { Leases } from "../api/Lease.ts"
import { microTime } from "../api/MicroTime.ts"
import { KubeClient } from "../client/KubeClient.ts"

export interface LeaderElectionOptions {
  readonly namespace: string
  /** The Lease's name, e.g. `litellm-operator`. */
  readonly name: string
  /** This candidate, unique among replicas (pod name plus a random suffix). */
  readonly identity: string
  /** Default 15 s. */
  readonly leaseDuration?: Duration.Input
  /** Default 10 s. */
  readonly renewDeadline?: Duration.Input
  /** Default 2 s. */
  readonly retryPeriod?: Duration.Input
  /** Clear the lease when the scope closes. Default true. */
  readonly releaseOnCancel?: boolean
}

const JITTER = 1.2

const Timing = Schema.Struct({
  leaseMillis: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1000)),
  renewMillis: Schema.Int.check(Schema.isGreaterThan(0)),
  retryMillis: Schema.Int.check(Schema.isGreaterThan(0))
}).check(
  Schema.makeFilter(
    (t: { readonly leaseMillis: number; readonly renewMillis: number; readonly retryMillis: number }) =>
      t.leaseMillis <= t.renewMillis
        ? "leaseDuration must be greater than renewDeadline"
        : t.renewMillis <= JITTER * t.retryMillis
          ? "renewDeadline must be greater than 1.2 × retryPeriod"
          : undefined
  )
)

const Identity = Schema.Struct({
  namespace: Schema.NonEmptyString,
  name: Schema.NonEmptyString,
  identity: Schema.NonEmptyString
})

export class LeaderElectionConfigError extends Schema.TaggedError<LeaderElectionConfigError>()(
  "LeaderElectionConfigError",
  { message: Schema.String }
) {}

export class LeaderElection extends Context.Service<
  LeaderElection,
  {
    readonly identity: string
    readonly isLeader: Effect.Effect<boolean>
    /** Completes once this candidate leads. */
    readonly awaitLeadership: Effect.Effect<void>
    /** Completes when leadership, once held, is lost because renewal failed past the deadline. */
    readonly leadershipLost: Effect.Effect<void>
  }
>()("litellm-operator/k8s/LeaderElection") {
  /** Starts campaigning when built; the election runs, and the lease is released, with the layer's scope. */
  static readonly layer = (options: LeaderElectionOptions) =>
    Layer.effect(
      LeaderElection,
      Effect.gen(function* () {
        return yield* make(yield* KubeClient, options)
      })
    )
}

const millis = (input: Duration.Input) => Math.round(Duration.toMillis(Duration.fromInputUnsafe(input)))

const make = Effect.fnUntraced(function* (client: KubeClient["Service"], options: LeaderElectionOptions) {
  const invalid = (message: string) => new LeaderElectionConfigError({ message })
  const { namespace, name, identity } = yield* Schema.decodeUnknownEffect(Identity)(options).pipe(
    Effect.mapError((e) => invalid(e.message))
  )
  const timing = yield* Schema.decodeUnknownEffect(Timing)({
    leaseMillis: millis(options.leaseDuration ?? Duration.seconds(15)),
    renewMillis: millis(options.renewDeadline ?? Duration.seconds(10)),
    retryMillis: millis(options.retryPeriod ?? Duration.seconds(2))
  }).pipe(Effect.mapError((e) => invalid(e.message)))
  const leaseSeconds = Math.ceil(timing.leaseMillis / 1000)
  const key = { namespace, name }

  const leading = yield* Ref.make(false)
  const acquired = yield* Deferred.make<void>()
  const lost = yield* Deferred.make<void>()
  // What this candidate last saw in the lease, and when (its own clock).
  let observed: { readonly record: string; readonly at: number } | undefined

  const record = (spec: LeaseSpec | undefined) =>
    JSON.stringify([
      spec?.holderIdentity ?? "",
      spec?.leaseDurationSeconds ?? 0,
      spec?.acquireTime ?? "",
      spec?.renewTime ?? "",
      spec?.leaseTransitions ?? 0
    ])

  /** One attempt to take or keep the lease; false when someone else holds it or a write lost a race. */
  const tryAcquireOrRenew = Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const current = yield* client.get(Leases, key).pipe(
      Effect.map(Option.some),
      Effect.catchReason("KubeError", "NotFound", () => Effect.succeed(Option.none<Lease>()))
    )
    if (Option.isNone(current)) {
      const spec: LeaseSpec = {
        holderIdentity: identity,
        leaseDurationSeconds: leaseSeconds,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0
      }
      yield* client.create(Leases, { metadata: key, spec })
      observed = { record: record(spec), at: now }
      return true
    }
    const lease = current.value
    const seen = record(lease.spec)
    if (observed === undefined || observed.record !== seen) observed = { record: seen, at: now }
    const holder = lease.spec?.holderIdentity ?? ""
    const duration = (lease.spec?.leaseDurationSeconds ?? leaseSeconds) * 1000
    if (holder !== "" && holder !== identity && observed.at + duration > now) return false
    const mine = holder === identity
    const spec: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: leaseSeconds,
      acquireTime: mine ? (lease.spec?.acquireTime ?? microTime(now)) : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + (mine ? 0 : 1)
    }
    yield* client.replace(Leases, { ...lease, spec })
    observed = { record: record(spec), at: now }
    return true
  }).pipe(
    Effect.catchTag("KubeError", (error) =>
      Effect.as(Effect.logDebug(`lease ${namespace}/${name}: ${error.message}`), false)
    )
  )

  const jitteredRetry = Effect.flatMap(Random.nextBetween(timing.retryMillis, timing.retryMillis * JITTER), (ms) =>
    Effect.sleep(Duration.millis(ms))
  )

  const acquire = Effect.gen(function* () {
    while (!(yield* tryAcquireOrRenew)) yield* jitteredRetry
    yield* Ref.set(leading, true)
    yield* Deferred.succeed(acquired, undefined)
    yield* Effect.logInfo(`${identity} leads (lease ${namespace}/${name})`)
  })

  /** Tries every retryPeriod until renewed; None when renewDeadline passed first. */
  const renewWithinDeadline = tryAcquireOrRenew.pipe(
    Effect.flatMap((ok) => (ok ? Effect.void : Effect.fail("not renewed" as const))),
    Effect.retry(Schedule.spaced(Duration.millis(timing.retryMillis))),
    Effect.timeoutOption(Duration.millis(timing.renewMillis))
  )

  const renew = Effect.gen(function* () {
    while (true) {
      yield* Effect.sleep(Duration.millis(timing.retryMillis))
      if (Option.isNone(yield* renewWithinDeadline)) {
        yield* Ref.set(leading, false)
        yield* Deferred.succeed(lost, undefined)
        return yield* Effect.logError(
          `${identity} lost the lease ${namespace}/${name}: not renewed within the deadline`
        )
      }
    }
  })

  const release = Effect.gen(function* () {
    if (!(yield* Ref.get(leading))) return
    yield* Ref.set(leading, false)
    const lease = yield* client.get(Leases, key)
    if (lease.spec?.holderIdentity !== identity) return
    const now = microTime(yield* Clock.currentTimeMillis)
    yield* client.replace(Leases, {
      ...lease,
      spec: {
        holderIdentity: "",
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: lease.spec?.leaseTransitions ?? 0
      }
    })
    yield* Effect.logInfo(`${identity} released the lease ${namespace}/${name}`)
  }).pipe(
    Effect.timeout(Duration.millis(timing.renewMillis)),
    Effect.catchCause((cause) => Effect.logWarning("the lease could not be released", cause))
  )

  // Registered before the election fiber, so on shutdown that fiber stops first, then the lease is released.
  if (options.releaseOnCancel !== false) yield* Effect.addFinalizer(() => release)
  yield* Effect.forkScoped(Effect.andThen(acquire, renew))

  return LeaderElection.of({
    identity,
    isLeader: Ref.get(leading),
    awaitLeadership: Deferred.await(acquired),
    leadershipLost: Deferred.await(lost)
  })
})
