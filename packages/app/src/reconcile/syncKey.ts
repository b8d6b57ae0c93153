/**
 * VirtualKey: the key found by its token (and the key the object had before,
 * if the key value changed, read only when planning).
 */
import type { KeyDesired, LastApplied, ObservedKey } from "@litellm-operator/core"
import { objectsWrittenBy, planKey, spanIfTraced } from "@litellm-operator/core"
import type { LiteLLMClient, LiteLLMError } from "@litellm-operator/litellm"
import { Effect, Option } from "effect"
import type { Written } from "./syncLiteLLM.ts"
import { syncLiteLLM } from "./syncLiteLLM.ts"
import type { SyncGuard } from "./tenancy.ts"

/** The key LiteLLM holds under `token`; none for no token. */
export const readKey = (
  client: LiteLLMClient["Service"],
  token: string | undefined
): Effect.Effect<ObservedKey | undefined, LiteLLMError> =>
  token === undefined ? Effect.succeed(undefined) : Effect.map(client.keyInfo(token), Option.getOrUndefined)

/**
 * The key under `token` after the plan's calls: as the last call that wrote
 * it answered, when that answer shows it as a read would (a new key), so the
 * key is not read right after it was made; read otherwise.
 */
export const readKeyAfter = (
  client: LiteLLMClient["Service"],
  written: ReadonlyArray<Written>,
  token: string | undefined
): Effect.Effect<ObservedKey | undefined, LiteLLMError> => {
  const last = written.findLast(({ action }) => token !== undefined && objectsWrittenBy(action).keys.includes(token))
  const answered = last?.answer.key
  return answered !== undefined && answered.token === token ? Effect.succeed(answered) : readKey(client, token)
}

export const syncKey = <E = never, R = never>(
  client: LiteLLMClient["Service"],
  desired: KeyDesired,
  options: {
    readonly lastApplied: LastApplied
    readonly previousToken: string | undefined
    /** How the key is first observed, when the caller has read it already; by its token otherwise. */
    readonly observe?: Effect.Effect<ObservedKey | undefined, LiteLLMError>
    readonly guard?: SyncGuard<ObservedKey | undefined, E, R>
  }
) =>
  syncLiteLLM(
    client,
    {
      kind: "VirtualKey",
      deleting: desired.deleting,
      observe: options.observe ?? readKey(client, desired.token),
      readBack: (written) => readKeyAfter(client, written, desired.token),
      plan: (current, adopting) =>
        Effect.map(
          readKey(client, options.previousToken === desired.token ? undefined : options.previousToken),
          (previous) => planKey(desired, { current, previous, lastApplied: options.lastApplied, adopting })
        )
    },
    options.guard
  ).pipe(
    Effect.map(({ plan, observed, verdict }) => ({ plan, key: observed, verdict })),
    spanIfTraced("syncKey")
  )
