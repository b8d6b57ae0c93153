/**
 * `plan` and `export` through the operator's own entry (src/main.ts, as the
 * bundle runs it) against the LiteLLM simulator: what plan says of the
 * examples, its exit statuses, --prune and --output json; export of a
 * populated LiteLLM adopts everything unchanged; and neither ever writes.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, layer } from "@effect/vitest"
import { ownerMarker, ownerMetadataKey } from "@litellm-operator/core"
import { LiteLLMClient } from "@litellm-operator/litellm"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Effect, Redacted, Schema } from "effect"
import { PlanReport } from "../src/cli/plan.ts"
import { spawnNode } from "./support/processes.ts"

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url))
const EXAMPLES = fileURLToPath(new URL("../../../examples", import.meta.url))
const MASTER_KEY = "sk-plan-master-Zq81hTb3LmW0"
const masterKey = Redacted.make(MASTER_KEY)

/** Runs `main.ts <args>` with the master key in the environment; its exit code and output. */
const cli = (args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) =>
  Effect.gen(function* () {
    const run = yield* spawnNode(MAIN, args, { LITELLM_MASTER_KEY: MASTER_KEY, ...env })
    const code = yield* run.exited.pipe(Effect.timeout("60 seconds"))
    const output = { code, stdout: run.stdout(), stderr: run.stderr() }
    // Never the master key, never a key value, whatever the command printed.
    assert.notInclude(output.stdout + output.stderr, MASTER_KEY)
    assert.notMatch(output.stdout + output.stderr, /sk-[A-Za-z0-9_-]{8,}/)
    return output
  }).pipe(Effect.scoped)

const decodeReport = Schema.decodeUnknownSync(Schema.fromJsonString(PlanReport))

/** Every call the simulator received that is not a read. */
const writesOf = (calls: Readonly<Record<string, number>>) =>
  Object.entries(calls).filter(([call]) => !call.startsWith("GET ") && !call.endsWith("/list"))

const clientFor = Effect.gen(function* () {
  const sim = yield* Simulator
  return yield* LiteLLMClient.make({ url: sim.url, masterKey, timeout: "5 seconds" })
}).pipe(Effect.provide(NodeHttpClient.dispatcherLayerGlobal))

const tempDir = () => mkdtempSync(join(tmpdir(), "litellm-plan-"))

