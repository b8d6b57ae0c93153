/**
 * A key the operator had minted and recorded (its token is in the status)
 * that LiteLLM no longer has was deleted behind the operator's back — most
 * likely revoked. Minting it again with the same value would bring a revoked
 * key back to life, so a new value is chosen, stored, and minted instead.
 * A key that was never recorded is minted with the stored value: that is the
 * crash-recovery path of decision 1.
 *
 * Returns the material to use and the key LiteLLM holds under it (read
 * here, so the sync observes it without a second call).
 */
import type { ObservedKey } from "@litellm-operator/core"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import { Effect } from "effect"
import type { KeyMaterial } from "./keyMaterial.ts"
import { readKey } from "./syncKey.ts"

export const readOrReplaceKey = Effect.fnUntraced(function* <R, E>(options: {
  readonly client: LiteLLMClient["Service"]
  readonly material: KeyMaterial & { readonly secretName: string; readonly fresh: boolean }
  readonly recordedToken: string | undefined
  /** Writes a fresh key value to the Secret and returns it. */
  readonly replace: Effect.Effect<KeyMaterial & { readonly secretName: string; readonly fresh: boolean }, E, R>
}) {
  // A value generated this very reconcile (192 random bits, stored first) cannot be in LiteLLM yet: no read.
  const key: ObservedKey | undefined = options.material.fresh
    ? undefined
    : yield* readKey(options.client, options.material.token)
  if (key !== undefined || options.recordedToken !== options.material.token) {
    return { material: options.material, key, replaced: false }
  }
  // The key LiteLLM holds under the new value: none, it was chosen just now.
  return { material: yield* options.replace, key: undefined, replaced: true }
})
