/**
 * Scrubbing secrets out of text LiteLLM sends back. Some LiteLLM messages echo
 * the key they were given (`User Key=<key>`), so every message that reaches an
 * error, a log line or a span goes through `scrub` first.
 */
import { Redacted } from "effect"

/** Anything shaped like a LiteLLM raw key: `sk-` followed by URL-safe characters. */
const KEY_SHAPED = /sk-[A-Za-z0-9_\-.~+/=]{2,}/g

export const REDACTED = "<redacted>"

/** `text` with every known secret and every `sk-…` string replaced by `<redacted>`. */
export const scrub = (text: string, secrets: ReadonlyArray<Redacted.Redacted<string>> = []): string => {
  let out = text
  for (const secret of secrets) {
    const value = Redacted.value(secret)
    // Very short values would blank out ordinary words; LiteLLM keys are long.
    if (value.length >= 4) out = out.split(value).join(REDACTED)
  }
  return out.replace(KEY_SHAPED, REDACTED)
}
