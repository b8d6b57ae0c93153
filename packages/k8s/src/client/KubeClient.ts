/**
 * Typed access to the API server for the operator, generic over kinds (as
 * controller-runtime's client is): objects decoded by their schema on the way
 * in, status written through the status subresource with a JSON merge patch.
 * Every failure is a `KubeError` with a tagged reason.
 *
 * The helpers that know what they write live beside it, over these verbs (as
 * controller-runtime's controllerutil does): finalizers (`Finalizers.ts`),
 * owned Secrets (`OwnedSecrets.ts`), owner references (`OwnerReferences.ts`),
 * and the one conflict retry they share (`retryOnConflict.ts`). The service
 * carries them bound to its verbs, so a caller holds one handle.
 */
import { parseJson, spanIfTraced } from "@litellm-operator/core"
import { Cause, Context, type Duration, Effect, Exit, Layer, Option, Schema, Stream } from "effect"
import type { CustomObject, CustomResourceType } from "../api/CustomResources.ts"
import type { KubeObject, ObjectKey, OwnerReference } from "../api/ObjectMeta.ts"
import type { ResourceType } from "../api/ResourceType.ts"
import { acceptOf, apiVersionOf, collectionPath, objectPath } from "../api/ResourceType.ts"
import { Status } from "../api/Status.ts"
import { type Finalizers, finalizersOn } from "./Finalizers.ts"
import { KubeError, Malformed, reasonFromStatus } from "./KubeError.ts"
import { ContentType, KubeTransport } from "./KubeTransport.ts"
import { type OwnedSecrets, ownedSecretsOn } from "./OwnedSecrets.ts"

export interface ListOptions {
  /** All namespaces when left out. */
  readonly namespace?: string
  readonly labelSelector?: string
  readonly fieldSelector?: string
  /**
   * Objects a page asks for (default 500). Fewer for objects whose size someone else decides: a Secret may
   * hold 1 MiB, and a page is held whole while it is read.
   */
  readonly pageSize?: number
  /**
   * Applied to each object as it arrives, before it is decoded: what it leaves out (what no reader needs,
   * which someone else may have made large) is never decoded, nor held longer than its page or event.
   */
  readonly prune?: (raw: unknown) => unknown
}

/** An object the server returned that does not match its schema. */
export interface MalformedObject {
  readonly key: ObjectKey | undefined
  readonly resourceVersion: string | undefined
  readonly message: string
}

export interface ListResult<A> {
  readonly items: ReadonlyArray<A>
  readonly malformed: ReadonlyArray<MalformedObject>
  /** The collection's resourceVersion, to watch from. */
  readonly resourceVersion: string
}

export interface WatchOptions extends ListOptions {
  /** Where to start; ignored with `sendInitialEvents` (which starts from the current state). */
  readonly resourceVersion: string
  /** The server ends the watch after this long (a fresh watch then resumes from the last resourceVersion). */
  readonly timeoutSeconds?: number
  /**
   * A list as a watch (the API server's streaming list): first every object as its own ADDED event, then a
   * BOOKMARK with `initialEventsEnd`, then changes as in any watch.
   */
  readonly sendInitialEvents?: boolean
}

export type WatchEvent<A> =
  | { readonly type: "ADDED" | "MODIFIED" | "DELETED"; readonly object: A }
  /** `initialEventsEnd`: the last of a streaming list's initial events has come. */
  | { readonly type: "BOOKMARK"; readonly resourceVersion: string; readonly initialEventsEnd: boolean }
  | { readonly type: "MALFORMED"; readonly object: MalformedObject }

/** `metadata` for an object to create: the server fills in uid, resourceVersion, generation. */
export interface NewObjectMeta {
  readonly name: string
  readonly namespace: string
  readonly labels?: Readonly<Record<string, string>>
  readonly annotations?: Readonly<Record<string, string>>
  readonly finalizers?: ReadonlyArray<string>
  readonly ownerReferences?: ReadonlyArray<OwnerReference>
}

/** An object to create, in its JSON form; apiVersion and kind come from the resource type. */
export type NewObject<I> = Omit<I, "apiVersion" | "kind" | "metadata" | "status"> & {
  readonly metadata: NewObjectMeta
}

const PAGE_SIZE = 500

