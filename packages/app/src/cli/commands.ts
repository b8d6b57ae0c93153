/**
 * `plan` and `export`, the operator's subcommands for use outside the
 * cluster: they talk to LiteLLM with its master key (from the environment or
 * a file, never a flag's value, never printed) and read or write manifests.
 */
import { readFileSync, writeFileSync } from "node:fs"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { renderManifests } from "@litellm-operator/k8s"
import { LiteLLMClient } from "@litellm-operator/litellm"
import { Config, Console, Effect, Option, Redacted, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { durationSetting } from "../config/OperatorConfig.ts"
import { exportProxy } from "./export.ts"
import { classifyManifests, readManifests } from "./manifests.ts"
import { exitCodeOf, PlanReport, planManifests } from "./plan.ts"
import { renderPlan } from "./renderPlan.ts"
import { CommandFailed, ExitWith, installationIdFlag } from "./run.ts"

const connectionFlag = Flag.String("connection").pipe(
  Flag.withDescription("the LiteLLM proxy's base URL, e.g. http://litellm:4000 [env LITELLM_URL]"),
  Flag.withFallbackConfig(Config.String("LITELLM_URL"))
)

const masterKeyFileFlag = Flag.String("master-key-file").pipe(
  Flag.withDescription(
    "a file holding LiteLLM's master key (or a key with admin rights); without it, the LITELLM_MASTER_KEY environment variable"
  ),
  Flag.optional
)

const timeoutFlag = Flag.String("litellm-timeout").pipe(
  Flag.withDescription("timeout of one LiteLLM call (default 10s)"),
  Flag.withDefault("10s")
)

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** The master key: from the file, else the environment; a missing or empty one is an error that names where to put it. */
const masterKeyOf = (file: Option.Option<string>) =>
  Effect.gen(function* () {
    if (Option.isSome(file)) {
      const text = yield* Effect.try({
        try: () => readFileSync(file.value, "utf8").trim(),
        catch: (cause) =>
          new CommandFailed({ message: `cannot read --master-key-file ${file.value}: ${describe(cause)}` })
      })
      if (text === "") return yield* new CommandFailed({ message: `--master-key-file ${file.value} is empty` })
      return Redacted.make(text)
    }
    const fromEnv = yield* Config.option(Config.Redacted("LITELLM_MASTER_KEY"))
    if (Option.isNone(fromEnv) || Redacted.value(fromEnv.value) === "") {
      return yield* new CommandFailed({
        message: "no master key: set LITELLM_MASTER_KEY or pass --master-key-file <file>"
      })
    }
    return fromEnv.value
  }).pipe(Effect.mapError((e) => (e instanceof CommandFailed ? e : new CommandFailed({ message: describe(e) }))))

/** The LiteLLM client; its errors (scrubbed of keys by the client) become one-line failures. */
const clientFor = (url: string, masterKeyFile: Option.Option<string>, timeout: string) =>
  Effect.gen(function* () {
    const masterKey = yield* masterKeyOf(masterKeyFile)
    const perCall = yield* durationSetting("litellm-timeout", timeout).pipe(
      Effect.mapError((e) => new CommandFailed({ message: e.message }))
    )
    return yield* LiteLLMClient.make({ url, masterKey, timeout: perCall }).pipe(
      Effect.provide(NodeHttpClient.dispatcherLayerGlobal)
    )
  })

export const planCommand = Command.make(
  "plan",
  {
    filename: Flag.String("filename").pipe(
      Flag.withAlias("f"),
      Flag.withDescription("a manifest file or a directory of *.yaml/*.yml files (repeat -f for more)"),
      Flag.atLeast(1)
    ),
    connection: connectionFlag,
    masterKeyFile: masterKeyFileFlag,
    prune: Flag.Boolean("prune").pipe(
      Flag.withDescription(
        "also list LiteLLM teams, users and keys whose owner marker names this installation and a namespace of the manifests, but no object of the manifests"
      ),
      Flag.withDefault(false)
    ),
    output: Flag.Literals("output", ["text", "json"]).pipe(
      Flag.withAlias("o"),
      Flag.withDescription("text (default) or json (the PlanReport schema)"),
      Flag.withDefault("text")
    ),
    namespace: Flag.String("namespace").pipe(
      Flag.withAlias("n"),
      Flag.withDescription("the namespace of manifests that name none (default: default)"),
      Flag.withDefault("default")
    ),
    installationId: installationIdFlag,
    timeout: timeoutFlag
  },
  Effect.fnUntraced(function* (input) {
    const manifests = classifyManifests(
      yield* readManifests(input.filename).pipe(Effect.mapError((e) => new CommandFailed({ message: e.message }))),
      input.namespace
    )
    const client = yield* clientFor(input.connection, input.masterKeyFile, input.timeout)
    const report = yield* planManifests(client, manifests, {
      url: input.connection,
      installationId: input.installationId,
      prune: input.prune
    }).pipe(Effect.mapError((e) => new CommandFailed({ message: `reading LiteLLM failed: ${e.message}` })))
    yield* Console.log(
      input.output === "json"
        ? JSON.stringify(Schema.encodeSync(PlanReport)(report), null, 2)
        : renderPlan(report).trimEnd()
    )
    const code = exitCodeOf(report)
    if (code !== 0) return yield* new ExitWith({ code })
  })
).pipe(
  Command.withDescription(
    "Shows the LiteLLM calls the operator would make for these manifests, field by field, without making any. Exit status: 0 nothing would change, 2 something would, 1 an error or an object the operator would refuse."
  ),
  Command.withExamples([
    {
      command: "LITELLM_MASTER_KEY=sk-... litellm-operator plan -f examples/ --connection http://127.0.0.1:4000",
      description: "what applying the examples would do"
    },
    {
      command:
        "litellm-operator plan -f exported/ --connection http://litellm:4000 --master-key-file key.txt --prune -o json",
      description: "as JSON, with what no manifest declares any more"
    }
  ])
)

export const exportCommand = Command.make(
  "export",
  {
    connection: connectionFlag,
    masterKeyFile: masterKeyFileFlag,
    namespace: Flag.String("namespace").pipe(
      Flag.withAlias("n"),
      Flag.withDescription("the namespace the manifests put the objects in (default: default)"),
      Flag.withDefault("default")
    ),
    connectionSecret: Flag.String("connection-secret").pipe(
      Flag.withDescription("the connection Secret the objects name (default litellm-connection)"),
      Flag.withDefault("litellm-connection")
    ),
    out: Flag.String("out").pipe(Flag.withDescription("the file to write (default: standard output)"), Flag.optional),
    timeout: timeoutFlag
  },
  Effect.fnUntraced(function* (input) {
    const client = yield* clientFor(input.connection, input.masterKeyFile, input.timeout)
    const exported = yield* exportProxy(client, {
      namespace: input.namespace,
      connectionSecret: input.connectionSecret,
      url: input.connection
    }).pipe(Effect.mapError((e) => new CommandFailed({ message: `reading LiteLLM failed: ${e.message}` })))
    const text = `${exportHeader}${renderManifests(exported.manifests)}`
    if (Option.isSome(input.out)) {
      const path = input.out.value
      yield* Effect.try({
        try: () => writeFileSync(path, text),
        catch: (cause) => new CommandFailed({ message: `cannot write ${path}: ${describe(cause)}` })
      })
    } else {
      yield* Console.log(text.trimEnd())
    }
    const c = exported.counts
    yield* Console.error(
      `exported ${c.teams} teams, ${c.users} users, ${c.keys} keys (no key values), ${c.memberships} memberships${Option.isSome(input.out) ? ` to ${input.out.value}` : ""}`
    )
    for (const note of exported.notes) yield* Console.error(`note: ${note}`)
  })
).pipe(
  Command.withDescription(
    "Writes the teams, users, keys (never their values) and memberships of a LiteLLM proxy as manifests that adopt them unchanged: plan on them shows no change."
  )
)

const exportHeader = `# Written by litellm-operator export. Every object asks to be adopted (auth.litellm.ai/adopt: "true");
# the connection Secret below carries the URL and auth.litellm.ai/allow-adoption, never the master key:
# add \`masterkey\` to it, or apply it over an existing Secret of that name (apply keeps its masterkey).
# VirtualKeys are adopted by token (auth.litellm.ai/adopt-token): their values stay with whoever holds them.
`
