/**
 * `litellm-operator plan`: what the operator would do in LiteLLM for a set of
 * manifests, without doing it. Each object goes through the reconcilers' own
 * sync functions (`syncTeam`, `syncUser`, `syncKey`, `syncMembership`: observe,
 * ownership guard, core `plan*`) with a client that reads LiteLLM and records
 * the calls a plan would make instead of sending them. Its write methods fail
 * as defects, so a plan that tried to write would stop, not write.
 */
import { createHash } from "node:crypto"
import type {
  ConnectionPolicy,
  DeclaredObject,
  LiteLLMAction,
  ObservedKey,
  ObservedMembership,
  ObservedTeam,
  ObservedUser,
  OwnerRef,
  ReferenceInput
} from "@litellm-operator/core"
import {
  adoptAnnotation,
  adoptTokenAnnotation,
  checkReferences,
  checkUserRole,
  decideOwnership,
  deletionPolicyAnnotation,
  deletionPolicyFor,
  membershipOf,
  normalizeEmail,
  ownerMetadataKey,
  ownerOf,
  resolveExact,
  teamIdFor,
  userIdFor,
  wireEquals,
  withOwnerMarker
} from "@litellm-operator/core"
import type { LiteLLMError } from "@litellm-operator/litellm"
import { LiteLLMClient } from "@litellm-operator/litellm"
import { Effect, Option, Predicate, Redacted, Schema } from "effect"
import { syncKey } from "../reconcile/syncKey.ts"
import { syncMembership } from "../reconcile/syncMembership.ts"
import { syncTeam } from "../reconcile/syncTeam.ts"
import { syncUser } from "../reconcile/syncUser.ts"
import type { GuardVerdict, SyncGuard } from "../reconcile/tenancy.ts"
import type { Located, Manifests } from "./manifests.ts"
import { policyOf, secretValue } from "./manifests.ts"

type Client = LiteLLMClient["Service"]

// The report, as printed with --output json (tools decode it with these schemas).

export const PlannedChange = Schema.Struct({
  field: Schema.String,
  /** Absent: LiteLLM has no value (or no object yet). */
  before: Schema.optionalKey(Schema.Unknown),
  after: Schema.optionalKey(Schema.Unknown)
})
export type PlannedChange = typeof PlannedChange.Type

export const PlannedCall = Schema.Struct({
  /** The core plan action, e.g. `TeamCreate`. */
  action: Schema.String,
  /** The LiteLLM endpoint, e.g. `POST /team/new`. */
  call: Schema.String,
  /** What it acts on, e.g. `team "k8s-…"`. */
  target: Schema.String,
  changes: Schema.Array(PlannedChange)
})
export type PlannedCall = typeof PlannedCall.Type

export const PlanResult = Schema.Literals(["create", "update", "adopt", "unchanged", "refused", "error"])
export type PlanResult = typeof PlanResult.Type

export const ObjectPlan = Schema.Struct({
  kind: Schema.String,
  namespace: Schema.String,
  name: Schema.String,
  source: Schema.String,
  /** The LiteLLM object it maps to. */
  litellm: Schema.String,
  /** How it was matched with LiteLLM (recorded id, spec id, id derived from the uid, token, alias, email). */
  match: Schema.String,
  result: PlanResult,
  calls: Schema.Array(PlannedCall),
  warnings: Schema.Array(Schema.String),
  message: Schema.optionalKey(Schema.String)
})
export type ObjectPlan = typeof ObjectPlan.Type

export const PrunedObject = Schema.Struct({
  /** e.g. `team "t-1"`, `key 1a2b3c4d5e6f…`. */
  litellm: Schema.String,
  /** The object its owner marker names: `Kind namespace/name`. */
  owner: Schema.String
})
export type PrunedObject = typeof PrunedObject.Type

export const PlanSummary = Schema.Struct({
  create: Schema.Number,
  update: Schema.Number,
  adopt: Schema.Number,
  unchanged: Schema.Number,
  refused: Schema.Number,
  errors: Schema.Number,
  prune: Schema.Number
})

export const PlanReport = Schema.Struct({
  connection: Schema.String,
  installationId: Schema.String,
  objects: Schema.Array(ObjectPlan),
  prune: Schema.optionalKey(Schema.Array(PrunedObject)),
  /** Manifests that could not be read or decoded. */
  errors: Schema.Array(Schema.String),
  /** Objects of kinds plan does not handle. */
  skipped: Schema.Array(Schema.String),
  notes: Schema.Array(Schema.String),
  summary: PlanSummary
})
export type PlanReport = typeof PlanReport.Type

/** 0: nothing would change; 2: something would; 1: an error, or an object the operator would refuse. */
export const exitCodeOf = (report: PlanReport): 0 | 1 | 2 => {
  const s = report.summary
  if (s.errors > 0 || s.refused > 0) return 1
  return s.create + s.update + s.prune > 0 ? 2 : 0
}

