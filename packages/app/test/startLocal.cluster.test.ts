/**
 * The README's main job (scripts/start.sh runs this entry after installing):
 * its own control plane, the simulator, the operator and the examples, all
 * Ready, printed; then it stops — with --once, or on Ctrl-C — and leaves no
 * process and no temporary directory behind.
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Effect, Redacted } from "effect"
import { isRunning, type Spawned, spawnNode, waitForOutput } from "./support/processes.ts"

const ENTRY = fileURLToPath(new URL("../src/local/startLocal.ts", import.meta.url))

/** No real LiteLLM from the caller's environment: this is the simulator run. */
const env = { LITELLM_URL: undefined, LITELLM_MASTER_KEY: undefined, LOG_LEVEL: undefined, HTTP_PORT: undefined }

const launcherOf = (output: string) => {
  const match = /control plane\s+kube-apiserver (v\S+) at (\S+) \(pid (\d+)\)/.exec(output)
  assert.isNotNull(match, output)
  return { version: match?.[1], pid: Number(match?.[3]) }
}

const dataDirOf = (output: string) => {
  const match = /kubectl --kubeconfig (\S+)\/kubeconfig get/.exec(output)
  assert.isNotNull(match, output)
  return match?.[1] ?? ""
}

/** What every run prints once the examples are Ready. */
const assertReport = (run: Spawned) => {
  const out = run.stdout()
  for (const [kind, name] of [
    ["Team", "default/search"],
    ["User", "default/alice"],
    ["VirtualKey", "default/search-indexer"],
    ["TeamMemberAssociation", "default/alice-in-search"]
  ] as const) {
    assert.match(out, new RegExp(`^${kind}\\s+${name}\\s+True\\s+Reconciled`, "m"), out)
  }
  assert.include(out, "Every example is Ready")
  assert.match(
    out,
    /LiteLLM teams \(1\):\nTEAM_ID\s+ALIAS\s+MODELS\s+MAX_BUDGET\s+MEMBERS\nk8s-\S+\s+search\s+gpt-4o,gpt-4o-mini\s+250/
  )
  assert.match(out, /LiteLLM users \(1\):\nUSER_ID.*\nk8s-\S+\s+alice@example\.com\s+internal_user\s+50/)
  assert.match(out, /LiteLLM keys \(2;/)
  assert.match(out, /^[0-9a-f]{12}…\s+search-indexer\s+.*default\/search-indexer-litellm-key$/m)
  assert.match(out, /^[0-9a-f]{12}…\s+alice-laptop\s+.*default\/alice-litellm-key$/m)
  // Never a key, the master key or a full token.
  assert.notMatch(out + run.stderr(), /sk-[A-Za-z0-9_-]{6,}/)
  assert.notMatch(out, /[0-9a-f]{64}/)
}

describe("the local main job", () => {
  it.live(
    "--once: everything Ready, printed, then stopped with nothing left behind",
    () =>
      Effect.gen(function* () {
        const run = yield* spawnNode(ENTRY, ["--once"], env)
        const code = yield* run.exited.pipe(Effect.timeout("150 seconds"))
        assert.strictEqual(code, 0, `${run.stdout()}\n${run.stderr()}`)
        assertReport(run)
        const launcher = launcherOf(run.stdout())
        assert.strictEqual(launcher.version, "v1.36.3")
        const dataDir = dataDirOf(run.stdout())
        assert.match(run.stdout(), /--once: stopping\.\nstopped: .*removed\)\.\n$/)
        assert.isFalse(isRunning(launcher.pid), `launcher ${launcher.pid} still running`)
        assert.isFalse(existsSync(dataDir), `${dataDir} still exists`)
      }).pipe(Effect.scoped),
    180_000
  )

  it.live(
    "runs until Ctrl-C, then stops everything and exits 0",
    () =>
      Effect.gen(function* () {
        const run = yield* spawnNode(ENTRY, [], env)
        yield* waitForOutput(run, "Press Ctrl-C", "150 seconds")
        assertReport(run)
        const launcher = launcherOf(run.stdout())
        const dataDir = dataDirOf(run.stdout())
        assert.isTrue(isRunning(launcher.pid))
        run.child.kill("SIGINT")
        const code = yield* run.exited.pipe(Effect.timeout("60 seconds"))
        assert.strictEqual(code, 0, run.stderr())
        assert.match(run.stdout(), /stopped: .*removed\)\.\n$/)
        assert.isFalse(isRunning(launcher.pid), `launcher ${launcher.pid} still running`)
        assert.isFalse(existsSync(dataDir), `${dataDir} still exists`)
      }).pipe(Effect.scoped),
    180_000
  )

  it.live(
    "with LITELLM_URL and LITELLM_MASTER_KEY it uses that LiteLLM, and removes what it created there when it stops",
    () =>
      Effect.gen(function* () {
        const masterKey = "sk-external-master-5Gk2Qp8Zr"
        const litellm = yield* Simulator.make({ masterKey: Redacted.make(masterKey), seed: 7 })
        const run = yield* spawnNode(ENTRY, ["--once"], {
          ...env,
          LITELLM_URL: litellm.url,
          LITELLM_MASTER_KEY: masterKey
        })
        const code = yield* run.exited.pipe(Effect.timeout("150 seconds"))
        assert.strictEqual(code, 0, `${run.stdout()}\n${run.stderr()}`)
        assert.include(run.stdout(), `LiteLLM         ${litellm.url} (from LITELLM_URL)`)
        assertReport(run)
        assert.include(run.stdout(), "removing the examples")
        assert.notInclude(run.stdout(), "could not remove")
        // Only LiteLLM's own default_user_id (made when a team is created with the master key) is left.
        const left = yield* litellm.snapshot
        assert.deepStrictEqual(
          {
            teams: left.teams.length,
            users: left.users.filter((u) => u.user_id !== "default_user_id").length,
            keys: left.keys.length
          },
          { teams: 0, users: 0, keys: 0 }
        )
      }).pipe(Effect.scoped),
    180_000
  )
})