/** A list's pages as one result: every item and every malformed object, and the last page's resourceVersion. */
export const collectPages = <A, E, R>(pages: Stream.Stream<ListResult<A>, E, R>): Effect.Effect<ListResult<A>, E, R> =>
  Stream.runFold(
    pages,
    (): { items: Array<A>; malformed: Array<MalformedObject>; resourceVersion: string } => ({
      items: [],
      malformed: [],
      resourceVersion: ""
    }),
    (all, page) => {
      all.items.push(...page.items)
      all.malformed.push(...page.malformed)
      all.resourceVersion = page.resourceVersion
      return all
    }
  )

const ListBody = Schema.Struct({
  metadata: Schema.Struct({
    resourceVersion: Schema.String,
    continue: Schema.optionalKey(Schema.String)
  }),
  items: Schema.NullOr(Schema.Array(Schema.Unknown))
})
const WatchLine = Schema.Struct({
  type: Schema.Literals(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]),
  object: Schema.Unknown
})
const LooseMeta = Schema.Struct({
  metadata: Schema.Struct({
    name: Schema.String,
    namespace: Schema.optionalKey(Schema.String),
    resourceVersion: Schema.optionalKey(Schema.String)
  })
})
const decodeLooseMeta = Schema.decodeUnknownOption(LooseMeta)
/** A bookmark's object: only a resourceVersion (no name), and the annotation that ends a streaming list. */
const BookmarkObject = Schema.Struct({
  metadata: Schema.Struct({
    resourceVersion: Schema.String,
    annotations: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
  })
})
const decodeBookmark = Schema.decodeUnknownOption(BookmarkObject)
const initialEventsEndAnnotation = "k8s.io/initial-events-end"
const decodeStatus = Schema.decodeUnknownOption(Status)

/** For a write that should give up sooner than the transport's default timeout (e.g. a best-effort Event). */
export interface WriteOptions {
  readonly timeout?: Duration.Input
}

/** The generic verbs: what the API server offers for any kind. */
export interface KubeVerbs {
  get<A extends KubeObject, I>(type: ResourceType<A, I>, key: ObjectKey): Effect.Effect<A, KubeError>
  /** Every page; objects that do not decode are reported in `malformed`, not failed on. */
  list<A extends KubeObject, I>(
    type: ResourceType<A, I>,
    options?: ListOptions
  ): Effect.Effect<ListResult<A>, KubeError>
  /**
   * The same pages one at a time, each decoded when it is pulled (`list` is
   * their fold): a caller that keeps less than every decoded object (a cache
   * keeping its own copies) never holds a whole large collection twice. The
   * last page's `resourceVersion` is the collection's, to watch from.
   */
  listPages<A extends KubeObject, I>(
    type: ResourceType<A, I>,
    options?: ListOptions
  ): Stream.Stream<ListResult<A>, KubeError>
  /** One watch connection with bookmarks; an `ERROR` event (e.g. 410 Gone) fails the stream. */
  watch<A extends KubeObject, I>(
    type: ResourceType<A, I>,
    options: WatchOptions
  ): Stream.Stream<WatchEvent<A>, KubeError>
  create<A extends KubeObject, I>(
    type: ResourceType<A, I>,
    object: NewObject<I>,
    options?: WriteOptions
  ): Effect.Effect<A, KubeError>
  /** PUT: `metadata.resourceVersion` is the precondition. */
  replace<A extends KubeObject, I>(type: ResourceType<A, I>, object: A): Effect.Effect<A, KubeError>
  /** A JSON merge patch of the object (not its status). */
  mergePatch<A extends KubeObject, I>(
    type: ResourceType<A, I>,
    key: ObjectKey,
    patch: Readonly<Record<string, unknown>>,
    options?: WriteOptions
  ): Effect.Effect<A, KubeError>
  /** Deleting what is already gone succeeds. */
  delete<A extends KubeObject, I>(
    type: ResourceType<A, I>,
    key: ObjectKey,
    preconditions?: { readonly uid?: string; readonly resourceVersion?: string }
  ): Effect.Effect<void, KubeError>
  /**
   * Writes `status` through the status subresource (merge patch). Top-level
   * fields of `previous` that `status` no longer has are cleared; with
   * `resourceVersion`, a newer object fails with Conflict.
   */
  patchStatus<A extends CustomObject<St>, St, I>(
    type: CustomResourceType<A, St, I>,
    key: ObjectKey,
    status: St,
    options?: { readonly previous?: St | undefined; readonly resourceVersion?: string }
  ): Effect.Effect<A, KubeError>
}

