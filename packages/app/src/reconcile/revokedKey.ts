/**
 * A key the operator had minted and recorded (its token is in the status)
 * that LiteLLM no longer has was deleted behind the operator's back — most
 * likely revoked. Minting it again with the same value would bring a revoked
 * key back to life, so a new value is chosen, stored, and minted instead.
 * A key that was never recorded is minted with the stored value: that is the
 * crash-recovery path of decision 1.
 */
import type { ObservedKey } from "@litellm-operator/core"
import type { LiteLLMClient } from "@litellm-operator/litellm"
import { Effect, Option } from "effect"
import type { KeyMaterial } from "./keyMaterial.ts"

export const readOrReplaceKey = Effect.fnUntraced(function* <R, E>(options: {
  readonly client: LiteLLMClient["Service"]
  readonly material: KeyMaterial & { readonly secretName: string; readonly fresh: boolean }
  readonly recordedToken: string | undefined
  /** Writes a fresh key value to the Secret and returns it. */
  readonly replace: Effect.Effect<KeyMaterial & { readonly secretName: string; readonly fresh: boolean }, E, R>
}) {
  // A value generated this very reconcile (192 random bits, stored first) cannot be in LiteLLM yet: no read.
  const current: Option.Option<ObservedKey> = options.material.fresh
    ? Option.none()
    : yield* options.client.keyInfo(options.material.token)
  if (Option.isSome(current) || options.recordedToken !== options.material.token) {
    return { material: options.material, current, replaced: false }
  }
  const material = yield* options.replace
  return { material, current: Option.none<ObservedKey>(), replaced: true }
})
