/**
 * The catcher's defaults, applied under whatever the environment says: SMTP on 127.0.0.1:1025, the HTTP API and
 * web UI on 127.0.0.1:8025, mail under `./catcher-data`. Every other `CARTERO_*` setting of the server and the
 * HTTP API (docs/configuration.md) works as in the reference MTA.
 *
 * @since 0.1.0
 */
import { Config, ConfigProvider, Effect, Layer } from "effect"
import * as Path from "node:path"

/** The catcher's own defaults, by setting name. */
export const defaults: Readonly<Record<string, string>> = {
  CARTERO_SMTP_HOST: "127.0.0.1",
  CARTERO_SMTP_PORT: "1025",
  CARTERO_HTTP_PORT: "8025",
  CARTERO_HOSTNAME: "catcher.localhost",
  CARTERO_DATA_DIR: "./catcher-data",
  // A development tool receives large test mail and bursts from test suites; the MTA's port-25 limits would be noise.
  CARTERO_MAX_MESSAGE_SIZE: "50M",
  CARTERO_MAX_CLIENTS_PER_IP: "200",
  CARTERO_CONNECTION_RATE_LIMIT: "100000"
}

/** The current provider (the environment, or a test's), then {@link defaults}. */
export const layerProvider: Layer.Layer<never> = Layer.effect(
  ConfigProvider.ConfigProvider,
  Effect.map(ConfigProvider.ConfigProvider, (current) => ConfigProvider.orElse(current, ConfigProvider.fromUnknown(defaults)))
)

/** Where the mail is kept: `CARTERO_MAILDIR_ROOT`, else `<CARTERO_DATA_DIR>/mail`, as an absolute path. */
export const maildirRoot: Config.Config<string> = Config.String("CARTERO_MAILDIR_ROOT").pipe(
  Config.orElse(() => Config.map(Config.String("CARTERO_DATA_DIR"), (dir) => Path.join(dir, "mail"))),
  Config.map((dir) => Path.resolve(dir))
)