export interface PlanOptions {
  readonly url: string
  readonly installationId: string
  readonly prune: boolean
}

/** A refusal the operator's guard or policy checks would make (Ready=False, no LiteLLM call). */
class PlanRefused extends Schema.TaggedError<PlanRefused>()("PlanRefused", {
  reason: Schema.String,
  message: Schema.String
}) {}

/**
 * The client plan uses: LiteLLM's reads as they are; every write fails as a
 * defect, and `execute` (how plans are applied) records the action instead.
 */
export const recordingClient = (client: Client, recorded: Array<LiteLLMAction>): Client => {
  const never = (method: string) => () => Effect.die(new Error(`plan never writes to LiteLLM (${method})`))
  return LiteLLMClient.of({
    ...client,
    teamNew: never("teamNew"),
    teamUpdate: never("teamUpdate"),
    teamDelete: never("teamDelete"),
    teamBlock: never("teamBlock"),
    teamUnblock: never("teamUnblock"),
    teamMemberAdd: never("teamMemberAdd"),
    teamMemberUpdate: never("teamMemberUpdate"),
    teamMemberDelete: never("teamMemberDelete"),
    teamPermissionsUpdate: never("teamPermissionsUpdate"),
    userNew: never("userNew"),
    userUpdate: never("userUpdate"),
    userDelete: never("userDelete"),
    keyGenerate: never("keyGenerate"),
    keyUpdate: never("keyUpdate"),
    keyDelete: never("keyDelete"),
    keyBlock: never("keyBlock"),
    keyUnblock: never("keyUnblock"),
    // Nothing was written, so no answer says anything: the plan reads back as it would without one.
    execute: (action) =>
      Effect.sync(() => {
        recorded.push(action)
        return {}
      })
  })
}

const endpoints: Record<LiteLLMAction["_tag"], string> = {
  TeamCreate: "POST /team/new",
  TeamUpdate: "POST /team/update",
  TeamSetMemberPermissions: "POST /team/permissions_update",
  TeamBlock: "POST /team/block",
  TeamUnblock: "POST /team/unblock",
  TeamDelete: "POST /team/delete",
  UserCreate: "POST /user/new",
  UserUpdate: "POST /user/update",
  UserDelete: "POST /user/delete",
  MemberAdd: "POST /team/member_add",
  MemberUpdate: "POST /team/member_update",
  MemberRemove: "POST /team/member_delete",
  KeyGenerate: "POST /key/generate",
  KeyUpdate: "POST /key/update",
  KeyBlock: "POST /key/block",
  KeyUnblock: "POST /key/unblock",
  KeyDelete: "POST /key/delete"
}

/** A token for messages: never the key, and only the start of its hash. */
export const shortToken = (token: string): string => `${token.slice(0, 12)}…`

/** Stands for the token of a key value the operator has not generated yet (no key has it). */
const unknownToken = "0".repeat(64)

const tokenText = (token: string) =>
  token === unknownToken ? "(the token of a key value generated at apply)" : shortToken(token)

/** The observed objects an action's "before" values come from. */
interface Before {
  readonly team?: ObservedTeam | undefined
  readonly user?: ObservedUser | undefined
  readonly key?: ObservedKey | undefined
  readonly membership?: ObservedMembership | undefined
}

/** Metadata as the plans read it: a JSON object, or nothing. */
const asMetadata = (value: unknown): { readonly [key: string]: unknown } | undefined =>
  Predicate.isObject(value) && !Array.isArray(value) ? { ...value } : undefined

const present = (value: unknown): value is NonNullable<unknown> => value !== undefined && value !== null

const fieldChanges = (
  fields: { readonly [key: string]: unknown },
  observed: { readonly [key: string]: unknown } | undefined
): Array<PlannedChange> => {
  const out: Array<PlannedChange> = []
  const observedMetadata = asMetadata(observed?.metadata)
  for (const [field, after] of Object.entries(fields)) {
    if (field === "metadata" && typeof after === "object" && after !== null && !Array.isArray(after)) {
      for (const [key, value] of Object.entries(after)) {
        const before = observedMetadata?.[key]
        if (observed !== undefined && wireEquals(value, before)) continue
        out.push({ field: `metadata.${key}`, ...(present(before) ? { before } : {}), after: value })
      }
      continue
    }
    const before = observed?.[field] ?? observedMetadata?.[field]
    out.push({ field, ...(present(before) ? { before } : {}), ...(after === null ? {} : { after }) })
  }
  return out
}

