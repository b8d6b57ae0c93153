/** fast-check arbitraries for the field shapes shared by the kinds. */
import fc from "fast-check"
import type { ConnectionRef } from "../api/ConnectionRef.ts"
import type { DurationUnit } from "../api/Duration.ts"
import { durationSpellings, durationUnits } from "../api/Duration.ts"

/** A short lowercase name, valid as a Kubernetes name and a LiteLLM id. */
export const nameArb: fc.Arbitrary<string> = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}[a-z0-9]$/)

/** A budget string in its canonical form: whole or with up to two decimals. */
export const canonicalBudgetArb: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 0, max: 100_000 }), fc.option(fc.integer({ min: 0, max: 99 }), { nil: undefined }))
  .map(([whole, cents]) => (cents === undefined ? `${whole}` : `${whole}.${String(cents).padStart(2, "0")}`))

/** A budget string as a spec may spell it: canonical, or as Go's float parser read it ("1e3", "+5", "5.", ".5"). */
export const budgetArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: canonicalBudgetArb, weight: 3 },
  fc.integer({ min: 0, max: 100_000 }).map((n) => `${n / 100}e2`),
  fc.integer({ min: 0, max: 100_000 }).map((n) => `+${n}.`),
  fc.integer({ min: 0, max: 99 }).map((n) => `.${String(n).padStart(2, "0")}`),
  fc.integer({ min: 1, max: 9 }).map((n) => `${n}E+3`)
)

/** A unit as a spec may spell it ("m", "min", "minutes"). */
const unitSpelling = (units: ReadonlyArray<DurationUnit>) =>
  fc.constantFrom(...units).chain((u) => fc.constantFrom(...durationSpellings[u]))

/** A duration string LiteLLM accepts, in any spelling the API accepts. */
export const durationArb: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 1000 }), unitSpelling(durationUnits))
  .map(([amount, unit]) => `${amount}${unit}`)

/** A budget reset period (months only as one month). */
export const budgetDurationArb: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 1000 }), unitSpelling(["s", "m", "h", "d", "w"])).map(([n, u]) => `${n}${u}`),
  fc.constantFrom(...durationSpellings.mo).map((u) => `1${u}`)
)

export const limitArb: fc.Arbitrary<number> = fc.integer({ min: 0, max: 1_000_000 })

export const modelListArb: fc.Arbitrary<ReadonlyArray<string>> = fc.uniqueArray(
  fc.constantFrom("gpt-4o", "gpt-4o-mini", "claude-sonnet", "llama-3", "all-team-models", "mistral"),
  { maxLength: 4 }
)

export const stringMapArb: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.stringMatching(/^[a-z][a-z_]{0,8}$/),
  fc.string({ maxLength: 12 }),
  { maxKeys: 4 }
)

export const stringListArb: fc.Arbitrary<ReadonlyArray<string>> = fc.uniqueArray(nameArb, { maxLength: 3 })

export const connectionRefArb: fc.Arbitrary<ConnectionRef> = fc.oneof(
  nameArb.map((name): ConnectionRef => ({ secretRef: { name } })),
  fc
    .record({ name: nameArb, masterKey: nameArb, url: nameArb })
    .map(({ name, masterKey, url }): ConnectionRef => ({ secretRef: { name, keys: { masterKey, url } } })),
  fc
    .tuple(nameArb, fc.option(nameArb, { nil: undefined }))
    .map(
      ([name, namespace]): ConnectionRef => ({ instanceRef: namespace === undefined ? { name } : { name, namespace } })
    )
)
