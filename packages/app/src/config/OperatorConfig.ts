/**
 * The operator's settings, from flags and environment variables (a flag wins),
 * decoded once at start-up with messages that name the setting. The flags are
 * Effect CLI flags, shared by `main.ts` and the local run.
 */
import { parseDuration } from "@litellm-operator/core"
import { Config, ConfigProvider, Duration, Effect, Option, Schema } from "effect"
import { CliOutput, Command, Flag } from "effect/cli"
import { cliErrorMessage, cliServices, installationIdFlag } from "../cli/run.ts"

export class ConfigurationError extends Schema.TaggedError<ConfigurationError>()("ConfigurationError", {
  message: Schema.String
}) {}

const positive = (name: string) => (n: number) =>
  n >= 1 ? Effect.succeed(n) : Effect.fail(new ConfigurationError({ message: `${name} must be at least 1 (got ${n})` }))

const setting = <A>(flag: Flag.Flag<A>, help: string, config: Config.Config<A>) =>
  flag.pipe(Flag.withDescription(help), Flag.withFallbackConfig(config))

const logLevels = ["All", "Trace", "Debug", "Info", "Warn", "Error", "Fatal", "None"] as const

/**
 * Every setting as a flag (`--flag value` or `--flag=value`), falling back to
 * its environment variable through Effect `Config` (the Helm chart sets the
 * variables), then to its default. A flag wins.
 */
export const operatorFlags = {
  kubeconfig: setting(
    Flag.String("kubeconfig"),
    "kubeconfig file; in-cluster credentials when unset [env KUBECONFIG]",
    Config.String("KUBECONFIG")
  ).pipe(Flag.optional),
  namespace: setting(
    Flag.String("namespace"),
    "watch only this namespace (namespace-scoped mode); all when unset [env WATCH_NAMESPACE]",
    Config.String("WATCH_NAMESPACE")
  ).pipe(Flag.optional),
  workers: setting(
    Flag.Int("workers"),
    "concurrent reconciles per kind (default 4) [env WORKERS]",
    Config.Int("WORKERS")
  ).pipe(Flag.withDefault(4)),
  resyncPeriod: setting(
    Flag.String("resync-period"),
    "how often every object is checked against LiteLLM (default 5m) [env RESYNC_PERIOD]",
    Config.String("RESYNC_PERIOD")
  ).pipe(Flag.withDefault("5m")),
  leaderElect: setting(
    Flag.Boolean("leader-elect"),
    "take a Lease before reconciling (default true; --leader-elect=false turns it off) [env LEADER_ELECT]",
    Config.Boolean("LEADER_ELECT")
  ).pipe(Flag.withDefault(true)),
  leaseNamespace: setting(
    Flag.String("lease-namespace"),
    "namespace of the leader-election Lease (default: default) [env POD_NAMESPACE]",
    Config.String("POD_NAMESPACE")
  ).pipe(Flag.withDefault("default")),
  leaseName: setting(
    Flag.String("lease-name"),
    "name of the leader-election Lease (default litellm-operator) [env LEASE_NAME]",
    Config.String("LEASE_NAME")
  ).pipe(Flag.withDefault("litellm-operator")),
  identity: setting(
    Flag.String("identity"),
    "this replica's identity in the Lease (default: the host name and a random suffix) [env POD_NAME]",
    Config.String("POD_NAME")
  ).pipe(Flag.optional),
  httpPort: setting(
    Flag.Int("http-port"),
    "port of /healthz, /readyz and /metrics (default 8080) [env HTTP_PORT]",
    Config.Port("HTTP_PORT")
  ).pipe(Flag.withDefault(8080)),
  instanceUrlTemplate: setting(
    Flag.String("instance-url-template"),
    "URL of an instanceRef's proxy, with {name} and {namespace} (default http://{name}-service.{namespace}.svc:4000) [env INSTANCE_URL_TEMPLATE]",
    Config.String("INSTANCE_URL_TEMPLATE")
  ).pipe(Flag.withDefault("http://{name}-service.{namespace}.svc:4000")),
  litellmTimeout: setting(
    Flag.String("litellm-timeout"),
    "timeout of one LiteLLM call (default 10s) [env LITELLM_TIMEOUT]",
    Config.String("LITELLM_TIMEOUT")
  ).pipe(Flag.withDefault("10s")),
  listMaxAge: setting(
    Flag.String("list-max-age"),
    "how old a whole-list read of LiteLLM may be to answer a reconcile's reads (default: half the resync period; 0s reads every object by id) [env LIST_MAX_AGE]",
    Config.String("LIST_MAX_AGE")
  ).pipe(Flag.optional),
  installationId: installationIdFlag,
  refusedRetryPeriod: setting(
    Flag.String("refused-retry-period"),
    "how long an object LiteLLM refused for good (400, 401, 403, 409, 422) or that names what another object owns waits before it is tried again, unless its spec or connection changes first (default 10m) [env REFUSED_RETRY_PERIOD]",
    Config.String("REFUSED_RETRY_PERIOD")
  ).pipe(Flag.withDefault("10m")),
  logLevel: setting(
    Flag.Literals("log-level", logLevels),
    "Trace, Debug, Info, Warn or Error (default Info) [env LOG_LEVEL]",
    Config.LogLevel("LOG_LEVEL")
  ).pipe(Flag.withDefault("Info"))
}

