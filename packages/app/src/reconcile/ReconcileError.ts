/**
 * Why a reconcile could not finish, beyond LiteLLM's and Kubernetes' own
 * errors. Each maps to the Ready condition's reason.
 */
import { Schema } from "effect"

/** The connection Secret is missing, incomplete, or refuses this namespace. */
export class ConnectionUnavailable extends Schema.TaggedError<ConnectionUnavailable>()("ConnectionUnavailable", {
  message: Schema.String
}) {}

/**
 * Something this object depends on (a team, a user) does not exist yet. `watched`: what it waits for
 * is an object of its namespace, whose changes wake it, so it waits without retrying; otherwise (a team
 * or user looked for in LiteLLM) it is retried with backoff.
 */
export class DependencyNotReady extends Schema.TaggedError<DependencyNotReady>()("DependencyNotReady", {
  message: Schema.String,
  watched: Schema.Boolean
}) {}

/** A team alias or user email matches more than one object; the operator does not guess. */
export class AmbiguousReference extends Schema.TaggedError<AmbiguousReference>()("AmbiguousReference", {
  message: Schema.String
}) {}

/** A Secret the operator must write exists and belongs to something else. */
export class SecretConflict extends Schema.TaggedError<SecretConflict>()("SecretConflict", {
  message: Schema.String
}) {}

/**
 * The LiteLLM object the spec names belongs to another object, or exists and
 * may not be adopted (decision 9). Nothing is written to it.
 */
export class OwnershipRefused extends Schema.TaggedError<OwnershipRefused>()("OwnershipRefused", {
  reason: Schema.Literals(["OwnershipConflict", "AdoptionNotAllowed"]),
  message: Schema.String
}) {}

/** The connection's policy does not allow what the spec asks (a role, a team or user outside the namespace). */
export class PolicyDenied extends Schema.TaggedError<PolicyDenied>()("PolicyDenied", {
  message: Schema.String
}) {}

/** An `auth.litellm.ai/` annotation of the object holds a value the operator does not take (a deletion policy it does not know). */
export class InvalidAnnotation extends Schema.TaggedError<InvalidAnnotation>()("InvalidAnnotation", {
  message: Schema.String
}) {}

/** The Secret that `spec.keySecretRef` names is missing, lacks the key, or holds no valid key value. */
export class KeySecretUnusable extends Schema.TaggedError<KeySecretUnusable>()("KeySecretUnusable", {
  message: Schema.String
}) {}

/**
 * A VirtualKey adopts a key by token (`auth.litellm.ai/adopt-token`) that is
 * not a token, or that LiteLLM does not have: with no value known, the
 * operator cannot make that key again.
 */
export class AdoptedKeyUnusable extends Schema.TaggedError<AdoptedKeyUnusable>()("AdoptedKeyUnusable", {
  message: Schema.String
}) {}
