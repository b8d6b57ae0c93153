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
import { Clock, Duration, Effect, Option, Semaphore, Stream } from "effect"

type Client = LiteLLMClient["Service"]

export interface ObservedKind<A> {
  readonly read: (id: string) => Effect.Effect<Option.Option<A>, LiteLLMError>
  /** These objects were just written (at `now`): read by id until the next list. Synchronous: it runs around every write. */
  readonly markWritten: (ids: ReadonlyArray<string>, now: number) => void
  /** A write may have changed what the snapshot holds (a cascade): let it go. */
  readonly dropSnapshot: (now: number) => void
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
  // Changed in synchronous steps only (the core's pure transitions); read by the reads.
  let state: ListObservationState<A> = emptyListObservation<A>()
  const clock = yield* Effect.clockWith(Effect.succeed)
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
        state = expireSnapshot(state, at, settings)
      })
    )

  // One list at a time; a read that finds one under way waits for it only if the core says it is worth it.
  const list = Effect.gen(function* () {
    const takenAt = yield* Clock.currentTimeMillis
    if (isFresh(state, takenAt, settings)) return
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
      Effect.flatMap(({ pages, kept }) => {
        state = recordList(state, { takenAt, pages, items: kept }, options.idOf)
        const until = staleAt(state, settings)
        return until === undefined ? Effect.void : expireLater(until)
      }),
      Effect.catch((error) =>
        Effect.andThen(
          Effect.sync(() => {
            state = recordListFailure(state)
          }),
          Effect.logWarning(`listing ${options.name} failed; reading them one by one`, error.message)
        )
      )
    )
  })
  const refresh = (wait: boolean) =>
    wait ? listing.withPermits(1)(list) : Effect.asVoid(listing.withPermitsIfAvailable(1)(list))

  const read = (id: string) =>
    Effect.gen(function* () {
      const asked = clock.currentTimeMillisUnsafe()
      lastAsked.set(id, asked)
      let decision = decideRead(state, id, asked, settings)
      if (decision._tag === "Refresh") {
        yield* refresh(decision.worthWaiting)
        decision = decideRead(state, id, clock.currentTimeMillisUnsafe(), settings)
      }
      if (decision._tag === "FromSnapshot") {
        state = recordServed(state)
        return Option.some(decision.value)
      }
      state = recordReadOne(state, id, clock.currentTimeMillisUnsafe(), settings)
      return yield* options.readOne(id)
    })

  const markWritten = (ids: ReadonlyArray<string>, now: number) => {
    for (const id of ids) state = recordWrite(state, id, now)
  }
  const dropNow = (now: number) => {
    state = dropSnapshot(state, now)
  }
  const held = Effect.sync(() => state.snapshot?.byId.size ?? 0)

  return { read, markWritten, dropSnapshot: dropNow, held } satisfies ObservedKind<A>
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

  const clock = yield* Effect.clockWith(Effect.succeed)
  const mark = (action: LiteLLMAction) =>
    Effect.sync(() => {
      const touched = objectsWrittenBy(action)
      const now = clock.currentTimeMillisUnsafe()
      teams.markWritten(touched.teams, now)
      users.markWritten(touched.users, now)
      keys.markWritten(touched.keys, now)
      if (touched.cascades) {
        keys.dropSnapshot(now)
        users.dropSnapshot(now)
        teams.dropSnapshot(now)
      }
    })

  return {
    ...client,
    keyInfo: (keyOrToken) => keys.read(tokenOfKeyOrToken(keyOrToken)),
    userInfo: users.read,
    teamInfo: teams.read,
    // Marked before (a list that begins meanwhile may or may not see it) and after (it has).
    execute: (action) => Effect.ensuring(Effect.andThen(mark(action), client.execute(action)), mark(action))
  } satisfies Client
})
