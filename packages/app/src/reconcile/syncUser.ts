/** User: the user, its memberships from `spec.teams`, and its own key, in one plan. */
import type { LastApplied, ObservedKey, ObservedUser, UserDesired } from "@litellm-operator/core"
import { planUser, spanIfTraced } from "@litellm-operator/core"
import type { LiteLLMClient, LiteLLMError } from "@litellm-operator/litellm"
import { Effect, Option } from "effect"
import { readKey, readKeyAfter } from "./syncKey.ts"
import { syncLiteLLM } from "./syncLiteLLM.ts"
import type { SyncGuard } from "./tenancy.ts"

/** What the guard of a user sync sees: the user, and its own key. */
export interface ObservedUserAndKey {
  readonly user: ObservedUser | undefined
  readonly key: ObservedKey | undefined
}

export const syncUser = <E = never, R = never>(
  client: LiteLLMClient["Service"],
  desired: UserDesired,
  options: {
    readonly lastApplied: LastApplied
    readonly previousToken: string | undefined
    /** How the user's key is first observed, when the caller has read it already; by its token otherwise. */
    readonly observeKey?: Effect.Effect<ObservedKey | undefined, LiteLLMError>
    readonly guard?: SyncGuard<ObservedUserAndKey, E, R>
  }
) => {
  const desiredToken = desired.key?.token
  const read = (key: Effect.Effect<ObservedKey | undefined, LiteLLMError>) =>
    Effect.all({ user: Effect.map(client.userInfo(desired.userId), Option.getOrUndefined), key })
  return syncLiteLLM(
    client,
    {
      kind: "User",
      deleting: desired.deleting,
      observe: read(options.observeKey ?? readKey(client, desiredToken)),
      // The user is read again (a `/user/new` answer never shows its teams); its new key need not be.
      readBack: (written) => read(readKeyAfter(client, written, desiredToken)),
      plan: ({ user, key }, adopting) =>
        Effect.map(
          readKey(client, options.previousToken === desiredToken ? undefined : options.previousToken),
          (previousKey) => planUser(desired, { user, key, previousKey, lastApplied: options.lastApplied, adopting })
        )
    },
    options.guard
  ).pipe(
    Effect.map(({ plan, observed, verdict }) => ({ plan, user: observed.user, key: observed.key, verdict })),
    spanIfTraced("syncUser")
  )
}
