/**
 * No secret leaves the client: the master key and raw keys never appear in a
 * log line, in anything written to stdout/stderr, in a span attribute, or in
 * an error's message, string or JSON — across successes, LiteLLM errors,
 * timeouts and dropped connections.
 */

import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger, Redacted, References, Tracer } from "effect"
import { LiteLLMClient, tokenOfKeyOrToken as tokenOf } from "../src/LiteLLMClient.ts"
import { isLiteLLMError } from "../src/LiteLLMError.ts"
import { scrub } from "../src/Secrets.ts"
import { legacyProfile, Simulator } from "../src/simulator/Simulator.ts"
import { MASTER_KEY, simulatedClient } from "./support/fixtures.ts"

const RAW_1 = "sk-secret-first-Hq2Lm9Xw4Rt7"
const RAW_2 = "sk-secret-second-Pz8Kc3Vb6Nd1"
const RAW_UNKNOWN = "sk-secret-unknown-Jy5Fg0Ts2Wq"
const NOT_SK = "plain-secret-value-Mn4Bv7Cx"
const WRONG_MASTER = "sk-wrong-master-Gh6Jk9Lz3"
const SECRETS = [MASTER_KEY, RAW_1, RAW_2, RAW_UNKNOWN, NOT_SK, WRONG_MASTER]

interface Captured {
  readonly logs: Array<string>
  readonly output: Array<string>
  readonly spans: Array<Tracer.Span>
  readonly errors: Array<unknown>
}

/** A tracer that keeps every span it makes, to read their attributes afterwards. */
const recordingTracer = (spans: Array<Tracer.Span>) =>
  Tracer.make({
    span(options) {
      const span = Tracer.nativeTracer.span(options)
      spans.push(span)
      return span
    }
  })

/** Captures everything written to stdout and stderr while the scope is open. */
const captureOutput = (output: Array<string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const stdout = process.stdout.write.bind(process.stdout)
      const stderr = process.stderr.write.bind(process.stderr)
      const tap =
        (write: typeof stdout): typeof stdout =>
        (chunk: string | Uint8Array, ...rest: Array<never>) => {
          output.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"))
          return write(chunk, ...rest)
        }
      process.stdout.write = tap(stdout)
      process.stderr.write = tap(stderr)
      return { stdout, stderr }
    }),
    ({ stdout, stderr }) =>
      Effect.sync(() => {
        process.stdout.write = stdout
        process.stderr.write = stderr
      })
  )

/** Runs `effect`, keeping its failure for inspection instead of failing the test. */
const keep = <A, E, R>(captured: Captured, effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.tapError((error) => Effect.sync(() => captured.errors.push(error))),
    Effect.tapError((error) => Effect.logError("call failed", error)),
    Effect.ignore
  )

const scenario = (captured: Captured) =>
  Effect.gen(function* () {
    const client = yield* LiteLLMClient
    const sim = yield* Simulator
    yield* captureOutput(captured.output)
    yield* keep(captured, client.keyGenerate(Redacted.make(RAW_1), { key_alias: "shared" }))
    yield* keep(
      captured,
      client.execute({
        _tag: "KeyGenerate",
        key: Redacted.make(RAW_2),
        token: tokenOf(RAW_2),
        fields: { key_alias: "shared" }
      })
    )
    yield* keep(captured, client.keyGenerate(Redacted.make(NOT_SK)))
    yield* keep(captured, client.keyUpdate(RAW_1, { max_budget: 1 }))
    yield* keep(captured, client.keyInfo(RAW_1))
    yield* keep(captured, client.keyBlock(RAW_UNKNOWN))
    yield* keep(captured, client.keyUpdate(RAW_UNKNOWN, { max_budget: 1 }))
    const wrong = yield* LiteLLMClient.make({ url: sim.url, masterKey: Redacted.make(WRONG_MASTER) })
    yield* keep(captured, wrong.teamInfo("t"))
    yield* keep(captured, wrong.keyBlock(RAW_1))
    yield* sim.setFaults([
      { endpoint: "/team/info", kind: "hang" },
      { endpoint: "/key/info", kind: "drop" },
      { endpoint: "/key/generate", kind: "error", status: 503 }
    ])
    yield* keep(captured, client.teamInfo("t"))
    yield* keep(captured, client.keyInfo(RAW_1))
    yield* keep(captured, client.keyGenerate(Redacted.make(RAW_UNKNOWN)))
  }).pipe(
    Effect.scoped,
    Effect.provide(simulatedClient({ profile: legacyProfile }, { timeout: "150 millis" })),
    Effect.provide(NodeHttpClient.dispatcherLayerGlobal),
    Effect.provide(
      Logger.layer([Logger.make((options) => captured.logs.push(Logger.formatLogFmt.log(options)))], {
        mergeWithExisting: true
      })
    ),
    Effect.provideService(References.MinimumLogLevel, "All"),
    Effect.provideService(Tracer.Tracer, recordingTracer(captured.spans))
  )

const spanText = (span: Tracer.Span) =>
  JSON.stringify({ name: span.name, attributes: Object.fromEntries(span.attributes) })

describe("secrets", () => {
  it.live("never reach logs, output, spans or errors", () =>
    Effect.gen(function* () {
      const captured: Captured = { logs: [], output: [], spans: [], errors: [] }
      yield* scenario(captured)

      // The scenario did exercise failures, logs and spans.
      assert.isAtLeast(captured.errors.length, 8)
      assert.isTrue(captured.errors.every(isLiteLLMError))
      assert.isAtLeast(captured.logs.length, 8)
      // The client spans of the calls (which record no header, so no credential, and no query).
      assert.isTrue(captured.spans.some((s) => s.kind === "client" && s.attributes.has("http.request.method")))
      const reasons = captured.errors.flatMap((e) => (isLiteLLMError(e) ? [e.reason._tag] : []))
      for (const tag of ["AlreadyExists", "Invalid", "NotFound", "Unauthorized", "Unavailable"])
        assert.include(reasons, tag)

      const texts = [
        ...captured.logs,
        ...captured.output,
        ...captured.spans.map(spanText),
        ...captured.errors.flatMap((e) => [String(e), JSON.stringify(e), e instanceof Error ? e.message : ""])
      ]
      for (const secret of SECRETS)
        for (const text of texts) assert.notInclude(text, secret, `a secret leaked into: ${text.slice(0, 200)}`)
    })
  )

  it("scrub removes known secrets and anything key-shaped", () => {
    const text = `Authentication Error: invalid user key - user key does not exist in db. User Key=${RAW_1}; master=${NOT_SK}`
    const clean = scrub(text, [Redacted.make(NOT_SK)])
    assert.notInclude(clean, RAW_1)
    assert.notInclude(clean, NOT_SK)
    assert.include(clean, "User Key=<redacted>")
  })
})
