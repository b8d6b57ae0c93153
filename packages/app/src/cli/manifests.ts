/**
 * The manifests `plan` reads: the YAML users apply (files or directories,
 * multi-document), each object decoded with the core's schemas of its kind.
 * A manifest has no uid or status unless it came from `kubectl get -o yaml`;
 * both are optional here, and what plan does without them is said in its output.
 */
import { readFileSync, statSync } from "node:fs"
import { connectionPolicyFrom } from "@litellm-operator/core"
import type { Manifest } from "@litellm-operator/k8s"
import { apiVersion, kindSchemas, parseManifests, readManifestDirectory } from "@litellm-operator/k8s"
import { Effect, Schema } from "effect"

const opt = Schema.optionalKey

/** Metadata as written in a manifest: only the name is required. */
export const ManifestMeta = Schema.Struct({
  name: Schema.NonEmptyString,
  namespace: opt(Schema.NonEmptyString),
  uid: opt(Schema.NonEmptyString),
  annotations: opt(Schema.Record(Schema.String, Schema.String))
})

const declared = kindSchemas(ManifestMeta)
export const DeclaredTeam = declared.Team
export type DeclaredTeam = typeof DeclaredTeam.Type
export const DeclaredUser = declared.User
export type DeclaredUser = typeof DeclaredUser.Type
export const DeclaredVirtualKey = declared.VirtualKey
export type DeclaredVirtualKey = typeof DeclaredVirtualKey.Type
export const DeclaredTeamMemberAssociation = declared.TeamMemberAssociation
export type DeclaredTeamMemberAssociation = typeof DeclaredTeamMemberAssociation.Type

/** A Secret manifest: its annotations (a connection's policy) and data (a chosen key value), never printed. */
export const DeclaredSecret = Schema.Struct({
  apiVersion: Schema.Literal("v1"),
  kind: Schema.Literal("Secret"),
  metadata: ManifestMeta,
  data: opt(Schema.Record(Schema.String, Schema.String)),
  stringData: opt(Schema.Record(Schema.String, Schema.String))
})
export type DeclaredSecret = typeof DeclaredSecret.Type

export type Declared = DeclaredTeam | DeclaredUser | DeclaredVirtualKey | DeclaredTeamMemberAssociation

/** One object of the manifests, with the namespace it lands in. */
export interface Located<A> {
  readonly object: A
  readonly namespace: string
  readonly source: string
}

export interface Manifests {
  readonly teams: ReadonlyArray<Located<DeclaredTeam>>
  readonly users: ReadonlyArray<Located<DeclaredUser>>
  readonly keys: ReadonlyArray<Located<DeclaredVirtualKey>>
  readonly memberships: ReadonlyArray<Located<DeclaredTeamMemberAssociation>>
  readonly secrets: ReadonlyArray<Located<DeclaredSecret>>
  /** Objects that did not decode, one message each (the rest are still planned). */
  readonly errors: ReadonlyArray<string>
  /** Objects of other kinds, skipped and named. */
  readonly skipped: ReadonlyArray<string>
}

export class ManifestReadError extends Schema.TaggedError<ManifestReadError>()("ManifestReadError", {
  message: Schema.String
}) {}

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** Every manifest of the given files and directories (a directory's `*.yaml`/`*.yml`, in name order). */
export const readManifests = Effect.fnUntraced(function* (paths: ReadonlyArray<string>) {
  const out: Array<Manifest> = []
  for (const path of paths) {
    const isDirectory = yield* Effect.try({
      try: () => statSync(path).isDirectory(),
      catch: (cause) => new ManifestReadError({ message: `cannot read ${path}: ${describe(cause)}` })
    })
    if (isDirectory) {
      out.push(
        ...(yield* readManifestDirectory(path).pipe(
          Effect.mapError((e) => new ManifestReadError({ message: e.message }))
        ))
      )
    } else {
      const text = yield* Effect.try({
        try: () => readFileSync(path, "utf8"),
        catch: (cause) => new ManifestReadError({ message: `cannot read ${path}: ${describe(cause)}` })
      })
      out.push(
        ...(yield* parseManifests(text, path).pipe(
          Effect.mapError((e) => new ManifestReadError({ message: e.message }))
        ))
      )
    }
  }
  return out
})

const decoders = {
  Team: Schema.decodeUnknownResult(DeclaredTeam),
  User: Schema.decodeUnknownResult(DeclaredUser),
  VirtualKey: Schema.decodeUnknownResult(DeclaredVirtualKey),
  TeamMemberAssociation: Schema.decodeUnknownResult(DeclaredTeamMemberAssociation)
} as const
const decodeSecret = Schema.decodeUnknownResult(DeclaredSecret)

/** Sorts the manifests by kind, decoding each; a bad object is one error, not the end of the plan. */
export const classifyManifests = (manifests: ReadonlyArray<Manifest>, defaultNamespace: string): Manifests => {
  const teams: Array<Located<DeclaredTeam>> = []
  const users: Array<Located<DeclaredUser>> = []
  const keys: Array<Located<DeclaredVirtualKey>> = []
  const memberships: Array<Located<DeclaredTeamMemberAssociation>> = []
  const secrets: Array<Located<DeclaredSecret>> = []
  const errors: Array<string> = []
  const skipped: Array<string> = []
  for (const manifest of manifests) {
    const { header, source } = manifest
    const namespace = header.metadata.namespace ?? defaultNamespace
    const what = `${source}: ${header.kind} ${namespace}/${header.metadata.name}`
    const failed = (message: string) => errors.push(`${what}: ${message}`)
    if (header.apiVersion === apiVersion) {
      switch (header.kind) {
        case "Team": {
          const r = decoders.Team(manifest.object)
          if (r._tag === "Success") teams.push({ object: r.success, namespace, source })
          else failed(r.failure.message)
          continue
        }
        case "User": {
          const r = decoders.User(manifest.object)
          if (r._tag === "Success") users.push({ object: r.success, namespace, source })
          else failed(r.failure.message)
          continue
        }
        case "VirtualKey": {
          const r = decoders.VirtualKey(manifest.object)
          if (r._tag === "Success") keys.push({ object: r.success, namespace, source })
          else failed(r.failure.message)
          continue
        }
        case "TeamMemberAssociation": {
          const r = decoders.TeamMemberAssociation(manifest.object)
          if (r._tag === "Success") memberships.push({ object: r.success, namespace, source })
          else failed(r.failure.message)
          continue
        }
        default:
          failed(`${apiVersion} has no kind ${header.kind}`)
          continue
      }
    }
    if (header.apiVersion === "v1" && header.kind === "Secret") {
      const r = decodeSecret(manifest.object)
      // Never the decode message of a Secret: it could quote a value.
      if (r._tag === "Success") secrets.push({ object: r.success, namespace, source })
      else failed("not a Secret this plan can read (metadata, data and stringData of strings)")
      continue
    }
    skipped.push(what)
  }
  return { teams, users, keys, memberships, secrets, errors, skipped }
}

/** A value of a Secret manifest (`stringData` wins, as the API server merges them). */
export const secretValue = (secret: DeclaredSecret, key: string): string | undefined => {
  const plain = secret.stringData?.[key]
  if (plain !== undefined) return plain
  const encoded = secret.data?.[key]
  return encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8")
}

/** The policy of a connection Secret among the manifests; the defaults when it is not there. */
export const policyOf = (secret: DeclaredSecret | undefined) => connectionPolicyFrom(secret?.metadata.annotations ?? {})