/** One action, rendered: never a key value (KeyGenerate's key is left out). */
const describeCall = (action: LiteLLMAction, before: Before): PlannedCall => {
  const call = endpoints[action._tag]
  const make = (target: string, changes: Array<PlannedChange>): PlannedCall => ({
    action: action._tag,
    call,
    target,
    changes
  })
  switch (action._tag) {
    case "TeamCreate":
      return make(`team ${JSON.stringify(action.teamId)}`, fieldChanges(action.fields, undefined))
    case "TeamUpdate":
      return make(`team ${JSON.stringify(action.teamId)}`, fieldChanges(action.fields, before.team))
    case "TeamSetMemberPermissions":
      return make(`team ${JSON.stringify(action.teamId)}`, [
        {
          field: "team_member_permissions",
          ...(present(before.team?.team_member_permissions) ? { before: before.team.team_member_permissions } : {}),
          after: action.permissions
        }
      ])
    case "TeamBlock":
    case "TeamUnblock":
      return make(`team ${JSON.stringify(action.teamId)}`, [
        { field: "blocked", before: before.team?.blocked ?? false, after: action._tag === "TeamBlock" }
      ])
    case "TeamDelete":
      return make(`team ${JSON.stringify(action.teamId)}`, [])
    case "UserCreate":
      return make(`user ${JSON.stringify(action.userId)}`, fieldChanges(action.fields, undefined))
    case "UserUpdate":
      return make(`user ${JSON.stringify(action.userId)}`, fieldChanges(action.fields, before.user))
    case "UserDelete":
      return make(`user ${JSON.stringify(action.userId)}`, [])
    case "MemberAdd":
    case "MemberUpdate": {
      const m = before.membership
      return make(`member ${JSON.stringify(action.userId)} of team ${JSON.stringify(action.teamId)}`, [
        { field: "role", ...(m === undefined ? {} : { before: m.role }), after: action.role },
        ...(action.maxBudgetInTeam === undefined && m?.maxBudgetInTeam === undefined
          ? []
          : [
              {
                field: "max_budget_in_team",
                ...(m?.maxBudgetInTeam === undefined ? {} : { before: m.maxBudgetInTeam }),
                ...(action.maxBudgetInTeam === undefined ? {} : { after: action.maxBudgetInTeam })
              }
            ])
      ])
    }
    case "MemberRemove":
      return make(`member ${JSON.stringify(action.userId)} of team ${JSON.stringify(action.teamId)}`, [])
    case "KeyGenerate":
      return make(`key ${tokenText(action.token)}`, fieldChanges(action.fields, undefined))
    case "KeyUpdate":
      return make(`key ${tokenText(action.token)}`, fieldChanges(action.fields, before.key))
    case "KeyBlock":
    case "KeyUnblock":
      return make(`key ${tokenText(action.token)}`, [
        { field: "blocked", before: before.key?.blocked ?? false, after: action._tag === "KeyBlock" }
      ])
    case "KeyDelete":
      return make(`key ${tokenText(action.token)}`, [])
  }
}

/** An adoption whose only write is the owner marker: LiteLLM's settings stay as they are. */
const markerOnly = (calls: ReadonlyArray<PlannedCall>): boolean =>
  calls.length > 0 && calls.every((c) => c.changes.every((change) => change.field === `metadata.${ownerMetadataKey}`))

const resultOf = (calls: ReadonlyArray<PlannedCall>, adopted: boolean): PlanResult => {
  if (calls.length === 0) return "unchanged"
  if (calls.some((c) => c.action === "TeamCreate" || c.action === "UserCreate")) return "create"
  if (calls.length > 0 && calls.every((c) => c.action === "KeyGenerate" || c.action === "MemberAdd"))
    return adopted ? "update" : "create"
  if (adopted && markerOnly(calls)) return "adopt"
  return "update"
}

const uidPlaceholder = (kind: string, namespace: string, name: string) => `<uid of ${kind} ${namespace}/${name}>`

/** The guard the reconcilers use, decided from the manifest alone (plan cannot see the cluster). */
const planGuard = <O>(options: {
  readonly self: OwnerRef
  readonly adoptRequested: boolean
  readonly policy: ConnectionPolicy
  readonly connectionSecret: string
  readonly what: string
  readonly recorded: (observed: O) => boolean
  readonly observed: (observed: O) => { readonly exists: boolean; readonly metadata: unknown }
  readonly adopted: { value: boolean }
}): SyncGuard<O, PlanRefused> => ({
  check: (o) => {
    const { exists, metadata } = options.observed(o)
    const decision = decideOwnership({
      self: options.self,
      what: options.what,
      exists,
      metadata: asMetadata(metadata),
      recorded: options.recorded(o),
      adoptRequested: options.adoptRequested,
      adoptionAllowed: options.policy.allowAdoption,
      connectionSecret: options.connectionSecret,
      // Outside the cluster plan cannot tell whether a marker's owner is gone: it assumes not.
      ownerGone: () => false
    })
    switch (decision._tag) {
      case "Absent":
        return Effect.succeed<GuardVerdict>({ _tag: "Proceed", adopted: false })
      case "Owned":
        options.adopted.value = decision.adopted
        return Effect.succeed<GuardVerdict>({ _tag: "Proceed", adopted: decision.adopted })
      case "OwnedElsewhere":
        return Effect.fail(new PlanRefused({ reason: "OwnershipConflict", message: decision.message }))
      case "AdoptionRefused":
        return Effect.fail(new PlanRefused({ reason: "AdoptionNotAllowed", message: decision.message }))
    }
  },
  beforeWrite: Effect.void
})

