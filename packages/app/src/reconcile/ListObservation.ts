/**
 * A LiteLLM client whose reads by id (`keyInfo`, `userInfo`, `teamInfo`) are
 * answered from whole-list snapshots when the core's rules allow it
 * (`decideRead` in @litellm-operator/core): in a steady state a resync wave
 * over N objects costs about N/100 page reads instead of N reads. Every write
 * (`execute`) marks the objects it touches, so they are read by id until the
 * next list; a delete that cascades drops the snapshots it may have made wrong.
 * A snapshot is let go as soon as it is stale (a timer), not at the next read.
 *
 * Keys come from `/key/list`, users from `/user/list`, teams with their
 * membership rows from the legacy `/team/list` (the only list that carries
 * them, in one call).
 */
import type { ListObservationSettings, ListObservationState, LiteLLMAction } from "@litellm-operator/core"
import {
  decideRead,
  dropSnapshot,
  emptyListObservation,
  expireSnapshot,
  isFresh,
  jsonCopy,
  objectsWrittenBy,
  recordList,
  recordListFailure,
  recordReadOne,
  recordServed,
  recordWrite,
  staleAt
} from "@litellm-operator/core"
import type { LiteLLMClient, LiteLLMError } from "@litellm-operator/litellm"
import { tokenOfKeyOrToken } from "@litellm-operator/litellm"
import { Clock, Duration, Effect, Option, Ref, Semaphore, Stream } from "effect"

type Client = LiteLLMClient["Service"]

export interface ObservedKind<A> {
  readonly read: (id: string) => Effect.Effect<Option.Option<A>, LiteLLMError>
  readonly written: (id: string) => Effect.Effect<void>
  readonly drop: Effect.Effect<void>
  /** Rows the snapshot holds now (0 when none is held). */
  readonly held: Effect.Effect<number>
}

