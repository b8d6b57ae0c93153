/**
 * A LiteLLM proxy simulator: an HTTP server on 127.0.0.1 that answers the
 * admin endpoints the operator uses the way litellm-api.md says LiteLLM does
 * (auth, status codes, the three error envelopes, server-computed fields,
 * uniqueness, cascades, pagination), with a version profile for the quirks
 * that changed between releases, and injectable faults.
 *
 * Tests drive it in-process through this service; other processes use the
 * admin routes (master key required):
 *   GET  /__sim/calls    → {"calls": {"POST /team/new": 2, ...}, "total": n}
 *   POST /__sim/calls/reset
 *   GET  /__sim/faults   → {"rules": [...]}
 *   POST /__sim/faults   ← {"rules": [FaultRule, ...]} (replaces the rules)
 *   POST /__sim/profile  ← partial Profile (merged)
 *   POST /__sim/clock    ← {"now": "<ISO instant>" | null} (freeze or unfreeze time)
 *   POST /__sim/reset    ← empties every table, faults, counters; profile back to the start
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { Socket } from "node:net"
import { Context, Effect, Layer, Option, Redacted, Schema, type Scope } from "effect"
import { type Caller, identify, infoRouteCheck, isAdmin, MASTER, onlyProxyAdmin, presentedKey } from "./Auth.ts"
import { resetDueBudgets } from "./dataPlane.ts"
import { ok, parse, type SimResponse, shapeA, shapeC } from "./Envelopes.ts"
import { type FaultRule, Faults, FaultsBody } from "./Faults.ts"
import { latestProfile, type Profile, ProfilePatch } from "./Profile.ts"
import { randomSeed, seeded } from "./Random.ts"
import { pathRoute, routes } from "./routes.ts"
import { type Ctx, emptyState, type Row, type State } from "./State.ts"

export type { FaultRule } from "./Faults.ts"
export { latestProfile, legacyProfile, type Profile } from "./Profile.ts"

export interface SimulatorOptions {
  readonly masterKey: Redacted.Redacted<string>
  /** 0 (default) picks a free port. */
  readonly port?: number
  /** Seeds ids, generated keys and fault dice. */
  readonly seed?: number
  readonly profile?: Partial<Profile>
}

/** Calls received per endpoint, keyed `"<METHOD> <path>"`. */
export type CallCounts = Readonly<Record<string, number>>

export interface Snapshot {
  readonly teams: ReadonlyArray<Row>
  readonly users: ReadonlyArray<Row>
  readonly keys: ReadonlyArray<Row>
  readonly memberships: ReadonlyArray<Row>
}

export class SimulatorError extends Schema.TaggedError<SimulatorError>()("SimulatorError", {
  message: Schema.String
}) {}

export class Simulator extends Context.Service<
  Simulator,
  {
    readonly url: string
    readonly port: number
    /** Replaces the fault rules. */
    setFaults(rules: ReadonlyArray<FaultRule>): Effect.Effect<void>
    readonly clearFaults: Effect.Effect<void>
    readonly calls: Effect.Effect<CallCounts>
    /** Calls to one path, all methods added up. */
    callsTo(path: string): Effect.Effect<number>
    readonly resetCalls: Effect.Effect<void>
    setProfile(profile: Partial<Profile>): Effect.Effect<void>
    /** Freezes the simulator's clock at an instant (epoch millis), or lets it run again. */
    setTime(millis: number | undefined): Effect.Effect<void>
    /** Copies of every table, as stored. */
    readonly snapshot: Effect.Effect<Snapshot>
    /** Empties the tables, faults and counters, and restores the starting profile. */
    readonly reset: Effect.Effect<void>
  }
>()("litellm-operator/litellm/Simulator") {
  /** Starts the server; it stops when the scope closes. */
  static readonly make = (
    options: SimulatorOptions
  ): Effect.Effect<Simulator["Service"], SimulatorError, Scope.Scope> =>
    Effect.acquireRelease(start(options), (running) => running.close).pipe(Effect.map((running) => running.api))

  static readonly layer = (options: SimulatorOptions) => Layer.effect(Simulator, Simulator.make(options))
}