/** The flags' values, before the durations and bounds are checked. */
export type RawConfig = {
  readonly [K in keyof typeof operatorFlags]: (typeof operatorFlags)[K] extends Flag.Flag<infer A> ? A : never
}

export interface OperatorConfig
  extends Omit<RawConfig, "resyncPeriod" | "litellmTimeout" | "listMaxAge" | "refusedRetryPeriod"> {
  readonly resyncPeriod: Duration.Duration
  readonly refusedRetryPeriod: Duration.Duration
  readonly litellmTimeout: Duration.Duration
  /** Zero: no list-based observation. */
  readonly listMaxAge: Duration.Duration
}

const unitMillis = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const

/** A duration setting in the same notation as the API ("30s", "5m", "1h"); months make no sense here. */
export const durationSetting = (flag: string, text: string): Effect.Effect<Duration.Duration, ConfigurationError> => {
  const parsed = parseDuration(text.trim())
  return parsed === undefined || parsed.unit === "mo"
    ? Effect.fail(
        new ConfigurationError({
          message: `--${flag} must be a duration such as 30s, 5m or 1h (got ${JSON.stringify(text)})`
        })
      )
    : Effect.succeed(Duration.millis(parsed.amount * unitMillis[parsed.unit]))
}

/** The settings from the flags' values: durations parsed, bounds checked, messages that name the flag. */
export const operatorConfigFrom = (config: RawConfig): Effect.Effect<OperatorConfig, ConfigurationError> =>
  Effect.gen(function* () {
    yield* positive("--workers")(config.workers)
    if (config.installationId.trim() === "" || config.installationId.length > 253) {
      return yield* new ConfigurationError({ message: "--installation-id must be 1 to 253 characters" })
    }
    const resyncPeriod = yield* durationSetting("resync-period", config.resyncPeriod)
    return {
      ...config,
      resyncPeriod,
      litellmTimeout: yield* durationSetting("litellm-timeout", config.litellmTimeout),
      refusedRetryPeriod: yield* durationSetting("refused-retry-period", config.refusedRetryPeriod),
      listMaxAge: Option.isNone(config.listMaxAge)
        ? Duration.divideUnsafe(resyncPeriod, 2)
        : /^0[smhdw]?$/.test(config.listMaxAge.value.trim())
          ? Duration.zero
          : yield* durationSetting("list-max-age", config.listMaxAge.value)
    } satisfies OperatorConfig
  })

const definedOnly = (env: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [[k, v]])))

/**
 * Reads the settings from the given arguments and environment, through the
 * same command line as the operator's (for in-process runs and tests): a
 * parse error is a ConfigurationError with the CLI's messages, nothing printed.
 */
export const loadOperatorConfig = (argv: ReadonlyArray<string>, env: Record<string, string | undefined>) =>
  Effect.gen(function* () {
    let raw: RawConfig | undefined
    const command = Command.make("litellm-operator", operatorFlags, (values) =>
      Effect.sync(() => {
        raw = values
      })
    )
    yield* Command.runWith(command, { version: "", renderErrors: false })(argv).pipe(
      Effect.provide(CliOutput.layerPresenter({ present: () => Effect.void })),
      Effect.provide(cliServices),
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: definedOnly(env) }))),
      Effect.mapError((error) => new ConfigurationError({ message: cliErrorMessage(error) }))
    )
    if (raw === undefined) return yield* new ConfigurationError({ message: "no settings were read" })
    return yield* operatorConfigFrom(raw)
  })

/** The identity in the Lease: the configured one, or the host name with a random suffix. */
export const identityOf = (config: OperatorConfig, fallback: string): string =>
  Option.getOrElse(config.identity, () => fallback)
