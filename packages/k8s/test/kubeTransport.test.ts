/**
 * The transport's credential headers: client-node is asked for them once per
 * TTL, not per request, and again at once after the API server answers 401.
 * A plain HTTP server on 127.0.0.1 stands in for the API server's front door
 * (only the Authorization header it receives is looked at).
 */
import { assert, describe, it } from "@effect/vitest"
import { KubeConfig, type RequestContext } from "@kubernetes/client-node"
import { Effect, References, Stream, Tracer } from "effect"
import { TestClock } from "effect/testing"
import { KubeTransport } from "../src/index.ts"
import { frontDoor, kubeconfigFor } from "./support/frontDoor.ts"

/** A kubeconfig whose credential changes on every read, counting the reads. */
class CountingConfig extends KubeConfig {
  reads = 0
  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    this.reads += 1
    context.setHeaderParam("Authorization", `Bearer token-${this.reads}`)
  }
}

/** Answers 200 with `{}`, or 401 to the tokens in `refused`; records the Authorization header of each request. */
const server = Effect.suspend(() => {
  const seen: Array<string> = []
  const refused = new Set<string>()
  return Effect.map(
    frontDoor((req, res) => {
      const auth = req.headers.authorization ?? ""
      seen.push(auth)
      res.writeHead(refused.has(auth) ? 401 : 200, { "content-type": "application/json" })
      res.end(refused.has(auth) ? '{"kind":"Status","code":401,"reason":"Unauthorized"}' : "{}")
    }),
    ({ url }) => ({ url, seen, refused })
  )
})

const configFor = (url: string) => kubeconfigFor(url, new CountingConfig())

const get = Effect.flatMap(KubeTransport, (t) => t.request({ method: "GET", path: "/api" }))

describe("KubeTransport credentials", () => {
  // The TTL is read from Effect's clock: the test clock moves it, so a slow machine cannot expire it early.
  it.effect("are read once for many requests, and again once the TTL has passed", () =>
    Effect.gen(function* () {
      const { url, seen } = yield* server
      const kc = configFor(url)
      yield* Effect.gen(function* () {
        for (let i = 0; i < 5; i++) yield* get
        assert.strictEqual(kc.reads, 1)
        yield* TestClock.adjust("250 millis")
        yield* get
        assert.strictEqual(kc.reads, 2)
      }).pipe(Effect.provide(KubeTransport.layerFromKubeConfig(kc, { credentialTtl: "200 millis" })))
      assert.deepStrictEqual(seen, [...Array(5).fill("Bearer token-1"), "Bearer token-2"])
    }).pipe(Effect.scoped)
  )

  it.live("are read again right after a 401", () =>
    Effect.gen(function* () {
      const { url, seen, refused } = yield* server
      const kc = configFor(url)
      yield* Effect.gen(function* () {
        yield* get
        refused.add("Bearer token-1")
        const error = yield* Effect.flip(get)
        assert.strictEqual(error.reason._tag, "Unauthorized")
        yield* get
      }).pipe(Effect.provide(KubeTransport.layerFromKubeConfig(kc, { credentialTtl: "1 hour" })))
      assert.strictEqual(kc.reads, 2)
      assert.deepStrictEqual(seen, ["Bearer token-1", "Bearer token-1", "Bearer token-2"])
    }).pipe(Effect.scoped)
  )
})

/**
 * A front door that answers nothing (`/silent`), stops halfway through a body (`/stall`), or sends a
 * watch's first line and then stays quiet (`/watch`), each for as long as the test lasts; `/trace` says
 * which trace context the request carried.
 */
const slowServer = frontDoor((req, res) => {
  if (req.url?.startsWith("/stall")) {
    res.writeHead(200, { "content-type": "application/json", "content-length": "100" })
    res.write('{"kind":')
  } else if (req.url?.startsWith("/trace")) {
    res.writeHead(200, { "content-type": "application/json" })
    res.end(JSON.stringify({ traceparent: req.headers.traceparent ?? null }))
  } else if (req.url?.startsWith("/watch")) {
    res.writeHead(200, { "content-type": "application/json" })
    res.write('{"type":"BOOKMARK"}\n')
  }
})

describe("KubeTransport timeouts", () => {
  const within = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      const started = Date.now()
      const result = yield* effect
      return { result, millis: Date.now() - started }
    })

  it.live("an answer that does not come, or stops halfway, fails as Unavailable after the request's timeout", () =>
    Effect.gen(function* () {
      const { url } = yield* slowServer
      yield* Effect.gen(function* () {
        const transport = yield* KubeTransport
        for (const path of ["/silent", "/stall"]) {
          const { result: error, millis } = yield* within(
            Effect.flip(transport.request({ method: "GET", path, timeout: "300 millis" }))
          )
          assert.strictEqual(error.reason._tag, "Unavailable", path)
          assert.include(error.message, "no answer within 300ms", path)
          assert.isAtLeast(millis, 250, path)
          assert.isBelow(millis, 3000, path)
        }
      }).pipe(Effect.provide(KubeTransport.layerFromKubeConfig(configFor(url))))
    }).pipe(Effect.scoped)
  )

  it.live("a watch's headers are waited for as long as its timeout; its body may then stay quiet longer", () =>
    Effect.gen(function* () {
      const { url } = yield* slowServer
      yield* Effect.gen(function* () {
        const transport = yield* KubeTransport
        const { result: error, millis } = yield* within(
          Effect.flip(Stream.runDrain(transport.lines({ method: "GET", path: "/silent", timeout: "300 millis" })))
        )
        assert.include(error.message, "no answer within 300ms")
        assert.isBelow(millis, 3000)
        // The first line arrives; nothing more within three timeouts does not end the stream.
        const lines = yield* transport
          .lines({ method: "GET", path: "/watch", timeout: "300 millis" })
          .pipe(Stream.interruptWhen(Effect.sleep("1 second")), Stream.runCollect)
        assert.deepStrictEqual(lines, ['{"type":"BOOKMARK"}'])
      }).pipe(Effect.provide(KubeTransport.layerFromKubeConfig(configFor(url))))
    }).pipe(Effect.scoped)
  )
})

describe("KubeTransport traces", () => {
  it.live("a request carries its client span's trace context when traces are kept, and none when not", () =>
    Effect.gen(function* () {
      const { url } = yield* slowServer
      const spans: Array<Tracer.Span> = []
      const tracer = Tracer.make({
        span(options) {
          const span = Tracer.nativeTracer.span(options)
          spans.push(span)
          return span
        }
      })
      const traced = yield* Effect.flatMap(KubeTransport, (t) => t.request({ method: "GET", path: "/trace" })).pipe(
        Effect.provide(KubeTransport.layerFromKubeConfig(configFor(url))),
        Effect.provideService(Tracer.Tracer, tracer)
      )
      const span = spans.find((s) => s.kind === "client" && s.name === "GET")
      assert.isDefined(span)
      assert.strictEqual(span?.attributes.get("http.response.status_code"), 200)
      assert.include(traced, `-${span?.spanId}-`)
      const untraced = yield* Effect.flatMap(KubeTransport, (t) => t.request({ method: "GET", path: "/trace" })).pipe(
        Effect.provide(KubeTransport.layerFromKubeConfig(configFor(url))),
        Effect.provideService(References.TracerEnabled, false)
      )
      assert.strictEqual(untraced, '{"traceparent":null}')
    }).pipe(Effect.scoped)
  )
})
