import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import fc from "fast-check"
import type { ConnectionPolicy, DeclaredObject, OwnerRef, OwnershipInput } from "../src/index.ts"
import {
  checkReference,
  checkUserRole,
  connectionPolicyFrom,
  decideOwnership,
  defaultConnectionPolicy,
  ownerMarker,
  ownerMetadataKey,
  ownerOf,
  userRoles,
  withOwnerMarker
} from "../src/index.ts"

const runs = { numRuns: 300 }

const self: OwnerRef = { installation: "prod", namespace: "team-a", kind: "Team", name: "search", uid: "uid-self" }

const input = (overrides: Partial<OwnershipInput> = {}): OwnershipInput => ({
  self,
  what: 'team "t-1"',
  exists: true,
  metadata: {},
  recorded: false,
  adoptRequested: false,
  adoptionAllowed: false,
  connectionSecret: "litellm/prod-secrets",
  ownerGone: () => false,
  ...overrides
})

const ownerArb = fc.record({
  installation: fc.constantFrom("prod", "staging"),
  namespace: fc.constantFrom("team-a", "team-b"),
  kind: fc.constantFrom("Team", "User", "VirtualKey"),
  name: fc.constantFrom("search", "other"),
  uid: fc.constantFrom("uid-self", "uid-other")
})

describe("owner markers", () => {
  it("round-trip, and anything else in the metadata is no marker", () => {
    fc.assert(
      fc.property(ownerArb, (owner) => {
        assert.deepStrictEqual(ownerOf({ [ownerMetadataKey]: ownerMarker(owner) }), Option.some(owner))
      }),
      runs
    )
    assert.isTrue(Option.isNone(ownerOf(undefined)))
    assert.isTrue(Option.isNone(ownerOf({ [ownerMetadataKey]: "not json" })))
    assert.isTrue(Option.isNone(ownerOf({ [ownerMetadataKey]: { uid: "uid-self" } })))
    assert.isTrue(Option.isNone(ownerOf({ [ownerMetadataKey]: JSON.stringify({ uid: "uid-self" }) })))
  })

  it("the operator's marker replaces one in the spec's metadata, with a warning; other keys stay", () => {
    const forged = withOwnerMarker({ [ownerMetadataKey]: "forged", team: "a" }, self)
    assert.deepStrictEqual(forged.metadata, { [ownerMetadataKey]: ownerMarker(self), team: "a" })
    assert.strictEqual(forged.warnings.length, 1)
    assert.deepStrictEqual(withOwnerMarker(undefined, self), {
      metadata: { [ownerMetadataKey]: ownerMarker(self) },
      warnings: []
    })
  })
})

describe("decideOwnership", () => {
  it("a live owner that is not this object is always refused, whatever the object asks or the connection allows", () => {
    fc.assert(
      fc.property(ownerArb, fc.boolean(), fc.boolean(), fc.boolean(), (owner, recorded, asked, allowed) => {
        fc.pre(owner.uid !== self.uid)
        const decision = decideOwnership(
          input({
            metadata: { [ownerMetadataKey]: ownerMarker(owner) },
            recorded,
            adoptRequested: asked,
            adoptionAllowed: allowed,
            ownerGone: () => false
          })
        )
        assert.strictEqual(decision._tag, "OwnedElsewhere")
      }),
      runs
    )
  })

  it("its own marker is ownership, even from another installation id (the operator was renamed)", () => {
    const decision = decideOwnership(
      input({ metadata: { [ownerMetadataKey]: ownerMarker({ ...self, installation: "old-name" }) } })
    )
    assert.deepStrictEqual(decision, { _tag: "Owned", adopted: false })
  })

  it("an unmarked object is this object's only if its status recorded it, or it asks and the connection allows", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.boolean(), (recorded, asked, allowed) => {
        const decision = decideOwnership(input({ recorded, adoptRequested: asked, adoptionAllowed: allowed }))
        if (recorded) assert.deepStrictEqual(decision, { _tag: "Owned", adopted: false })
        else if (asked && allowed) assert.deepStrictEqual(decision, { _tag: "Owned", adopted: true })
        else {
          assert.strictEqual(decision._tag, "AdoptionRefused")
          if (decision._tag === "AdoptionRefused") {
            assert.strictEqual(decision.message.includes("on this object"), !asked)
            assert.strictEqual(decision.message.includes("litellm/prod-secrets"), !allowed)
          }
        }
      }),
      runs
    )
  })

  it("an owner gone from this installation: the same namespace takes it back, another needs adoption", () => {
    const gone = (namespace: string): OwnershipInput =>
      input({
        metadata: { [ownerMetadataKey]: ownerMarker({ ...self, namespace, uid: "uid-deleted" }) },
        ownerGone: () => true
      })
    assert.deepStrictEqual(decideOwnership(gone("team-a")), { _tag: "Owned", adopted: true })
    assert.strictEqual(decideOwnership(gone("team-b"))._tag, "AdoptionRefused")
    assert.deepStrictEqual(decideOwnership({ ...gone("team-b"), adoptRequested: true, adoptionAllowed: true }), {
      _tag: "Owned",
      adopted: true
    })
    // Another installation's objects are never taken for gone: this cluster cannot see them.
    const foreign = input({
      metadata: { [ownerMetadataKey]: ownerMarker({ ...self, installation: "other", uid: "uid-x" }) },
      ownerGone: () => true
    })
    assert.strictEqual(decideOwnership(foreign)._tag, "OwnedElsewhere")
  })

  it("says nothing of another namespace's objects, and names the owner in the same namespace", () => {
    const other = decideOwnership(
      input({ metadata: { [ownerMetadataKey]: ownerMarker({ ...self, namespace: "victim", uid: "u2" }) } })
    )
    assert.isTrue(other._tag === "OwnedElsewhere" && !other.message.includes("victim"))
    const sibling = decideOwnership(
      input({ metadata: { [ownerMetadataKey]: ownerMarker({ ...self, name: "first", uid: "u2" }) } })
    )
    assert.isTrue(sibling._tag === "OwnedElsewhere" && sibling.message.includes("Team team-a/first"))
  })

  it("nothing in LiteLLM: the object may create it", () => {
    assert.deepStrictEqual(decideOwnership(input({ exists: false })), { _tag: "Absent" })
  })
})