const refusedBy = (verdict: { readonly _tag: string; readonly message?: string }) =>
  verdict._tag === "Denied" || verdict._tag === "Waiting"
    ? Effect.fail(new PlanRefused({ reason: "PolicyDenied", message: verdict.message ?? "" }))
    : Effect.void

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex")

/**
 * Plans every object of the manifests against one LiteLLM. Teams and users
 * first, then keys and associations (which name them), as the operator
 * converges: an object that names a Team or User of the manifests assumes it
 * is made first.
 */
export const planManifests = Effect.fnUntraced(function* (client: Client, manifests: Manifests, options: PlanOptions) {
  const notes: Array<string> = []
  const objects: Array<ObjectPlan> = []
  const connectionOf = (
    namespace: string,
    ref: {
      readonly secretRef?: { readonly name: string; readonly namespace?: string } | undefined
      readonly instanceRef?: unknown
    }
  ) => {
    const secretRef = ref.secretRef
    const name = secretRef?.name ?? "(instanceRef)"
    const secretNamespace = secretRef?.namespace ?? namespace
    const secret = manifests.secrets.find((s) => s.object.metadata.name === name && s.namespace === secretNamespace)
    const connectionSecret = `${secretNamespace}/${name}`
    const parsed = policyOf(secret?.object)
    if (secret === undefined) {
      const note = `the connection Secret ${connectionSecret} is not among the manifests: its policy is taken to be the defaults (no adoption, no foreign references, roles internal_user and internal_user_viewer)`
      if (!notes.includes(note)) notes.push(note)
    }
    return parsed._tag === "Valid"
      ? Effect.succeed({ policy: parsed.policy, connectionSecret })
      : Effect.fail(new PlanRefused({ reason: "InvalidConnection", message: `${connectionSecret}: ${parsed.message}` }))
  }
  const declaredTeams = (namespace: string): ReadonlyArray<DeclaredObject> =>
    manifests.teams
      .filter((t) => t.namespace === namespace)
      .map((t) => {
        const id = teamIdFor(
          t.object.spec,
          t.object.metadata.uid ?? uidPlaceholder("Team", namespace, t.object.metadata.name)
        )
        // Plan assumes the manifests are applied together: a declared Team is made before what names it.
        return { name: t.object.metadata.name, id, recordedId: id }
      })
  const declaredUsers = (namespace: string): ReadonlyArray<DeclaredObject> =>
    manifests.users
      .filter((u) => u.namespace === namespace)
      .map((u) => {
        const id = userIdFor(
          u.object.spec,
          u.object.metadata.uid ?? uidPlaceholder("User", namespace, u.object.metadata.name)
        )
        return { name: u.object.metadata.name, id, recordedId: id }
      })

  /** The object's identity in owner markers; without a uid, a marker naming the same object is taken for it. */
  const selfOf = (
    kind: string,
    located: Located<{ readonly metadata: { readonly name: string; readonly uid?: string } }>,
    observedMetadata: unknown
  ): OwnerRef => {
    const { name, uid } = located.object.metadata
    const base = { installation: options.installationId, namespace: located.namespace, kind, name }
    if (uid !== undefined) return { ...base, uid }
    const marked = ownerOf(asMetadata(observedMetadata))
    if (
      Option.isSome(marked) &&
      marked.value.installation === base.installation &&
      marked.value.namespace === base.namespace &&
      marked.value.kind === kind &&
      marked.value.name === name
    ) {
      return { ...base, uid: marked.value.uid }
    }
    return { ...base, uid: uidPlaceholder(kind, located.namespace, name) }
  }

  type Planned = Omit<ObjectPlan, "kind" | "namespace" | "name" | "source">
  const failedWith = (result: "refused" | "error", message: string): Planned => ({
    litellm: "",
    match: "",
    result,
    calls: [],
    warnings: [],
    message
  })
  /** One object's plan; what the operator would refuse, and LiteLLM's errors (scrubbed by the client), end that object only. */
  const run = (
    header: { readonly kind: string; readonly located: Located<{ readonly metadata: { readonly name: string } }> },
    body: Effect.Effect<Planned, PlanRefused | LiteLLMError>
  ) =>
    body.pipe(
      Effect.catchTags({
        PlanRefused: (e) => Effect.succeed(failedWith("refused", `${e.reason}: ${e.message}`)),
        LiteLLMError: (e) => Effect.succeed(failedWith("error", e.message))
      }),
      Effect.map((planned) =>
        objects.push({
          kind: header.kind,
          namespace: header.located.namespace,
          name: header.located.object.metadata.name,
          source: header.located.source,
          ...planned
        })
      ),
      Effect.asVoid
    )

  /** A deletion-policy annotation the operator does not take refuses the object, as the operator does. */
  const lifecycleOf = (annotations: { readonly [key: string]: string } | undefined) => {
    const policy = deletionPolicyFor({ annotation: annotations?.[deletionPolicyAnnotation], adopted: false })
    return policy._tag === "Valid"
      ? Effect.succeed({ deleting: false, deletionPolicy: policy.policy })
      : Effect.fail(new PlanRefused({ reason: "InvalidSpec", message: policy.message }))
  }
  const adoptRequestedOf = (annotations: { readonly [key: string]: string } | undefined) =>
    annotations?.[adoptAnnotation] === "true"

  for (const located of manifests.teams) {
    const team = located.object
    yield* run(
      { kind: "Team", located },
      Effect.gen(function* () {
        const { policy, connectionSecret } = yield* connectionOf(located.namespace, team.spec.connectionRef)
        if (team.spec.organizationID !== undefined && team.spec.organizationID !== "") {
          yield* refusedBy(
            checkReferences([
              {
                field: "spec.organizationID",
                declaredBy: undefined,
                id: team.spec.organizationID,
                namespace: located.namespace,
                declared: [],
                policy,
                connectionSecret
              }
            ])
          )
        }
        const uid = team.metadata.uid ?? uidPlaceholder("Team", located.namespace, team.metadata.name)
        const teamId = teamIdFor(team.spec, uid)
        const observedFirst = Option.getOrUndefined(yield* client.teamInfo(teamId))
        const self = selfOf("Team", located, observedFirst?.metadata)
        const marked = withOwnerMarker(team.spec.metadata, self)
        const recorded: Array<LiteLLMAction> = []
        const adopted = { value: false }
        const synced = yield* syncTeam(
          recordingClient(client, recorded),
          {
            teamId,
            spec: { ...team.spec, metadata: marked.metadata },
            ...(yield* lifecycleOf(team.metadata.annotations))
          },
          { fields: team.status?.appliedFields ?? [], modelAliases: team.status?.modelAliases },
          planGuard<ObservedTeam | undefined>({
            self,
            adoptRequested: adoptRequestedOf(team.metadata.annotations),
            policy,
            connectionSecret,
            what: `team ${JSON.stringify(teamId)}`,
            recorded: () => team.status?.teamID === teamId,
            observed: (o) => ({ exists: o !== undefined, metadata: o?.metadata }),
            adopted
          })
        )
        const calls = recorded.map((a) => describeCall(a, { team: synced.team }))
        return {
          litellm: `team ${JSON.stringify(teamId)}`,
          match:
            team.spec.teamID !== undefined
              ? `by spec.teamID${synced.team === undefined ? "; LiteLLM has no such team" : ""}`
              : team.metadata.uid !== undefined
                ? `by the id derived from metadata.uid (k8s-<uid>)${synced.team === undefined ? "; LiteLLM has no such team" : ""}`
                : "a new object: the operator names its team k8s-<uid> once the API server gives the object its uid",
          result: resultOf(calls, adopted.value),
          calls,
          warnings: [...marked.warnings, ...synced.plan.warnings]
        }
      })
    )
  }

  for (const located of manifests.users) {
    const user = located.object
    yield* run(
      { kind: "User", located },
      Effect.gen(function* () {
        const { policy, connectionSecret } = yield* connectionOf(located.namespace, user.spec.connectionRef)
        const role = (r: string | null | undefined, subject: string) =>
          refusedBy(checkUserRole({ role: r ?? undefined, subject, policy, connectionSecret }))
        yield* role(user.spec.userRole, "spec.userRole")
        const declared = declaredTeams(located.namespace)
        yield* refusedBy(
          checkReferences(
            (user.spec.teams ?? []).map(
              (id): ReferenceInput => ({
                field: "spec.teams",
                declaredBy: "Team",
                id,
                namespace: located.namespace,
                declared,
                policy,
                connectionSecret
              })
            )
          )
        )
        const uid = user.metadata.uid ?? uidPlaceholder("User", located.namespace, user.metadata.name)
        const userId = userIdFor(user.spec, uid)
        const observedFirst = Option.getOrUndefined(yield* client.userInfo(userId))
        const self = selfOf("User", located, observedFirst?.metadata)
        const marked = withOwnerMarker(user.spec.metadata, self)
        // The user's own key: the value in its Secret (recorded token), or one generated at apply.
        const wantsKey = user.spec.autoCreateKey === true
        const recordedToken = user.status?.token
        const recordedKey =
          wantsKey && recordedToken !== undefined
            ? Option.getOrUndefined(yield* client.keyInfo(recordedToken))
            : undefined
        const keyToken = wantsKey ? (recordedKey !== undefined ? recordedToken : unknownToken) : undefined
        const recorded: Array<LiteLLMAction> = []
        const adopted = { value: false }
        const synced = yield* syncUser(
          recordingClient(client, recorded),
          {
            userId,
            spec: { ...user.spec, metadata: marked.metadata },
            key: keyToken === undefined ? undefined : { key: Redacted.make(""), token: keyToken },
            ...(yield* lifecycleOf(user.metadata.annotations))
          },
          {
            lastApplied: { fields: user.status?.appliedFields ?? [], duration: user.status?.duration },
            previousToken: user.status?.token,
            guard: planGuard({
              self,
              adoptRequested: adoptRequestedOf(user.metadata.annotations),
              policy,
              connectionSecret,
              what: `user ${JSON.stringify(userId)}`,
              recorded: () => user.status?.userID === userId,
              observed: (o: { readonly user: ObservedUser | undefined }) => ({
                exists: o.user !== undefined,
                metadata: o.user?.metadata
              }),
              adopted
            })
          }
        )
        if (user.spec.userRole === undefined)
          yield* role(synced.user?.user_role, `user ${JSON.stringify(userId)} in LiteLLM`)
        const calls = recorded.map((a) => describeCall(a, { user: synced.user, key: synced.key }))
        return {
          litellm: `user ${JSON.stringify(userId)}`,
          match:
            user.spec.userID !== undefined
              ? `by spec.userID${synced.user === undefined ? "; LiteLLM has no such user" : ""}`
              : user.metadata.uid !== undefined
                ? `by the id derived from metadata.uid (k8s-<uid>)${synced.user === undefined ? "; LiteLLM has no such user" : ""}`
                : "a new object: the operator names its user k8s-<uid> once the API server gives the object its uid",
          result: resultOf(calls, adopted.value),
          calls,
          warnings: [...marked.warnings, ...synced.plan.warnings]
        }
      })
    )
  }

  for (const located of manifests.keys) {
    const vk = located.object
    yield* run(
      { kind: "VirtualKey", located },
      Effect.gen(function* () {
        const { connectionRef: c, key: inlineKey, keySecretRef, ...intent } = vk.spec
        const { policy, connectionSecret } = yield* connectionOf(located.namespace, c)
        const common = { namespace: located.namespace, policy, connectionSecret }
        yield* refusedBy(
          checkReferences([
            ...(intent.teamID === undefined
              ? []
              : [
                  {
                    field: "spec.teamID",
                    declaredBy: "Team" as const,
                    id: intent.teamID,
                    declared: declaredTeams(located.namespace),
                    ...common
                  }
                ]),
            ...(intent.userID === undefined
              ? []
              : [
                  {
                    field: "spec.userID",
                    declaredBy: "User" as const,
                    id: intent.userID,
                    declared: declaredUsers(located.namespace),
                    ...common
                  }
                ])
          ])
        )
        const adoptToken = vk.metadata.annotations?.[adoptTokenAnnotation]
        // Where the key value comes from decides the token, and so which LiteLLM key this is.
        const chosen = yield* Effect.gen(function* () {
          if (inlineKey !== undefined) return { token: sha256(inlineKey), match: "by the token of spec.key" }
          if (keySecretRef !== undefined) {
            const secret = manifests.secrets.find(
              (s) => s.namespace === located.namespace && s.object.metadata.name === keySecretRef.name
            )
            const value = secret === undefined ? undefined : secretValue(secret.object, keySecretRef.key ?? "key")
            if (value !== undefined)
              return {
                token: sha256(value),
                match: `by the token of the value in Secret ${located.namespace}/${keySecretRef.name}`
              }
            if (vk.status?.token !== undefined)
              return { token: vk.status.token, match: "by the token recorded in status.token" }
            return yield* Effect.fail(
              new PlanRefused({
                reason: "KeySecretUnknown",
                message: `the key value is in Secret ${located.namespace}/${keySecretRef.name}, which is not among the manifests; give its manifest with -f`
              })
            )
          }
          if (adoptToken !== undefined)
            return { token: adoptToken, match: `by the token in annotation ${adoptTokenAnnotation}` }
          if (vk.status?.token !== undefined) {
            const recordedKey = yield* client.keyInfo(vk.status.token)
            // A recorded key LiteLLM no longer has was revoked: the operator mints a new value.
            if (Option.isSome(recordedKey))
              return {
                token: vk.status.token,
                match: "by the token recorded in status.token (the value is in the key Secret)"
              }
            return {
              token: unknownToken,
              match: "the recorded key is gone from LiteLLM (revoked): the operator mints a new value"
            }
          }
          return {
            token: unknownToken,
            match: `a new key: the operator generates its value and stores it in Secret ${located.namespace}/${vk.metadata.name}-litellm-key first`
          }
        })
        const observedFirst =
          chosen.token === unknownToken ? undefined : Option.getOrUndefined(yield* client.keyInfo(chosen.token))
        if (
          adoptToken !== undefined &&
          inlineKey === undefined &&
          keySecretRef === undefined &&
          observedFirst === undefined
        ) {
          return yield* Effect.fail(
            new PlanRefused({
              reason: "AdoptedKeyNotFound",
              message: `LiteLLM has no key with the token ${shortToken(adoptToken)} this object adopts; its value is not known, so it cannot be made again`
            })
          )
        }
        const self = selfOf("VirtualKey", located, observedFirst?.metadata)
        const marked = withOwnerMarker(intent.metadata, self)
        const recorded: Array<LiteLLMAction> = []
        const adopted = { value: false }
        const isChosen = inlineKey !== undefined || keySecretRef !== undefined || adoptToken !== undefined
        const synced = yield* syncKey(
          recordingClient(client, recorded),
          {
            key: Redacted.make(""),
            token: chosen.token,
            intent: { ...intent, metadata: marked.metadata },
            ...(yield* lifecycleOf(vk.metadata.annotations))
          },
          {
            lastApplied: { fields: vk.status?.appliedFields ?? [], duration: vk.status?.duration },
            previousToken: vk.status?.token,
            guard: planGuard<ObservedKey | undefined>({
              self,
              adoptRequested: adoptRequestedOf(vk.metadata.annotations),
              policy,
              connectionSecret,
              what: "the key",
              recorded: () => !isChosen || vk.status?.token === chosen.token,
              observed: (o) => ({ exists: o !== undefined, metadata: o?.metadata }),
              adopted
            })
          }
        )
        const calls = recorded.map((a) => describeCall(a, { key: synced.key }))
        return {
          litellm: chosen.token === unknownToken ? "key (new)" : `key ${shortToken(chosen.token)}`,
          match: chosen.match,
          result: resultOf(calls, adopted.value),
          calls,
          warnings: [...marked.warnings, ...synced.plan.warnings]
        }
      })
    )
  }

  for (const located of manifests.memberships) {
    const tma = located.object
    yield* run(
      { kind: "TeamMemberAssociation", located },
      Effect.gen(function* () {
        const { policy, connectionSecret } = yield* connectionOf(located.namespace, tma.spec.connectionRef)
        const notFound = (what: string) =>
          new PlanRefused({
            reason: "DependencyNotReady",
            message: policy.allowForeignReferences
              ? `no ${what} in namespace ${located.namespace} or in LiteLLM`
              : `no ${what} in namespace ${located.namespace}; LiteLLM is not searched for it, since that needs the annotation auth.litellm.ai/allow-foreign-references: "true" on the connection Secret ${connectionSecret}`
          })
        const pick = <A>(what: string, resolution: ReturnType<typeof resolveExact<A>>) =>
          resolution._tag === "Ambiguous"
            ? Effect.fail(
                new PlanRefused({
                  reason: "AmbiguousReference",
                  message: `${what} matches ${resolution.count} objects; make it unique`
                })
              )
            : Effect.succeed(resolution._tag === "Found" ? resolution.value : undefined)
        const teamsHere = manifests.teams.filter((t) => t.namespace === located.namespace)
        const usersHere = manifests.users.filter((u) => u.namespace === located.namespace)
        const teamWhat = `teamAlias ${JSON.stringify(tma.spec.teamAlias)}`
        const userWhat = `userEmail ${JSON.stringify(tma.spec.userEmail)}`
        const teamHere = yield* pick(
          teamWhat,
          resolveExact(teamsHere, (t) => t.object.spec.teamAlias, tma.spec.teamAlias)
        )
        const team =
          teamHere !== undefined
            ? {
                id: teamIdFor(
                  teamHere.object.spec,
                  teamHere.object.metadata.uid ??
                    uidPlaceholder("Team", located.namespace, teamHere.object.metadata.name)
                ),
                how: `team by alias: Team ${located.namespace}/${teamHere.object.metadata.name} of the manifests`
              }
            : policy.allowForeignReferences
              ? yield* Effect.gen(function* () {
                  const found = yield* pick(
                    teamWhat,
                    resolveExact(
                      yield* client.teamList({ teamAlias: tma.spec.teamAlias }),
                      (t) => t.team_alias,
                      tma.spec.teamAlias
                    )
                  )
                  if (found === undefined)
                    return yield* Effect.fail(notFound(`team with alias ${JSON.stringify(tma.spec.teamAlias)}`))
                  return { id: found.team_id, how: "team by alias in LiteLLM" }
                })
              : yield* Effect.fail(notFound(`Team has ${teamWhat}`))
        const userHere = yield* pick(
          userWhat,
          resolveExact(usersHere, (u) => u.object.spec.userEmail, tma.spec.userEmail, normalizeEmail)
        )
        const user =
          userHere !== undefined
            ? {
                id: userIdFor(
                  userHere.object.spec,
                  userHere.object.metadata.uid ??
                    uidPlaceholder("User", located.namespace, userHere.object.metadata.name)
                ),
                how: `user by email: User ${located.namespace}/${userHere.object.metadata.name} of the manifests`
              }
            : policy.allowForeignReferences
              ? yield* Effect.gen(function* () {
                  const found = yield* pick(
                    userWhat,
                    resolveExact(
                      yield* client.userList({ userEmail: tma.spec.userEmail }),
                      (u) => u.user_email,
                      tma.spec.userEmail,
                      normalizeEmail
                    )
                  )
                  if (found === undefined)
                    return yield* Effect.fail(notFound(`user with email ${JSON.stringify(tma.spec.userEmail)}`))
                  return { id: found.user_id, how: "user by email in LiteLLM" }
                })
              : yield* Effect.fail(notFound(`User has ${userWhat}`))
        const recorded: Array<LiteLLMAction> = []
        const lastApplied = {
          fields: [
            ...(tma.status?.role === undefined ? [] : ["role"]),
            ...(tma.status?.maxBudgetInTeam === undefined ? [] : ["maxBudgetInTeam"])
          ]
        }
        const synced = yield* syncMembership(
          recordingClient(client, recorded),
          { teamId: team.id, userId: user.id, spec: tma.spec, ...(yield* lifecycleOf(tma.metadata.annotations)) },
          lastApplied
        )
        const teamNow = Option.getOrUndefined(yield* client.teamInfo(team.id))
        const before = teamNow === undefined ? undefined : membershipOf(teamNow, user.id)
        const calls = recorded.map((a) => describeCall(a, { membership: before }))
        return {
          litellm: `member ${JSON.stringify(user.id)} of team ${JSON.stringify(team.id)}`,
          match: `${team.how}; ${user.how}`,
          result: resultOf(calls, false),
          calls,
          warnings: synced.plan.warnings
        }
      })
    )
  }

  const prune = options.prune ? yield* pruneCandidates(client, manifests, options.installationId) : undefined
  const count = (r: PlanResult) => objects.filter((o) => o.result === r).length
  const report: PlanReport = {
    connection: options.url,
    installationId: options.installationId,
    objects,
    ...(prune === undefined ? {} : { prune }),
    errors: manifests.errors,
    skipped: manifests.skipped,
    notes,
    summary: {
      create: count("create"),
      update: count("update"),
      adopt: count("adopt"),
      unchanged: count("unchanged"),
      refused: count("refused"),
      errors: count("error") + manifests.errors.length,
      prune: prune?.length ?? 0
    }
  }
  return report
})

