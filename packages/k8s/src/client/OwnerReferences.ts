/** Owner references (controller-runtime's controllerutil): who an object belongs to, read and written one way. */
import type { KubeObject, OwnerReference } from "../api/ObjectMeta.ts"

/** The object that owns another, as an owner reference needs it. */
export interface Owner {
  readonly apiVersion: string
  readonly kind: string
  readonly name: string
  readonly uid: string
}

/** The owner reference that makes `owner` the controller of an object: deleting the owner deletes the object. */
export const controllerReference = (owner: Owner): OwnerReference => ({
  apiVersion: owner.apiVersion,
  kind: owner.kind,
  name: owner.name,
  uid: owner.uid,
  controller: true,
  blockOwnerDeletion: true
})

/** Whether any owner reference of the object names `uid`. */
export const isOwnedBy = (object: KubeObject, uid: string): boolean =>
  (object.metadata.ownerReferences ?? []).some((ref) => ref.uid === uid)

/** The object's controller owner reference, if it has one. */
export const controllerOf = (object: KubeObject): OwnerReference | undefined =>
  object.metadata.ownerReferences?.find((ref) => ref.controller === true)
