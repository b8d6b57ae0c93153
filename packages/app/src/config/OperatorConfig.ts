/**
 * The operator's settings, from flags and environment variables (a flag wins),
 * decoded once at start-up with messages that name the setting.
 */
import { parseDuration } from "@litellm-operator/core"
import { Config, ConfigProvider, Duration, Effect, Option, Schema } from "effect"

export interface Setting {
  readonly flag: string
  readonly env: string
  readonly help: string
}

/** Every setting: `--flag value` / `--flag=value`, or the environment variable. */
export const settings: ReadonlyArray<Setting> = [
  { flag: "kubeconfig", env: "KUBECONFIG", help: "kubeconfig file; in-cluster credentials when unset" },
  {
    flag: "namespace",
    env: "WATCH_NAMESPACE",
    help: "watch only this namespace (namespace-scoped mode); all when unset"
  },
  { flag: "workers", env: "WORKERS", help: "concurrent reconciles per kind (default 4)" },
  {
    flag: "resync-period",
    env: "RESYNC_PERIOD",
    help: "how often every object is checked against LiteLLM (default 5m)"
  },
  { flag: "leader-elect", env: "LEADER_ELECT", help: "take a Lease before reconciling (default true)" },
  { flag: "lease-namespace", env: "POD_NAMESPACE", help: "namespace of the leader-election Lease (default: default)" },
  { flag: "lease-name", env: "LEASE_NAME", help: "name of the leader-election Lease (default litellm-operator)" },
  { flag: "identity", env: "POD_NAME", help: "this replica's identity in the Lease (default: a random name)" },
  { flag: "http-port", env: "HTTP_PORT", help: "port of /healthz, /readyz and /metrics (default 8080)" },
  {
    flag: "instance-url-template",
    env: "INSTANCE_URL_TEMPLATE",
    help: "URL of an instanceRef's proxy, with {name} and {namespace} (default http://{name}-service.{namespace}.svc:4000)"
  },
  { flag: "litellm-timeout", env: "LITELLM_TIMEOUT", help: "timeout of one LiteLLM call (default 10s)" },
  {
    flag: "list-max-age",
    env: "LIST_MAX_AGE",
    help: "how old a whole-list read of LiteLLM may be to answer a reconcile's reads (default: half the resync period; 0s reads every object by id)"
  },
  {
    flag: "installation-id",
    env: "INSTALLATION_ID",
    help: "names this installation in the owner markers written into LiteLLM; give each cluster sharing a LiteLLM its own (default litellm-operator)"
  },
  {
    flag: "refused-retry-period",
    env: "REFUSED_RETRY_PERIOD",
    help: "how long an object LiteLLM refused for good (400, 401, 403, 409, 422) or that names what another object owns waits before it is tried again, unless its spec or connection changes first (default 10m)"
  },
  { flag: "log-level", env: "LOG_LEVEL", help: "Trace, Debug, Info, Warn or Error (default Info)" }
]

export class ConfigurationError extends Schema.TaggedError<ConfigurationError>()("ConfigurationError", {
  message: Schema.String
}) {}

const positive = (name: string) => (n: number) =>
  n >= 1 ? Effect.succeed(n) : Effect.fail(new ConfigurationError({ message: `${name} must be at least 1 (got ${n})` }))

export const operatorConfig = Config.all({
  kubeconfig: Config.option(Config.String("KUBECONFIG")),
  namespace: Config.option(Config.String("WATCH_NAMESPACE")),
  workers: Config.withDefault(Config.Int("WORKERS"), 4),
  resyncPeriod: Config.withDefault(Config.String("RESYNC_PERIOD"), "5m"),
  leaderElect: Config.withDefault(Config.Boolean("LEADER_ELECT"), true),
  leaseNamespace: Config.withDefault(Config.String("POD_NAMESPACE"), "default"),
  leaseName: Config.withDefault(Config.String("LEASE_NAME"), "litellm-operator"),
  identity: Config.option(Config.String("POD_NAME")),
  httpPort: Config.withDefault(Config.Port("HTTP_PORT"), 8080),
  instanceUrlTemplate: Config.withDefault(
    Config.String("INSTANCE_URL_TEMPLATE"),
    "http://{name}-service.{namespace}.svc:4000"
  ),
  litellmTimeout: Config.withDefault(Config.String("LITELLM_TIMEOUT"), "10s"),
  listMaxAge: Config.option(Config.String("LIST_MAX_AGE")),
  installationId: Config.withDefault(Config.String("INSTALLATION_ID"), "litellm-operator"),
  refusedRetryPeriod: Config.withDefault(Config.String("REFUSED_RETRY_PERIOD"), "10m"),
  logLevel: Config.withDefault(Config.LogLevel("LOG_LEVEL"), "Info")
})
type RawConfig = Config.Success<typeof operatorConfig>

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
const durationSetting = (flag: string, text: string) => {
  const parsed = parseDuration(text.trim())
  return parsed === undefined || parsed.unit === "mo"
    ? Effect.fail(
        new ConfigurationError({
          message: `--${flag} must be a duration such as 30s, 5m or 1h (got ${JSON.stringify(text)})`
        })
      )
    : Effect.succeed(Duration.millis(parsed.amount * unitMillis[parsed.unit]))
}

/** Turns `--flag value` and `--flag=value` arguments into the environment names of their settings. */
export const flagsToEnv = (argv: ReadonlyArray<string>): Effect.Effect<Record<string, string>, ConfigurationError> =>
  Effect.gen(function* () {
    const out: Record<string, string> = {}
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i] ?? ""
      const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg)
      const setting = match === null ? undefined : settings.find((s) => s.flag === match[1])
      if (match === null || setting === undefined) {
        const known = settings.map((s) => `--${s.flag}`).join(", ")
        return yield* new ConfigurationError({
          message: `unknown argument ${JSON.stringify(arg)}; known flags: ${known}`
        })
      }
      const inline = match[2]
      const next = argv[i + 1]
      if (inline !== undefined) out[setting.env] = inline
      else if (setting.flag === "leader-elect" && (next === undefined || next.startsWith("--")))
        out[setting.env] = "true"
      else if (next === undefined) return yield* new ConfigurationError({ message: `--${setting.flag} needs a value` })
      else {
        out[setting.env] = next
        i++
      }
    }
    return out
  })

/** Reads the settings from the given arguments and environment. */
export const loadOperatorConfig = (argv: ReadonlyArray<string>, env: Record<string, string | undefined>) =>
  Effect.gen(function* () {
    const flags = yield* flagsToEnv(argv)
    const provider = ConfigProvider.fromEnvRecord({ ...env, ...flags })
    const config = yield* operatorConfig
      .parse(provider)
      .pipe(Effect.mapError((error) => new ConfigurationError({ message: `invalid configuration: ${error.message}` })))
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

/** The identity in the Lease: the configured one, or the host name with a random suffix. */
export const identityOf = (config: OperatorConfig, fallback: string): string =>
  Option.getOrElse(config.identity, () => fallback)