interface Running {
  readonly api: Simulator["Service"]
  readonly close: Effect.Effect<void>
}

const json = (res: ServerResponse, response: SimResponse) => {
  const payload = JSON.stringify(response.body)
  res.writeHead(response.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    ...response.headers
  })
  res.end(payload)
}

/** The simulator's own admin routes take the master key only. */
const masterOnly = (req: IncomingMessage, masterKey: string): SimResponse | undefined => {
  const presented = presentedKey(req.headers)
  if (!presented.ok) return presented.response
  return presented.key === masterKey
    ? undefined
    : shapeA(401, "Authentication Error, Invalid proxy server token passed.", "auth_error")
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

const parseJson = (text: string): { ok: true; value: unknown } | { ok: false } => {
  const decoded = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Unknown))(text)
  return Option.isSome(decoded) ? { ok: true, value: decoded.value } : { ok: false }
}

const ClockBody = Schema.Struct({ now: Schema.NullOr(Schema.String) })

const start = (options: SimulatorOptions): Effect.Effect<Running, SimulatorError> =>
  Effect.callback<Running, SimulatorError>((resume) => {
    const masterKey = Redacted.value(options.masterKey)
    const seed = options.seed ?? randomSeed()
    const startProfile: Profile = { ...latestProfile, ...options.profile }
    let rng = seeded(seed)
    let state: State = emptyState()
    let profile: Profile = startProfile
    let frozenAt: number | undefined
    let lastSweep = Number.NEGATIVE_INFINITY
    let calls = new Map<string, number>()
    const faults = new Faults()
    const sockets = new Set<Socket>()

    const now = () => frozenAt ?? Date.now()
    const ctx = (caller: Caller = MASTER): Ctx => ({ state, profile, rng, now, caller })

    const admin = (method: string, path: string, body: unknown): SimResponse => {
      switch (`${method} ${path}`) {
        case "GET /__sim/calls":
          return ok({ calls: Object.fromEntries(calls), total: [...calls.values()].reduce((a, b) => a + b, 0) })
        case "POST /__sim/calls/reset":
          calls = new Map()
          return ok({ ok: true })
        case "GET /__sim/faults":
          return ok({ rules: faults.current })
        case "POST /__sim/faults": {
          const parsed = parse(FaultsBody, body)
          if (!parsed.ok) return parsed.response
          faults.set(parsed.value.rules)
          return ok({ rules: faults.current })
        }
        case "POST /__sim/profile": {
          const parsed = parse(ProfilePatch, body)
          if (!parsed.ok) return parsed.response
          profile = { ...profile, ...parsed.value }
          return ok(profile)
        }
        case "POST /__sim/clock": {
          const parsed = parse(ClockBody, body)
          if (!parsed.ok) return parsed.response
          frozenAt = parsed.value.now === null ? undefined : Date.parse(parsed.value.now)
          return ok({ now: new Date(frozenAt ?? Date.now()).toISOString() })
        }
        case "POST /__sim/reset":
          resetAll()
          return ok({ ok: true })
        default:
          return { status: 404, body: { detail: "Not Found" } }
      }
    }

    const resetAll = () => {
      state = emptyState()
      profile = startProfile
      rng = seeded(seed)
      frozenAt = undefined
      lastSweep = Number.NEGATIVE_INFINITY
      calls = new Map()
      faults.set([])
    }

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? "/", "http://simulator")
      const path = url.pathname.replace(/\/+$/, "") || "/"
      const method = req.method ?? "GET"
      const text = await readBody(req)
      const body = text.trim() === "" ? undefined : parseJson(text)
      if (body !== undefined && !body.ok) return json(res, shapeC("JSON decode error", ["body", 0]))
      const input = body?.value

      if (path.startsWith("/__sim/")) {
        const denied = masterOnly(req, masterKey)
        return json(res, denied ?? admin(method, path, input))
      }

      const name = `${method} ${path}`
      calls.set(name, (calls.get(name) ?? 0) + 1)

      const decision = faults.decide(path, rng)
      if (decision.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, decision.delayMs))
      switch (decision.outcome._tag) {
        case "Hang":
          return // never answered; the socket is closed when the client gives up or the simulator stops
        case "Drop":
          req.socket.destroy()
          return
        case "Error":
          return json(
            res,
            shapeA(decision.outcome.status, "Simulated fault: service unavailable", "internal_server_error")
          )
        case "RateLimit":
          return json(res, {
            ...shapeA(429, "Simulated fault: rate limited", "rate_limit_error"),
            headers: { "retry-after": String(decision.outcome.retryAfterSeconds) }
          })
        case "None":
          break
      }

      if (path === "/") return json(res, ok({ message: "LiteLLM simulator" }))
      const route = routes.get(path) ?? pathRoute(path)
      if (route === undefined) return json(res, { status: 404, body: { detail: "Not Found" } })
      if (route.method !== method) return json(res, { status: 405, body: { detail: "Method Not Allowed" } })
      // The budget job (LiteLLM runs it in the background): before a request, at most once per
      // second of the clock, so a large table is not swept on every call.
      const at = now()
      if (at - lastSweep >= 1000 || at < lastSweep) {
        lastSweep = at
        resetDueBudgets(ctx())
      }
      let caller: Caller = MASTER
      if (route.access !== "public") {
        const presented = presentedKey(req.headers)
        if (!presented.ok) return json(res, presented.response)
        const identified = identify(state, masterKey, presented.key, now())
        if ("status" in identified) return json(res, identified)
        caller = identified
        if (route.access === "admin" && !isAdmin(caller)) return json(res, onlyProxyAdmin(path, caller))
        if (route.access === "info") {
          const denied = infoRouteCheck(path, url.searchParams, caller)
          if (denied !== undefined) return json(res, denied)
        }
      }
      if (route.method === "POST" && input === undefined && !path.endsWith("/regenerate"))
        return json(res, shapeC("Field required", ["body"]))
      return json(res, route.handle(ctx(caller), url.searchParams, input))
    }

    const server = createServer((req, res) => {
      handle(req, res).catch((cause: unknown) => {
        // A handler bug answers like an uncaught exception in LiteLLM: a 500.
        if (!res.headersSent) json(res, shapeA(500, `Simulator error: ${String(cause)}`, "internal_server_error"))
      })
    })
    server.on("connection", (socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
    })

    const close = Effect.callback<void>((done) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => done(Effect.void))
    })

    server.once("error", (error) => resume(Effect.fail(new SimulatorError({ message: error.message }))))
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : (options.port ?? 0)
      const sync = <A>(f: () => A) => Effect.sync(f)
      const api = Simulator.of({
        url: `http://127.0.0.1:${port}`,
        port,
        setFaults: (rules) => sync(() => faults.set(rules)),
        clearFaults: sync(() => faults.set([])),
        calls: sync(() => Object.fromEntries(calls)),
        callsTo: (p) =>
          sync(() => [...calls.entries()].filter(([name]) => name.endsWith(` ${p}`)).reduce((n, [, c]) => n + c, 0)),
        resetCalls: sync(() => {
          calls = new Map()
        }),
        setProfile: (patch) =>
          sync(() => {
            profile = { ...profile, ...patch }
          }),
        setTime: (millis) =>
          sync(() => {
            frozenAt = millis
          }),
        snapshot: sync(() =>
          structuredClone({
            teams: state.teams.values(),
            users: state.users.values(),
            keys: state.keys.values(),
            memberships: state.memberships.values()
          })
        ),
        reset: sync(resetAll)
      })
      resume(Effect.succeed({ api, close }))
    })
  })
