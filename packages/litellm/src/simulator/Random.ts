/**
 * The simulator's randomness: ids, generated keys and fault dice. Seeded, so a
 * run with the same seed and the same requests answers the same way.
 */
import { randomInt } from "node:crypto"

export interface Rng {
  /** A float in [0, 1). */
  next(): number
}

/** mulberry32: small, fast, good enough for ids and dice. */
export const seeded = (seed: number): Rng => {
  let state = seed >>> 0
  return {
    next() {
      state = (state + 0x6d2b79f5) >>> 0
      let t = state
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
  }
}

/** Unseeded runs still use a PRNG, seeded from the OS once. */
export const randomSeed = (): number => randomInt(0, 2 ** 31)

const HEX = "0123456789abcdef"
const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

const pick = (rng: Rng, alphabet: string): string => alphabet[Math.floor(rng.next() * alphabet.length)] ?? "0"

/** A version-4 UUID, as LiteLLM makes for omitted team and user ids. */
export const uuid4 = (rng: Rng): string => {
  const hex = Array.from({ length: 32 }, () => pick(rng, HEX))
  hex[12] = "4"
  hex[16] = HEX[(Number.parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8] ?? "8"
  const s = hex.join("")
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`
}

/** `sk-` + 22 URL-safe characters, like Python's `token_urlsafe(16)`. */
export const rawKey = (rng: Rng): string => `sk-${Array.from({ length: 22 }, () => pick(rng, URL_SAFE)).join("")}`
