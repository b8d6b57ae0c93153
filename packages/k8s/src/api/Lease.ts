/** coordination.k8s.io/v1 Lease, the lock leader election is built on. */
import { Schema } from "effect"
import { ObjectMeta } from "./ObjectMeta.ts"
import type { ResourceType } from "./ResourceType.ts"

const opt = Schema.optionalKey

export const LeaseSpec = Schema.Struct({
  holderIdentity: opt(Schema.NullOr(Schema.String)),
  leaseDurationSeconds: opt(Schema.Int),
  /** MicroTime (RFC 3339 with six fractional digits). */
  acquireTime: opt(Schema.NullOr(Schema.String)),
  renewTime: opt(Schema.NullOr(Schema.String)),
  leaseTransitions: opt(Schema.Int)
})
export type LeaseSpec = typeof LeaseSpec.Type

export const Lease = Schema.Struct({
  apiVersion: Schema.Literal("coordination.k8s.io/v1"),
  kind: Schema.Literal("Lease"),
  metadata: ObjectMeta,
  spec: opt(LeaseSpec)
})
export type Lease = typeof Lease.Type

export const Leases: ResourceType<Lease, typeof Lease.Encoded> = {
  group: "coordination.k8s.io",
  version: "v1",
  kind: "Lease",
  plural: "leases",
  schema: Lease
}
