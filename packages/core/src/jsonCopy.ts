/**
 * A copy of decoded data laid out as `JSON.parse` lays it out, for what is
 * kept in memory for long (informer caches, list snapshots). A schema decodes
 * by adding one field at a time, which leaves V8 objects with spare room, and
 * an object of more than about 16 fields (a LiteLLM key row) in dictionary
 * mode: 1.5 KB more per row than the same data parsed (BENCHMARKS.md, "Where
 * the memory goes").
 *
 * Only for plain JSON data (strings, numbers, booleans, null, arrays, plain
 * objects): the schemas of the four kinds and of LiteLLM's rows decode to
 * nothing else (their tests compare the copy with the original). Never for a
 * Secret: a `Redacted` value does not survive it.
 */
export const jsonCopy = <A>(value: A): A => JSON.parse(JSON.stringify(value))