export class KubeClient extends Context.Service<KubeClient, KubeVerbs & Finalizers & OwnedSecrets>()(
  "litellm-operator/k8s/KubeClient"
) {
  static readonly layerNoDeps = Layer.effect(
    KubeClient,
    Effect.gen(function* () {
      return yield* make(yield* KubeTransport)
    })
  )

  static readonly layerFromFile = (kubeconfig: string) =>
    KubeClient.layerNoDeps.pipe(Layer.provideMerge(KubeTransport.layerFromFile(kubeconfig)))

  static readonly layerDefault = KubeClient.layerNoDeps.pipe(Layer.provideMerge(KubeTransport.layerDefault))
}

const make = Effect.fnUntraced(function* (transport: KubeTransport["Service"]) {
  const malformed = (operation: string, message: string) =>
    new KubeError({ operation, reason: new Malformed({ message }) })

  /** Adds apiVersion/kind where the server leaves them out (items of built-in lists). */
  const withTypeMeta = (type: ResourceType<KubeObject>, u: unknown): unknown =>
    typeof u === "object" && u !== null && !Array.isArray(u)
      ? { apiVersion: apiVersionOf(type), kind: type.kind, ...u }
      : u

  // Decoding is synchronous, its result an Exit (an effect that is already done): for every answer and watch
  // event, one runtime step, where decoding as an effect took a dozen and more.
  const decodeObject = <A extends KubeObject, I>(
    type: ResourceType<A, I>,
    operation: string,
    u: unknown
  ): Exit.Exit<A, KubeError> => {
    const decoded = Schema.decodeUnknownExit(type.schema)(withTypeMeta(type, u))
    if (Exit.isSuccess(decoded)) return Exit.succeed(decoded.value)
    const error = Exit.findErrorOption(decoded)
    // Anything but a schema's error (a transformation that threw) is a bug: it stays a defect.
    if (Option.isNone(error)) return Exit.die(Cause.squash(decoded.cause))
    return Exit.fail(
      malformed(
        operation,
        type.sensitive === true ? `a ${type.kind} that does not match its schema` : error.value.message
      )
    )
  }

  /** The JSON value of a text, decoded by `schema`; `what` names the text when it is not that. */
  const parseAs = <A, I>(
    schema: Schema.Codec<A, I>,
    operation: string,
    what: string,
    text: string
  ): Exit.Exit<A, KubeError> => {
    const value = parseJson(text)
    if (Option.isNone(value)) return Exit.fail(malformed(operation, what))
    const decoded = Schema.decodeUnknownExit(schema)(value.value)
    return Exit.isSuccess(decoded) ? Exit.succeed(decoded.value) : Exit.fail(malformed(operation, what))
  }

  const describeMalformed = (type: ResourceType<KubeObject>, u: unknown, message: string): MalformedObject => {
    const meta = Option.getOrUndefined(decodeLooseMeta(u))?.metadata
    return {
      key: meta?.namespace === undefined ? undefined : { namespace: meta.namespace, name: meta.name },
      resourceVersion: meta?.resourceVersion,
      message: type.sensitive === true ? `a ${type.kind} that does not match its schema` : message
    }
  }

  const send = Effect.fnUntraced(function* <A extends KubeObject, I>(
    type: ResourceType<A, I>,
    request: Parameters<typeof transport.request>[0]
  ): Effect.fn.Return<A, KubeError> {
    const operation = `${request.method} ${request.path}`
    const text = yield* transport.request({ ...request, sensitive: type.sensitive === true })
    return yield* decodeObject(type, operation, yield* parseAs(Schema.Unknown, operation, "not JSON", text))
  })

  const get = Effect.fnUntraced(function* <A extends KubeObject, I>(
    type: ResourceType<A, I>,
    key: ObjectKey
  ): Effect.fn.Return<A, KubeError> {
    return yield* send(type, { method: "GET", path: objectPath(type, key), accept: acceptOf(type, "object") })
  }, spanIfTraced("KubeClient.get"))

  const listPages = <A extends KubeObject, I>(
    type: ResourceType<A, I>,
    options?: ListOptions
  ): Stream.Stream<ListResult<A>, KubeError> => {
    const path = collectionPath(type, options?.namespace)
    const operation = `GET ${path}`
    // The state is the continue token of the next page; the first page has none.
    return Stream.paginate<string | undefined, ListResult<A>, KubeError>(undefined, (next) =>
      Effect.gen(function* () {
        const text = yield* transport.request({
          method: "GET",
          path,
          query: {
            labelSelector: options?.labelSelector,
            fieldSelector: options?.fieldSelector,
            limit: options?.pageSize ?? PAGE_SIZE,
            continue: next
          },
          accept: acceptOf(type, "list"),
          sensitive: type.sensitive === true
        })
        const page = yield* parseAs(ListBody, operation, "not a list", text)
        const items: Array<A> = []
        const bad: Array<MalformedObject> = []
        for (const item of page.items ?? []) {
          const raw = options?.prune === undefined ? item : options.prune(item)
          const decoded = decodeObject(type, operation, raw)
          if (Exit.isSuccess(decoded)) {
            items.push(decoded.value)
            continue
          }
          const error = Exit.findErrorOption(decoded)
          if (Option.isNone(error)) return yield* Effect.failCause(decoded.cause)
          bad.push(describeMalformed(type, raw, error.value.reason.message))
        }
        const cont = page.metadata.continue === "" ? undefined : page.metadata.continue
        const result: ListResult<A> = { items, malformed: bad, resourceVersion: page.metadata.resourceVersion }
        return [[result], cont === undefined ? Option.none() : Option.some(cont)] as const
      })
    )
  }

  const list = Effect.fnUntraced(function* <A extends KubeObject, I>(
    type: ResourceType<A, I>,
    options?: ListOptions
  ): Effect.fn.Return<ListResult<A>, KubeError> {
    return yield* collectPages(listPages(type, options))
  }, spanIfTraced("KubeClient.list"))

  const watch = <A extends KubeObject, I>(
    type: ResourceType<A, I>,
    options: WatchOptions
  ): Stream.Stream<WatchEvent<A>, KubeError> => {
    const path = collectionPath(type, options.namespace)
    const operation = `WATCH ${path}`
    return transport
      .lines({
        method: "GET",
        path,
        query: {
          watch: true,
          allowWatchBookmarks: true,
          ...(options.sendInitialEvents === true
            ? { sendInitialEvents: true, resourceVersionMatch: "NotOlderThan" }
            : { resourceVersion: options.resourceVersion }),
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          timeoutSeconds: options.timeoutSeconds
        },
        accept: acceptOf(type, "object"),
        sensitive: type.sensitive === true
      })
      .pipe(
        Stream.filter((line) => line.trim().length > 0),
        // Synchronous: an Exit per line (a generator per line cost some ten runtime steps more, for every event).
        Stream.mapEffect((line): Exit.Exit<WatchEvent<A>, KubeError> => {
          const parsed = parseAs(WatchLine, operation, "a watch event that is not JSON", line)
          if (Exit.isFailure(parsed)) return Exit.failCause(parsed.cause)
          const event = parsed.value
          switch (event.type) {
            case "ERROR": {
              const status = Option.getOrUndefined(decodeStatus(event.object)) ?? {}
              return Exit.fail(
                new KubeError({
                  operation,
                  ...(status.code === undefined ? {} : { status: status.code }),
                  reason: reasonFromStatus(status)
                })
              )
            }
            case "BOOKMARK": {
              const meta = Option.getOrUndefined(decodeBookmark(event.object))?.metadata
              return Exit.succeed({
                type: "BOOKMARK",
                resourceVersion: meta?.resourceVersion ?? options.resourceVersion,
                initialEventsEnd: meta?.annotations?.[initialEventsEndAnnotation] === "true"
              })
            }
            default: {
              const raw = options.prune === undefined ? event.object : options.prune(event.object)
              const decoded = decodeObject(type, operation, raw)
              if (Exit.isSuccess(decoded)) return Exit.succeed({ type: event.type, object: decoded.value })
              const error = Exit.findErrorOption(decoded)
              if (Option.isNone(error)) return Exit.failCause(decoded.cause)
              return Exit.succeed({
                type: "MALFORMED",
                object: describeMalformed(type, raw, error.value.reason.message)
              })
            }
          }
        })
      )
  }

  const create = Effect.fnUntraced(function* <A extends KubeObject, I>(
    type: ResourceType<A, I>,
    object: NewObject<I>,
    options?: WriteOptions
  ): Effect.fn.Return<A, KubeError> {
    return yield* send(type, {
      method: "POST",
      path: collectionPath(type, object.metadata.namespace),
      body: { ...object, apiVersion: apiVersionOf(type), kind: type.kind },
      ...(options?.timeout === undefined ? {} : { timeout: options.timeout })
    })
  }, spanIfTraced("KubeClient.create"))

  const encode = <A extends KubeObject, I>(type: ResourceType<A, I>, operation: string, object: A) =>
    Schema.encodeEffect(type.schema)(object).pipe(
      Effect.mapError((error) =>
        malformed(operation, type.sensitive === true ? `a ${type.kind} that cannot be encoded` : error.message)
      )
    )

  const replace = Effect.fnUntraced(function* <A extends KubeObject, I>(
    type: ResourceType<A, I>,
    object: A
  ): Effect.fn.Return<A, KubeError> {
    const path = objectPath(type, object.metadata)
    const body = yield* encode(type, `PUT ${path}`, object)
    return yield* send(type, { method: "PUT", path, body })
  }, spanIfTraced("KubeClient.replace"))

  const mergePatch = Effect.fnUntraced(function* <A extends KubeObject, I>(
    type: ResourceType<A, I>,
    key: ObjectKey,
    patch: Readonly<Record<string, unknown>>,
    options?: WriteOptions
  ): Effect.fn.Return<A, KubeError> {
    return yield* send(type, {
      method: "PATCH",
      path: objectPath(type, key),
      body: patch,
      contentType: ContentType.mergePatch,
      ...(options?.timeout === undefined ? {} : { timeout: options.timeout })
    })
  }, spanIfTraced("KubeClient.mergePatch"))

  const del = Effect.fnUntraced(function* <A extends KubeObject, I>(
    type: ResourceType<A, I>,
    key: ObjectKey,
    preconditions?: { readonly uid?: string; readonly resourceVersion?: string }
  ): Effect.fn.Return<void, KubeError> {
    yield* transport
      .request({
        method: "DELETE",
        path: objectPath(type, key),
        ...(preconditions === undefined ? {} : { body: { kind: "DeleteOptions", apiVersion: "v1", preconditions } })
      })
      .pipe(Effect.catchReason("KubeError", "NotFound", () => Effect.void))
  }, spanIfTraced("KubeClient.delete"))

  const patchStatus = Effect.fnUntraced(function* <A extends CustomObject<St>, St, I>(
    type: CustomResourceType<A, St, I>,
    key: ObjectKey,
    status: St,
    options?: { readonly previous?: St | undefined; readonly resourceVersion?: string }
  ): Effect.fn.Return<A, KubeError> {
    const path = `${objectPath(type, key)}/status`
    const encode = Schema.encodeUnknownEffect(type.status)
    const next = yield* encode(status).pipe(Effect.mapError((e) => malformed(`PATCH ${path}`, e.message)))
    const previous =
      options?.previous === undefined
        ? undefined
        : yield* encode(options.previous).pipe(Effect.mapError((e) => malformed(`PATCH ${path}`, e.message)))
    // A merge patch keeps fields it does not mention: clear the ones the new status dropped.
    const cleared =
      typeof previous === "object" && previous !== null && typeof next === "object" && next !== null
        ? Object.fromEntries(Object.keys(previous).flatMap((k) => (k in next ? [] : [[k, null]])))
        : {}
    const body: Record<string, unknown> = { status: { ...cleared, ...(typeof next === "object" ? next : {}) } }
    if (options?.resourceVersion !== undefined) body.metadata = { resourceVersion: options.resourceVersion }
    return yield* send(type, { method: "PATCH", path, body, contentType: ContentType.mergePatch })
  }, spanIfTraced("KubeClient.patchStatus"))

  const verbs: KubeVerbs = { get, list, listPages, watch, create, replace, mergePatch, delete: del, patchStatus }
  return KubeClient.of({ ...verbs, ...finalizersOn(verbs), ...ownedSecretsOn(verbs) })
})
