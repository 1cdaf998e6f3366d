/**
 * The reference MTA as one layer: the SMTP listeners (`@cartero/server`, configured from `CARTERO_*`), the plugin
 * pipeline (local-domains, then Maildir), logging, and a start-up line that states the listeners, the local
 * domains and the Maildir root.
 *
 * Tests start the whole app in-process with `MtaApp.layer` and a `ConfigProvider` layer (the process environment
 * is read once, on first use, so tests must not rely on `process.env`):
 *
 * ```ts
 * Effect.provide(MtaApp.layer, ConfigProvider.layer(ConfigProvider.fromEnv({ env: { CARTERO_SMTP_PORT: "0" } })))
 * ```
 *
 * @since 0.1.0
 */
import { Pipeline } from "@cartero/core"
import { LocalDomains } from "@cartero/plugin-local-domains"
import { Maildir } from "@cartero/plugin-maildir"
import { SmtpServer } from "@cartero/server"
import { Effect, Layer } from "effect"
import { AppConfig, layerDefaults } from "./AppConfig.ts"
import * as Logging from "./Logging.ts"

/** The plugins, in hook order: the relay policy decides recipients, Maildir stores the local ones. */
export const PipelineLive = Pipeline.layer([
  LocalDomains.pluginConfig,
  Maildir.pluginConfig({ isLocal: LocalDomains.isLocal })
])

/** Logs the start-up line once everything is listening, and the shutdown. */
const Announce = Layer.effectDiscard(Effect.gen(function*() {
  const server = yield* SmtpServer.SmtpServer
  const config = yield* AppConfig
  const listeners = server.listeners.map((l) => `${l.kind}=${l.host.includes(":") ? `[${l.host}]` : l.host}:${l.port}`)
  yield* Effect.logInfo("cartero started").pipe(Effect.annotateLogs({
    hostname: server.hostname,
    listeners: listeners.join(" "),
    localDomains: config.localDomains.join(","),
    maildir: config.maildirRoot
  }))
  yield* Effect.addFinalizer(() => Effect.logInfo("cartero stopping: finishing sessions in progress"))
}))

/** The whole app. Its output services let tests find the bound ports (`SmtpServer.address("mx")`). */
export const layer = Announce.pipe(
  Layer.provideMerge(SmtpServer.layerConfig),
  Layer.provide(PipelineLive),
  Layer.provideMerge(Logging.layer),
  Layer.provideMerge(AppConfig.layer),
  Layer.provide(layerDefaults)
)
