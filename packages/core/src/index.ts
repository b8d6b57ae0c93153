/**
 * The pure core of the LiteLLM operator: the API schemas of the four kinds,
 * the LiteLLM objects as observed, `plan*` (what to call to converge),
 * `*Status` (the CR status from what was observed and what happened), and the
 * work-queue state machine. No I/O: what it needs from the world comes in as
 * arguments. Arbitraries for property tests live in `@litellm-operator/core/arbitraries`.
 */

// API: auth.litellm.ai/v1alpha1
export * from "./api/Budget.ts"
export * from "./api/Condition.ts"
export * from "./api/ConnectionRef.ts"
export * from "./api/Duration.ts"
export * from "./api/Primitives.ts"
export * from "./api/Team.ts"
export * from "./api/TeamMemberAssociation.ts"
export * from "./api/User.ts"
export * from "./api/VirtualKey.ts"

// Where each object's LiteLLM connection comes from
export * from "./connection/Connection.ts"

// Decoded data laid out compactly, for what stays in memory; JSON text to a value, before its schema
export * from "./jsonCopy.ts"
// LiteLLM objects as the client decodes them
export * from "./litellm/Json.ts"
export * from "./litellm/ObservedKey.ts"
export * from "./litellm/ObservedMembership.ts"
export * from "./litellm/ObservedTeam.ts"
export * from "./litellm/ObservedUser.ts"
// Metrics and traces: series tagged once, spans only when kept
export * from "./metrics/clientSpan.ts"
export * from "./metrics/metricSeries.ts"
export * from "./metrics/spanIfTraced.ts"
// List-based observation of LiteLLM
export * from "./observation/ListSnapshot.ts"
export * from "./observation/objectsWrittenBy.ts"
export * from "./parseJson.ts"
// Plans
export * from "./plan/Action.ts"
export * from "./plan/Deletion.ts"
export type { FieldRule, LastApplied, Observation } from "./plan/FieldRule.ts"
export * from "./plan/Identity.ts"
export * from "./plan/planKey.ts"
export * from "./plan/planMembership.ts"
export * from "./plan/planTeam.ts"
export * from "./plan/planUser.ts"
export * from "./plan/resolveExact.ts"
export { wireEquals } from "./plan/wireEquals.ts"
// Work queue
export * from "./queue/Backoff.ts"
export * as WorkQueue from "./queue/WorkQueue.ts"
export * from "./ReferenceIndex.ts"
// Retries: the schedule set up only after a failure
export * from "./retry/retryAfterFailure.ts"
// Status
export * from "./status/keyStatus.ts"
export * from "./status/lastApplied.ts"
export * from "./status/membershipStatus.ts"
export * from "./status/Ready.ts"
export { sameStatus } from "./status/sameStatus.ts"
export * from "./status/teamStatus.ts"
export * from "./status/userStatus.ts"
// Tenancy: owner markers, connection policy, references past the namespace
export * from "./tenancy/ConnectionPolicy.ts"
export * from "./tenancy/Ownership.ts"
export * from "./tenancy/References.ts"