describe("connection policy", () => {
  it("defaults to no admin roles, no foreign references, no adoption", () => {
    const result = connectionPolicyFrom({})
    assert.deepStrictEqual(result, { _tag: "Valid", policy: defaultConnectionPolicy })
    assert.deepStrictEqual(defaultConnectionPolicy.allowedUserRoles, ["internal_user", "internal_user_viewer"])
  })

  it("reads the annotations, and refuses values it does not understand with the annotation's name", () => {
    const set = connectionPolicyFrom({
      "auth.litellm.ai/allowed-user-roles": " proxy_admin ,internal_user,proxy_admin",
      "auth.litellm.ai/allow-foreign-references": "TRUE",
      "auth.litellm.ai/allow-adoption": "false"
    })
    assert.deepStrictEqual(set, {
      _tag: "Valid",
      policy: { allowedUserRoles: ["proxy_admin", "internal_user"], allowForeignReferences: true, allowAdoption: false }
    })
    const badRole = connectionPolicyFrom({ "auth.litellm.ai/allowed-user-roles": "root" })
    assert.isTrue(badRole._tag === "Invalid" && badRole.message.includes("auth.litellm.ai/allowed-user-roles"))
    const badFlag = connectionPolicyFrom({ "auth.litellm.ai/allow-adoption": "yes" })
    assert.isTrue(badFlag._tag === "Invalid" && badFlag.message.includes("auth.litellm.ai/allow-adoption"))
  })
})

describe("references past the namespace", () => {
  const declared: ReadonlyArray<DeclaredObject> = [
    { name: "search", id: "k8s-1", recordedId: "k8s-1" },
    { name: "pending", id: "team-pending", recordedId: undefined }
  ]
  const reference = (id: string, policy: ConnectionPolicy = defaultConnectionPolicy) =>
    checkReference({
      field: "spec.teamID",
      declaredBy: "Team",
      id,
      namespace: "team-a",
      declared,
      policy,
      connectionSecret: "litellm/prod-secrets"
    })

  it("allows what the namespace owns, waits for what it declares, denies the rest unless the connection allows", () => {
    assert.deepStrictEqual(reference("k8s-1"), { _tag: "Allowed", foreign: false })
    assert.strictEqual(reference("team-pending")._tag, "Waiting")
    const denied = reference("someone-elses")
    assert.isTrue(denied._tag === "Denied" && denied.message.includes("auth.litellm.ai/allow-foreign-references"))
    assert.deepStrictEqual(reference("someone-elses", { ...defaultConnectionPolicy, allowForeignReferences: true }), {
      _tag: "Allowed",
      foreign: true
    })
  })

  it("a role is allowed exactly when the connection lists it", () => {
    fc.assert(
      fc.property(fc.constantFrom(...userRoles), fc.subarray([...userRoles]), (role, allowed) => {
        const verdict = checkUserRole({
          role,
          subject: "spec.userRole",
          policy: { ...defaultConnectionPolicy, allowedUserRoles: allowed },
          connectionSecret: "litellm/prod-secrets"
        })
        assert.strictEqual(verdict._tag === "Allowed", allowed.includes(role))
      }),
      runs
    )
  })
})
