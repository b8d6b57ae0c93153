/** events.k8s.io/v1 Event, as the recorder writes it. */
import { Schema } from "effect"
import { ObjectMeta } from "./ObjectMeta.ts"
import type { ResourceType } from "./ResourceType.ts"

const opt = Schema.optionalKey

export const ObjectReference = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  name: opt(Schema.String),
  namespace: opt(Schema.String),
  uid: opt(Schema.String),
  resourceVersion: opt(Schema.String),
  fieldPath: opt(Schema.String)
})
export type ObjectReference = typeof ObjectReference.Type

export const EventSeries = Schema.Struct({
  count: Schema.Int,
  /** MicroTime. */
  lastObservedTime: Schema.String
})
export type EventSeries = typeof EventSeries.Type

export const EventType = Schema.Literals(["Normal", "Warning"])
export type EventType = typeof EventType.Type

export const Event = Schema.Struct({
  apiVersion: Schema.Literal("events.k8s.io/v1"),
  kind: Schema.Literal("Event"),
  metadata: ObjectMeta,
  /** MicroTime. */
  eventTime: opt(Schema.NullOr(Schema.String)),
  series: opt(EventSeries),
  reportingController: opt(Schema.String),
  reportingInstance: opt(Schema.String),
  action: opt(Schema.String),
  reason: opt(Schema.String),
  note: opt(Schema.String),
  type: opt(Schema.String),
  regarding: opt(ObjectReference),
  related: opt(ObjectReference)
})
export type Event = typeof Event.Type

export const Events: ResourceType<Event, typeof Event.Encoded> = {
  group: "events.k8s.io",
  version: "v1",
  kind: "Event",
  plural: "events",
  schema: Event
}
