/**
 * The four custom kinds as whole objects: an envelope (type meta, metadata)
 * around the core spec and status schemas, plus where each lives in the API.
 */
import {
  TeamMemberAssociationSpec,
  TeamMemberAssociationStatus,
  TeamSpec,
  TeamStatus,
  UserSpec,
  UserStatus,
  VirtualKeySpec,
  VirtualKeyStatus
} from "@litellm-operator/core"
import { Schema } from "effect"
import type { KindDefinition } from "../crd/kinds.ts"
import {
  apiVersion,
  group,
  teamKind,
  teamMemberAssociationKind,
  userKind,
  version,
  virtualKeyKind
} from "../crd/kinds.ts"
import { ObjectMeta } from "./ObjectMeta.ts"
import type { ResourceType } from "./ResourceType.ts"

/** Metadata of a custom object: the server always sets `generation`. */
export const CustomResourceMeta = Schema.Struct({ ...ObjectMeta.fields, generation: Schema.Int })

/**
 * The four kinds' envelopes (type meta, metadata, spec, optional status)
 * around a metadata schema: the API server's objects here, manifests as
 * written elsewhere (`plan` reads them with only a name required).
 */
export const kindSchemas = <M extends Schema.Top>(metadata: M) => {
  const envelope = <const K extends string, Spec extends Schema.Top, St extends Schema.Top>(
    kind: K,
    spec: Spec,
    status: St
  ) =>
    Schema.Struct({
      apiVersion: Schema.Literal(apiVersion),
      kind: Schema.Literal(kind),
      metadata,
      spec,
      status: Schema.optionalKey(status)
    })
  return {
    Team: envelope("Team", TeamSpec, TeamStatus),
    User: envelope("User", UserSpec, UserStatus),
    VirtualKey: envelope("VirtualKey", VirtualKeySpec, VirtualKeyStatus),
    TeamMemberAssociation: envelope("TeamMemberAssociation", TeamMemberAssociationSpec, TeamMemberAssociationStatus)
  }
}

const resources = kindSchemas(CustomResourceMeta)
export const TeamResource = resources.Team
export type TeamResource = typeof TeamResource.Type
export const UserResource = resources.User
export type UserResource = typeof UserResource.Type
export const VirtualKeyResource = resources.VirtualKey
export type VirtualKeyResource = typeof VirtualKeyResource.Type
export const TeamMemberAssociationResource = resources.TeamMemberAssociation
export type TeamMemberAssociationResource = typeof TeamMemberAssociationResource.Type

/** A custom kind: a resource whose status is written through the status subresource. */
export interface CustomResourceType<A extends CustomObject<St>, St, I = unknown> extends ResourceType<A, I> {
  readonly status: Schema.Codec<St, unknown>
}

/** What every custom object has: metadata with a generation, and an optional status. */
export interface CustomObject<St> {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: typeof CustomResourceMeta.Type
  readonly status?: St
}

const resourceType = <A extends CustomObject<St>, I, St>(
  def: KindDefinition,
  schema: Schema.Codec<A, I>,
  status: Schema.Codec<St, unknown>
): CustomResourceType<A, St, I> => ({ group, version, kind: def.kind, plural: def.plural, schema, status })

export const Teams = resourceType(teamKind, TeamResource, TeamStatus)
export const Users = resourceType(userKind, UserResource, UserStatus)
export const VirtualKeys = resourceType(virtualKeyKind, VirtualKeyResource, VirtualKeyStatus)
export const TeamMemberAssociations = resourceType(
  teamMemberAssociationKind,
  TeamMemberAssociationResource,
  TeamMemberAssociationStatus
)
