/**
 * Finding a team by alias or a user by email: LiteLLM's list filters match
 * substrings and aliases are not unique, so the operator filters exactly and
 * refuses to guess between several matches.
 */

export type Resolution<A> =
  | { readonly _tag: "Found"; readonly value: A }
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "Ambiguous"; readonly count: number }

/** The single candidate whose key equals `wanted` exactly (after `normalize`), if there is exactly one. */
export const resolveExact = <A>(
  candidates: ReadonlyArray<A>,
  keyOf: (a: A) => string | null | undefined,
  wanted: string,
  normalize: (s: string) => string = (s) => s
): Resolution<A> => {
  const target = normalize(wanted)
  const matches = candidates.filter((c) => {
    const key = keyOf(c)
    return key !== null && key !== undefined && normalize(key) === target
  })
  const [first] = matches
  if (first === undefined) return { _tag: "NotFound" }
  if (matches.length > 1) return { _tag: "Ambiguous", count: matches.length }
  return { _tag: "Found", value: first }
}

/** Emails compare case-insensitively and trimmed, as LiteLLM's own duplicate check does. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase()