/** One kind's list-based reads; exported for its tests. */
export const observeKind = Effect.fnUntraced(function* <A>(options: {
  readonly name: string
  readonly settings: ListObservationSettings
  /** The whole list, one page (one list call) at a time: only the rows asked about are kept of each. */
  readonly pages: Stream.Stream<ReadonlyArray<A>, LiteLLMError>
  readonly idOf: (item: A) => string
  readonly readOne: (id: string) => Effect.Effect<Option.Option<A>, LiteLLMError>
}) {
  const { settings } = options
  const state = yield* Ref.make<ListObservationState<A>>(emptyListObservation<A>())
  const listing = yield* Semaphore.make(1)
  // A list keeps only the objects asked about lately (the operator's own, 1.5 resync periods with the
  // default max age): a LiteLLM shared with others may hold far more, and memory should not follow it.
  const lastAsked = new Map<string, number>()
  const interestWindow = 3 * settings.maxAge
  const forgetAskedBefore = (at: number) => {
    for (const [id, asked] of lastAsked) if (asked < at - interestWindow) lastAsked.delete(id)
  }

  // A snapshot's rows (about 1.5 KB per object) are let go as soon as it is stale, not at the next read a
  // resync period later: between waves the operator holds no rows. The core decides; this only wakes it.
  const expireLater = (until: number) =>
    Effect.forkDetach(
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        yield* Effect.sleep(Duration.millis(Math.max(0, until - now)))
        const at = yield* Clock.currentTimeMillis
        forgetAskedBefore(at)
        yield* Ref.update(state, (s) => expireSnapshot(s, at, settings))
      })
    )

  // One list at a time; a read that finds one under way waits for it only if the core says it is worth it.
  const list = Effect.gen(function* () {
    const takenAt = yield* Clock.currentTimeMillis
    if (isFresh(yield* Ref.get(state), takenAt, settings)) return
    yield* Effect.sync(() => forgetAskedBefore(takenAt)).pipe(
      // Page by page: a LiteLLM holding tens of thousands of rows is never all in memory at once, decoded.
      Effect.andThen(
        Stream.runFold(
          options.pages,
          (): { pages: number; kept: Array<A> } => ({ pages: 0, kept: [] }),
          (listed, page) => {
            listed.pages++
            // Rows are plain JSON data; laid out as parsed, a key row takes about 1.5 KB less than as decoded.
            for (const item of page) if (lastAsked.has(options.idOf(item))) listed.kept.push(jsonCopy(item))
            return listed
          }
        )
      ),
      Effect.flatMap(({ pages, kept }) =>
        Ref.updateAndGet(state, (s) => recordList(s, { takenAt, pages, items: kept }, options.idOf))
      ),
      Effect.flatMap((s) => {
        const until = staleAt(s, settings)
        return until === undefined ? Effect.void : expireLater(until)
      }),
      Effect.catch((error) =>
        Effect.andThen(
          Ref.update(state, recordListFailure),
          Effect.logWarning(`listing ${options.name} failed; reading them one by one`, error.message)
        )
      )
    )
  })
  const refresh = (wait: boolean) =>
    wait ? listing.withPermits(1)(list) : Effect.asVoid(listing.withPermitsIfAvailable(1)(list))

  const read = (id: string) =>
    Effect.gen(function* () {
      const asked = yield* Clock.currentTimeMillis
      lastAsked.set(id, asked)
      let decision = decideRead(yield* Ref.get(state), id, asked, settings)
      if (decision._tag === "Refresh") {
        yield* refresh(decision.worthWaiting)
        decision = decideRead(yield* Ref.get(state), id, yield* Clock.currentTimeMillis, settings)
      }
      if (decision._tag === "FromSnapshot") {
        yield* Ref.update(state, recordServed)
        return Option.some(decision.value)
      }
      const now = yield* Clock.currentTimeMillis
      yield* Ref.update(state, (s) => recordReadOne(s, id, now, settings))
      return yield* options.readOne(id)
    })

  const written = (id: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.update(state, (s) => recordWrite(s, id, now)))

  const drop = Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.update(state, (s) => dropSnapshot(s, now)))

  const held = Effect.map(Ref.get(state), (s) => s.snapshot?.byId.size ?? 0)

  return { read, written, drop, held } satisfies ObservedKind<A>
})

/** `client` with list-based reads; `settings.maxAge` is in milliseconds. */
export const withListObservation = Effect.fnUntraced(function* (client: Client, settings: ListObservationSettings) {
  const keys = yield* observeKind({
    name: "keys",
    settings,
    pages: client.keyPages(),
    idOf: (key) => key.token,
    readOne: client.keyInfo
  })
  const users = yield* observeKind({
    name: "users",
    settings,
    pages: client.userPages(),
    idOf: (user) => user.user_id,
    readOne: client.userInfo
  })
  const teams = yield* observeKind({
    name: "teams",
    settings,
    // The legacy list has no pages: one answer holds every team.
    pages: Stream.fromEffect(client.teamListWithMemberships()),
    idOf: (team) => team.team_id,
    readOne: client.teamInfo
  })

  const mark = (action: LiteLLMAction) => {
    const touched = objectsWrittenBy(action)
    return Effect.all(
      [
        Effect.forEach(touched.teams, teams.written),
        Effect.forEach(touched.users, users.written),
        Effect.forEach(touched.keys, keys.written),
        touched.cascades ? Effect.all([keys.drop, users.drop, teams.drop]) : Effect.void
      ],
      { discard: true }
    )
  }

  return {
    ...client,
    keyInfo: (keyOrToken) => keys.read(tokenOfKeyOrToken(keyOrToken)),
    userInfo: users.read,
    teamInfo: teams.read,
    // Marked before (a list that begins meanwhile may or may not see it) and after (it has).
    execute: (action) => Effect.ensuring(Effect.andThen(mark(action), client.execute(action)), mark(action))
  } satisfies Client
})
