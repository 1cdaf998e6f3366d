/**
 * The reference app's own settings (logging, local domains, Maildir root) and its defaults for the settings of the
 * packages it assembles. The server and the plugins read their own variables; this module only reads what the app
 * itself needs, and states the app's defaults in one table ({@link defaults}) that docs/configuration.md mirrors.
 *
 * @since 0.1.0
 */
import { Setting } from "@cartero/settings"
import { LocalDomains } from "@cartero/plugin-local-domains"
import { Maildir } from "@cartero/plugin-maildir"
import { Config, ConfigProvider, Context, Effect, Layer, type LogLevel, Option } from "effect"
import * as Path from "node:path"
import * as CarteroConfig from "./CarteroConfig.ts"
import * as ConfigPath from "./ConfigPath.ts"

/**
 * A variable has a value the app cannot use. Rendered as `VARIABLE: expected …, got "…"`. The shared
 * {@link Setting.InvalidSetting} (tag `InvalidSetting`), under the name this module has always exported.
 */
export const AppConfigError = Setting.InvalidSetting
/** See {@link AppConfigError}. */
export type AppConfigError = Setting.InvalidSetting

/** Log line format on stdout. */
export type LogFormat = "logfmt" | "json"

/** What the app reads for itself. */
export interface AppConfigShape {
  readonly logLevel: LogLevel.LogLevel
  readonly logFormat: LogFormat
  /** Local domains, normalised (ASCII, lower case). */
  readonly localDomains: ReadonlyArray<string>
  /** Absolute Maildir root. */
  readonly maildirRoot: string
}

/**
 * The app's defaults, used when the environment (or a test's ConfigProvider) has no value. They differ from the
 * libraries' defaults where the app wants predictable development behaviour: the MX port is 2525 even as root
 * (the server library would pick 25).
 */
export const defaults: Readonly<Record<string, string>> = {
  CARTERO_SMTP_HOST: "127.0.0.1",
  CARTERO_SMTP_PORT: "2525",
  CARTERO_DATA_DIR: "./data",
  CARTERO_LOCAL_DOMAINS: "localhost",
  CARTERO_LOG_LEVEL: "info",
  CARTERO_LOG_FORMAT: "logfmt"
}

const logLevels: Readonly<Record<string, LogLevel.LogLevel>> = {
  trace: "Trace",
  debug: "Debug",
  info: "Info",
  warn: "Warn",
  warning: "Warn",
  error: "Error",
  fatal: "Fatal",
  none: "None"
}

/** Reads the app's settings. */
export const load: Effect.Effect<AppConfigShape, AppConfigError | Config.ConfigError> = Effect.gen(function*() {
  const logLevel = yield* Setting.withDefault(
    "CARTERO_LOG_LEVEL",
    "one of trace, debug, info, warn, error, fatal, none",
    Setting.choice(logLevels),
    "Info"
  )
  const logFormat = yield* Setting.withDefault<LogFormat>("CARTERO_LOG_FORMAT", "logfmt or json", Setting.oneOf(["logfmt", "json"]), "logfmt")
  const policy = yield* LocalDomains.config
  const maildirRoot = Path.resolve(yield* Maildir.rootConfig)
  return { logLevel, logFormat, localDomains: policy.domains, maildirRoot }
})

/**
 * `CARTERO_DATA_DIR` as an absolute path: a relative one (the default `./data` included) is read against the
 * directory the operator typed the command in ({@link ConfigPath.workingDirectory}: `INIT_CWD` under pnpm), so that
 * `pnpm start`, `bash scripts/start.sh` and `pnpm cartero`, all typed at the repository's root, share `./data`
 * there, although pnpm runs the app and the CLI in apps/mta.
 */
export const dataDirectory = (value: string, env: Readonly<Record<string, string | undefined>>, cwd: string): string =>
  Path.resolve(ConfigPath.workingDirectory(env, cwd), value)

/** The app's settings as a service, so logging and the start-up line read them once. */
export class AppConfig extends Context.Service<AppConfig, AppConfigShape>()("@cartero/mta/AppConfig") {
  static readonly layer: Layer.Layer<AppConfig, AppConfigError | Config.ConfigError> = Layer.effect(AppConfig, load)

  /**
   * Where every setting of the app is read from, in order: whatever `ConfigProvider` is current (the environment,
   * or a test's), then the config file's `settings`, then the app's {@link defaults}.
   */
  static readonly layerProvider = (settings: CarteroConfig.Settings = {}): Layer.Layer<never> =>
    Layer.effect(
      ConfigProvider.ConfigProvider,
      Effect.gen(function*() {
        const current = yield* ConfigProvider.ConfigProvider
        const merged = ConfigProvider.orElse(ConfigProvider.orElse(current, CarteroConfig.provider(settings)), ConfigProvider.fromUnknown(defaults))
        const dataDir = yield* Config.String("CARTERO_DATA_DIR").pipe(
          Config.option,
          Effect.provideService(ConfigProvider.ConfigProvider, merged),
          // A string setting cannot be invalid, only missing; whatever it is, the packages report it themselves.
          Effect.orElseSucceed(() => Option.none<string>())
        )
        if (dataDir._tag === "None" || dataDir.value === "") return merged
        return ConfigProvider.orElse(
          ConfigProvider.fromUnknown({ CARTERO_DATA_DIR: dataDirectory(dataDir.value, process.env, process.cwd()) }),
          merged
        )
      })
    )
}
