/** A persistent first-in first-out queue (two lists), so every queue state is an immutable value. */

type List<A> = { readonly head: A; readonly tail: List<A> } | undefined

export interface Fifo<A> {
  readonly front: List<A>
  readonly back: List<A>
  readonly size: number
}

export const emptyFifo = <A>(): Fifo<A> => ({ front: undefined, back: undefined, size: 0 })

export const push = <A>(fifo: Fifo<A>, value: A): Fifo<A> => ({
  front: fifo.front,
  back: { head: value, tail: fifo.back },
  size: fifo.size + 1
})

const reverse = <A>(list: List<A>): List<A> => {
  let out: List<A>
  for (let node = list; node !== undefined; node = node.tail) out = { head: node.head, tail: out }
  return out
}

/** The first value and the rest, or undefined when empty. */
export const pop = <A>(fifo: Fifo<A>): readonly [A, Fifo<A>] | undefined => {
  const front = fifo.front ?? reverse(fifo.back)
  if (front === undefined) return undefined
  return [
    front.head,
    { front: front.tail, back: fifo.front === undefined ? undefined : fifo.back, size: fifo.size - 1 }
  ]
}

export const toArray = <A>(fifo: Fifo<A>): ReadonlyArray<A> => {
  const out: Array<A> = []
  for (let node = fifo.front; node !== undefined; node = node.tail) out.push(node.head)
  const back: Array<A> = []
  for (let node = fifo.back; node !== undefined; node = node.tail) back.push(node.head)
  return [...out, ...back.reverse()]
}
