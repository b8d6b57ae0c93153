/**
 * A persistent leftist heap of (due time, key) entries, ordered by due time and
 * then key, so the work queue finds its next due key in O(1) and inserts and
 * removes the earliest in O(log n) while every state stays an immutable value.
 * (effect 4.1 ships no sorted persistent collection.)
 */

export interface DueEntry {
  readonly due: number
  readonly key: string
}

interface Node {
  readonly entry: DueEntry
  /** Length of the rightmost path; the left child's is never shorter. */
  readonly rank: number
  readonly left: DueHeap
  readonly right: DueHeap
}

export type DueHeap = Node | undefined

export const emptyHeap: DueHeap = undefined

const before = (a: DueEntry, b: DueEntry): boolean => a.due < b.due || (a.due === b.due && a.key < b.key)

const rankOf = (h: DueHeap): number => (h === undefined ? 0 : h.rank)

const node = (entry: DueEntry, a: DueHeap, b: DueHeap): Node =>
  rankOf(a) >= rankOf(b)
    ? { entry, rank: rankOf(b) + 1, left: a, right: b }
    : { entry, rank: rankOf(a) + 1, left: b, right: a }

/** Merges along the right spines, which are O(log n) long. */
export const merge = (a: DueHeap, b: DueHeap): DueHeap => {
  if (a === undefined) return b
  if (b === undefined) return a
  return before(b.entry, a.entry) ? node(b.entry, b.left, merge(b.right, a)) : node(a.entry, a.left, merge(a.right, b))
}

export const insert = (h: DueHeap, entry: DueEntry): DueHeap => merge(h, node(entry, undefined, undefined))

/** The earliest entry. */
export const peek = (h: DueHeap): DueEntry | undefined => h?.entry

/** The heap without its earliest entry. */
export const pop = (h: DueHeap): DueHeap => (h === undefined ? undefined : merge(h.left, h.right))

/** Builds a heap from entries in O(n) by merging pairs level by level. */
export const fromEntries = (entries: Iterable<DueEntry>): DueHeap => {
  let level: Array<DueHeap> = []
  for (const entry of entries) level.push(node(entry, undefined, undefined))
  if (level.length === 0) return undefined
  while (level.length > 1) {
    const next: Array<DueHeap> = []
    for (let i = 0; i < level.length; i += 2) next.push(merge(level[i], level[i + 1]))
    level = next
  }
  return level[0]
}
