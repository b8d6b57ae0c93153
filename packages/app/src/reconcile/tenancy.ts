/**
 * Decision 9 in the reconcile path: before any write, an object must own the
 * LiteLLM object it names (the owner marker, core's `decideOwnership`), and
 * what it references must be allowed by its connection's policy (core's
 * `checkReference`, `checkUserRole`). The checks run against the informer
 * caches and what the sync already read, so they cost no extra call.
 */
import type { ReferenceInput, RoleVerdict } from "@litellm-operator/core"
import { checkReferences, decideOwnership, ownerOf } from "@litellm-operator/core"
import { Effect, Option } from "effect"
import type { SyncContext } from "./KindHandler.ts"
import { NamespaceObjects } from "./NamespaceObjects.ts"
import type { ReconcileFailure } from "./outcomeOf.ts"
import { DependencyNotReady, OwnershipRefused, PolicyDenied } from "./ReconcileError.ts"

/** What a sync does with the LiteLLM object it observed. */
export type GuardVerdict =
  | { readonly _tag: "Proceed"; readonly adopted: boolean }
  /** Deleting, and the object is not this one's to delete: nothing is written, the finalizer goes. */
  | { readonly _tag: "Skip"; readonly message: string }

/**
 * Hooks a sync calls between observing and planning, and before its first
 * write; the handlers build them from the object, the sync functions stay
 * about LiteLLM alone.
 */
export interface SyncGuard<O, E = never, R = never> {
  readonly check: (observed: O) => Effect.Effect<GuardVerdict, E, R>
  readonly beforeWrite: Effect.Effect<void, E, R>
}

/** A guard as the handlers build them: any failure of a reconcile, the services reconciles have. */
export const guardOf = <O>(
  guard: SyncGuard<O, ReconcileFailure, NamespaceObjects>
): SyncGuard<O, ReconcileFailure, NamespaceObjects> => guard

export const proceed: GuardVerdict = { _tag: "Proceed", adopted: false }

/**
 * Whether the object may write to (or delete) the LiteLLM object it observed.
 * On deletion a refusal becomes Skip: the object never owned it, so nothing
 * is deleted, and its finalizer may go.
 */
export const ownership = Effect.fnUntraced(function* (
  context: Pick<SyncContext<never>, "self" | "adoptRequested" | "connection" | "lifecycle">,
  input: {
    readonly what: string
    readonly exists: boolean
    readonly metadata: { readonly [key: string]: unknown } | null | undefined
    readonly recorded: boolean
  }
) {
  const objects = yield* NamespaceObjects
  const marked = ownerOf(input.metadata)
  const gone =
    Option.isSome(marked) &&
    marked.value.uid !== context.self.uid &&
    marked.value.installation === context.self.installation
      ? yield* objects.ownerGone(marked.value)
      : false
  const decision = decideOwnership({
    self: context.self,
    what: input.what,
    exists: input.exists,
    metadata: input.metadata,
    recorded: input.recorded,
    adoptRequested: context.adoptRequested,
    adoptionAllowed: context.connection.policy.allowAdoption,
    connectionSecret: context.connection.secret,
    ownerGone: () => gone
  })
  switch (decision._tag) {
    case "Absent":
      return proceed
    case "Owned":
      return { _tag: "Proceed", adopted: decision.adopted } satisfies GuardVerdict
    case "OwnedElsewhere":
    case "AdoptionRefused":
      if (context.lifecycle.deleting) {
        return { _tag: "Skip", message: `${decision.message}; it was left in LiteLLM` } satisfies GuardVerdict
      }
      return yield* new OwnershipRefused({
        reason: decision._tag === "OwnedElsewhere" ? "OwnershipConflict" : "AdoptionNotAllowed",
        message: decision.message
      })
  }
})

/** Fails when a reference is denied (PolicyDenied) or waits on an object of the namespace (DependencyNotReady). */
export const requireReferences = Effect.fnUntraced(function* (inputs: ReadonlyArray<ReferenceInput>) {
  const verdict = checkReferences(inputs)
  switch (verdict._tag) {
    case "Allowed":
      return verdict.foreign
    case "Waiting":
      return yield* new DependencyNotReady({ message: verdict.message, watched: true })
    case "Denied":
      return yield* new PolicyDenied({ message: verdict.message })
  }
})

export const requireRole = (verdict: RoleVerdict): Effect.Effect<void, PolicyDenied> =>
  verdict._tag === "Allowed" ? Effect.void : Effect.fail(new PolicyDenied({ message: verdict.message }))
