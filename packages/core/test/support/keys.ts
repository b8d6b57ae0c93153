/** Test-side key material: the operator's adapter does the same with node:crypto. */
import { createHash } from "node:crypto"
import { Redacted } from "effect"

export const tokenOf = (raw: string): string => createHash("sha256").update(raw).digest("hex")

export interface KeyMaterial {
  readonly key: Redacted.Redacted<string>
  readonly token: string
}

export const keyMaterial = (raw: string): KeyMaterial => ({ key: Redacted.make(raw), token: tokenOf(raw) })