/**
 * LiteLLM teams, users and keys whose owner marker names this installation and
 * a namespace of the manifests, but an object no manifest declares. Memberships
 * carry no marker (LiteLLM has no metadata on them), so they are not listed.
 */
const pruneCandidates = Effect.fnUntraced(function* (client: Client, manifests: Manifests, installationId: string) {
  const namespaces = new Set(
    [manifests.teams, manifests.users, manifests.keys, manifests.memberships].flatMap((list) =>
      list.map((l: Located<unknown>) => l.namespace)
    )
  )
  const declared = new Set([
    ...manifests.teams.map((t) => `Team ${t.namespace}/${t.object.metadata.name}`),
    ...manifests.users.map((u) => `User ${u.namespace}/${u.object.metadata.name}`),
    ...manifests.keys.map((k) => `VirtualKey ${k.namespace}/${k.object.metadata.name}`)
  ])
  const out: Array<PrunedObject> = []
  const consider = (litellm: string, metadata: { readonly [key: string]: unknown } | null | undefined) => {
    const owner = ownerOf(metadata)
    if (Option.isNone(owner)) return
    const o = owner.value
    if (o.installation !== installationId || !namespaces.has(o.namespace)) return
    const name = `${o.kind} ${o.namespace}/${o.name}`
    if (!declared.has(name)) out.push({ litellm, owner: name })
  }
  for (const team of yield* client.teamList()) consider(`team ${JSON.stringify(team.team_id)}`, team.metadata)
  for (const user of yield* client.userList()) consider(`user ${JSON.stringify(user.user_id)}`, user.metadata)
  for (const key of yield* client.keyList()) consider(`key ${shortToken(key.token)}`, key.metadata)
  return out
})