describe("plan and export against the simulator", () => {
  layer(Simulator.layer({ masterKey, seed: 3, profile: { enterprise: true } }), { excludeTestServices: true })((it) => {
    it.effect(
      "plan of the examples on an empty LiteLLM: every create the operator makes, field by field; exit 2; no write",
      () =>
        Effect.gen(function* () {
          const sim = yield* Simulator
          yield* sim.reset
          const text = yield* cli(["plan", "-f", EXAMPLES, "--connection", sim.url])
          assert.strictEqual(text.code, 2, text.stderr)
          assert.include(text.stdout, "+ create  Team default/search")
          assert.include(text.stdout, '      + team_alias: "search"')
          assert.include(text.stdout, "      + max_budget: 250")
          assert.include(text.stdout, "Plan: 4 to create, 0 to change")
          const json = yield* cli(["plan", "-f", EXAMPLES, "--connection", sim.url, "--output", "json"])
          assert.strictEqual(json.code, 2, json.stderr)
          const report = decodeReport(json.stdout)
          assert.deepStrictEqual(
            report.objects.map((o) => [o.kind, o.name, o.result, o.calls.map((c) => c.call)]),
            [
              ["Team", "search", "create", ["POST /team/new"]],
              ["User", "alice", "create", ["POST /user/new", "POST /key/generate"]],
              ["VirtualKey", "search-indexer", "create", ["POST /key/generate"]],
              ["TeamMemberAssociation", "alice-in-search", "create", ["POST /team/member_add"]]
            ]
          )
          const team = report.objects[0]?.calls[0]?.changes ?? []
          assert.deepStrictEqual(
            team.find((c) => c.field === "models"),
            { field: "models", after: ["gpt-4o", "gpt-4o-mini"] }
          )
          assert.deepStrictEqual(writesOf(yield* sim.calls), [], "plan wrote to LiteLLM")
          assert.deepStrictEqual(yield* sim.snapshot, { teams: [], users: [], keys: [], memberships: [] })
        }),
      120_000
    )

    it.effect(
      "plan refuses a deletion-policy annotation the operator does not take, as the operator does (exit 1)",
      () =>
        Effect.gen(function* () {
          const sim = yield* Simulator
          yield* sim.reset
          const dir = tempDir()
          const team = readFileSync(join(EXAMPLES, "10-team.yaml"), "utf8").replace(
            "  namespace: default\n",
            '  namespace: default\n  annotations:\n    auth.litellm.ai/deletion-policy: "orphan"\n'
          )
          assert.include(team, "deletion-policy")
          writeFileSync(join(dir, "team.yaml"), team)
          writeFileSync(join(dir, "connection.yaml"), readFileSync(join(EXAMPLES, "00-connection-secret.yaml"), "utf8"))
          const text = yield* cli(["plan", "-f", dir, "--connection", sim.url])
          assert.strictEqual(text.code, 1, text.stdout + text.stderr)
          assert.include(text.stdout, "! refused  Team default/search")
          assert.include(
            text.stdout,
            'InvalidSpec: annotation auth.litellm.ai/deletion-policy must be "Delete" or "Orphan"'
          )
          assert.deepStrictEqual(writesOf(yield* sim.calls), [], "plan wrote to LiteLLM")
        }),
      120_000
    )

    it.effect(
      "export of a populated LiteLLM, then plan of the result: nothing changes but the owner markers (exit 0); neither writes",
      () =>
        Effect.gen(function* () {
          const sim = yield* Simulator
          yield* sim.reset
          const client = yield* clientFor
          // Made by hand, as before the operator: no owner markers.
          yield* client.teamNew("team-ml", {
            team_alias: "ml",
            models: ["gpt-4o"],
            max_budget: 120.5,
            budget_duration: "30d",
            rpm_limit: 100,
            metadata: { "cost-center": "cc-7" }
          })
          yield* client.teamNew("team-ops", { team_alias: "ops", tpm_limit: 5000 })
          yield* client.userNew("u-bob", {
            user_email: "bob@example.com",
            user_role: "internal_user",
            max_budget: 10,
            models: ["gpt-4o-mini"]
          })
          yield* client.userNew("u-carol", { user_email: "carol@example.com", user_alias: "Carol" })
          yield* client.teamMemberAdd({ teamId: "team-ml", userId: "u-bob", role: "admin", maxBudgetInTeam: 7 })
          yield* client.teamMemberAdd({ teamId: "team-ops", userId: "u-carol", role: "user" })
          yield* client.keyGenerate(Redacted.make("sk-hand-made-key-0001-abcdefgh"), {
            key_alias: "ml-batch",
            team_id: "team-ml",
            models: ["gpt-4o"],
            max_budget: 3,
            metadata: { workload: "batch" }
          })
          yield* client.keyGenerate(Redacted.make("sk-hand-made-key-0002-abcdefgh"), {
            key_alias: "bob-laptop",
            user_id: "u-bob",
            rpm_limit: 20
          })
          const before = yield* sim.snapshot
          yield* sim.resetCalls

          const dir = tempDir()
          const file = join(dir, "exported.yaml")
          const exported = yield* cli(["export", "--connection", sim.url, "--out", file])
          assert.strictEqual(exported.code, 0, exported.stderr)
          assert.include(exported.stderr, "exported 2 teams, 2 users, 2 keys (no key values), 2 memberships")

          const planned = yield* cli(["plan", "-f", file, "--connection", sim.url, "-o", "json"])
          const report = decodeReport(planned.stdout)
          assert.strictEqual(planned.code, 0, `${planned.stdout}\n${planned.stderr}`)
          assert.deepStrictEqual(report.summary, {
            create: 0,
            update: 0,
            adopt: 6,
            unchanged: 2,
            refused: 0,
            errors: 0,
            prune: 0
          })
          // Teams, users and keys take the owner marker and nothing else; memberships need no call at all.
          for (const o of report.objects) {
            const fields = o.calls.flatMap((c) => c.changes.map((change) => change.field))
            if (o.kind === "TeamMemberAssociation") assert.deepStrictEqual(fields, [], o.name)
            else assert.deepStrictEqual(fields, [`metadata.${ownerMetadataKey}`], `${o.kind} ${o.name}`)
          }
          // Keys are matched by the token export recorded, never by a value.
          const keys = report.objects.filter((o) => o.kind === "VirtualKey")
          assert.isTrue(keys.every((k) => k.match.startsWith("by the token in annotation auth.litellm.ai/adopt-token")))

          assert.deepStrictEqual(writesOf(yield* sim.calls), [], "export or plan wrote to LiteLLM")
          assert.deepStrictEqual(yield* sim.snapshot, before)

          // Without the connection's consent (the exported Secret left out), adoption is refused: exit 1.
          const objectsOnly = join(dir, "objects.yaml")
          const documents = readFileSync(file, "utf8")
            .split(/^---$/m)
            .filter((d) => !d.includes("kind: Secret"))
          writeFileSync(objectsOnly, documents.join("---\n"))
          const refused = yield* cli(["plan", "-f", objectsOnly, "--connection", sim.url])
          assert.strictEqual(refused.code, 1, refused.stdout)
          assert.include(refused.stdout, "! refused  Team default/ml")
          assert.include(refused.stdout, "AdoptionNotAllowed")
        }),
      120_000
    )

    it.effect(
      "--prune lists what this installation owns in these namespaces and no manifest declares",
      () =>
        Effect.gen(function* () {
          const sim = yield* Simulator
          yield* sim.reset
          const client = yield* clientFor
          const marker = (installation: string, namespace: string, name: string) => ({
            [ownerMetadataKey]: ownerMarker({ installation, namespace, kind: "Team", name, uid: `uid-${name}` })
          })
          yield* client.teamNew("t-orphan", {
            team_alias: "orphan",
            metadata: marker("litellm-operator", "default", "old")
          })
          yield* client.teamNew("t-elsewhere", { team_alias: "x", metadata: marker("litellm-operator", "other", "x") })
          yield* client.teamNew("t-other-install", { team_alias: "y", metadata: marker("another", "default", "y") })
          yield* client.teamNew("t-unmarked", { team_alias: "z" })
          yield* sim.resetCalls
          const run = yield* cli(["plan", "-f", EXAMPLES, "--connection", sim.url, "--prune", "-o", "json"])
          assert.strictEqual(run.code, 2, run.stderr)
          const report = decodeReport(run.stdout)
          assert.deepStrictEqual(report.prune, [{ litellm: 'team "t-orphan"', owner: "Team default/old" }])
          assert.strictEqual(report.summary.prune, 1)
          assert.deepStrictEqual(writesOf(yield* sim.calls), [])
        }),
      180_000
    )

    it.effect(
      "exit 1 on errors: a bad object (the rest still planned), a missing master key, an unknown flag",
      () =>
        Effect.gen(function* () {
          const sim = yield* Simulator
          yield* sim.reset
          const dir = tempDir()
          const bad = join(dir, "bad.yaml")
          writeFileSync(
            bad,
            [
              "apiVersion: auth.litellm.ai/v1alpha1",
              "kind: Team",
              "metadata: {name: broken}",
              "spec: {connectionRef: {secretRef: {name: c}}, teamAlias: a, maxBudget: lots}",
              "---",
              "apiVersion: auth.litellm.ai/v1alpha1",
              "kind: Team",
              "metadata: {name: fine}",
              "spec: {connectionRef: {secretRef: {name: c}}, teamAlias: b}",
              "---",
              "apiVersion: auth.litellm.ai/v1alpha1",
              "kind: VirtualKey",
              "metadata: {name: inline}",
              // A chosen value in the spec: matched by its token, never printed (cli() checks every output).
              "spec: {connectionRef: {secretRef: {name: c}}, keyAlias: inline, key: sk-inline-chosen-value-0042}",
              ""
            ].join("\n")
          )
          const run = yield* cli(["plan", "-f", bad, "--connection", sim.url])
          assert.strictEqual(run.code, 1)
          assert.include(run.stdout, "error: ")
          assert.include(run.stdout, "Team default/broken")
          assert.include(run.stdout, "+ create  Team default/fine")
          assert.include(run.stdout, "+ create  VirtualKey default/inline", run.stdout)
          assert.include(run.stdout, "matched: by the token of spec.key")
          const noKey = yield* cli(["plan", "-f", bad, "--connection", sim.url], { LITELLM_MASTER_KEY: undefined })
          assert.strictEqual(noKey.code, 1)
          assert.include(noKey.stderr, "no master key: set LITELLM_MASTER_KEY or pass --master-key-file")
          const keyFile = join(dir, "master-key")
          writeFileSync(keyFile, `${MASTER_KEY}\n`)
          const fromFile = yield* cli(["plan", "-f", EXAMPLES, "--connection", sim.url, "--master-key-file", keyFile], {
            LITELLM_MASTER_KEY: undefined
          })
          assert.strictEqual(fromFile.code, 2, fromFile.stderr)
          const wrongKey = yield* cli(["plan", "-f", EXAMPLES, "--connection", sim.url], {
            LITELLM_MASTER_KEY: "sk-not-the-master-key-000"
          })
          assert.strictEqual(wrongKey.code, 1, wrongKey.stdout)
          const unknown = yield* cli(["plan", "-f", EXAMPLES, "--conection", sim.url])
          assert.strictEqual(unknown.code, 1)
          assert.include(unknown.stderr, "Unrecognized flag: --conection")
          // The operator's own command line, in the same style: help, version, a bad flag exits 2.
          const help = yield* cli(["--help"])
          assert.strictEqual(help.code, 0)
          for (const text of ["--workers", "[env WORKERS]", "--leader-elect", "plan", "export"]) {
            assert.include(help.stdout, text)
          }
          const version = yield* cli(["--version"])
          assert.strictEqual(version.code, 0)
          assert.match(version.stdout, /^litellm-operator v\d+\.\d+\.\d+/)
          const badFlag = yield* cli(["--wrokers", "3"])
          assert.strictEqual(badFlag.code, 2)
          assert.include(badFlag.stderr, "Unrecognized flag: --wrokers")
          const badValue = yield* cli(["--workers", "0"])
          assert.strictEqual(badValue.code, 2)
          assert.include(badValue.stderr, "--workers must be at least 1")
          assert.deepStrictEqual(writesOf(yield* sim.calls), [])
        }),
      180_000
    )
  })
})
