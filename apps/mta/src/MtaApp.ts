/**
 * The reference MTA as one layer: the SMTP listeners (`@cartero/server`, configured from `CARTERO_*`), the plugin
 * pipeline (local-domains, then Maildir for local recipients, then the mail queue for the rest), the queue (Redis
 * when `CARTERO_REDIS_URL` is set, else SQLite under `CARTERO_DATA_DIR`), the delivery workers that send queued
 * mail on (MX routing over `CARTERO_DNS_SERVERS`), logging, and a start-up line that states the listeners, the
 * local domains, the Maildir root and the queue store.
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
import { DelayNotice, DeliveryWorker, OutboundPipeline } from "@cartero/delivery"
import { Dns } from "@cartero/dns"
import { Auth } from "@cartero/plugin-auth"
import { LocalDomains } from "@cartero/plugin-local-domains"
import { Maildir } from "@cartero/plugin-maildir"
import { QueueHandoff } from "@cartero/plugin-queue"
import { SmtpServer } from "@cartero/server"
import { Effect, Layer } from "effect"
import { AppConfig, layerDefaults } from "./AppConfig.ts"
import * as LocalReturn from "./LocalReturn.ts"
import * as Logging from "./Logging.ts"
import * as QueueStoreLayer from "./QueueStoreLayer.ts"

/**
 * The plugins, in hook order: submission users log in (AUTH) and may send only as themselves; the relay policy
 * decides recipients (local ones, or anything for authenticated/trusted clients); in the queue phase Maildir stores
 * the local ones and the queue hand-off takes the rest (both or neither: see core `Handoff`).
 */
export const PipelineLive = Pipeline.layer([
  Auth.pluginConfig,
  LocalDomains.pluginConfig,
  Maildir.pluginConfig({ isLocal: LocalDomains.isLocal }),
  QueueHandoff.plugin
])

/** The SMTP listeners over the pipeline. */
const ServerLive = SmtpServer.layerConfig.pipe(Layer.provide(PipelineLive))

/**
 * The delivery workers: claim due recipients from the queue, route them over DNS, deliver, retry, bounce. Mail
 * queued for our own local domains (bounces to local senders) goes back to our MX listener (`LocalReturn`); delay
 * notices go out when `CARTERO_DELAY_NOTICE_AFTER` is set.
 */
export const DeliveryLive = DeliveryWorker.DeliveryWorker.layerConfig(OutboundPipeline.layer([LocalReturn.plugin, DelayNotice.pluginConfig])).pipe(
  Layer.provide(Dns.Dns.layerConfig),
  Layer.provide(ServerLive)
)

/** Logs the start-up line once everything is listening, and the shutdown. */
const Announce = Layer.effectDiscard(Effect.gen(function*() {
  const server = yield* SmtpServer.SmtpServer
  const config = yield* AppConfig
  const listeners = server.listeners.map((l) => `${l.kind}=${l.host.includes(":") ? `[${l.host}]` : l.host}:${l.port}`)
  yield* Effect.logInfo("cartero started").pipe(Effect.annotateLogs({
    hostname: server.hostname,
    listeners: listeners.join(" "),
    localDomains: config.localDomains.join(","),
    maildir: config.maildirRoot,
    queue: QueueStoreLayer.describe(yield* QueueStoreLayer.choice)
  }))
  yield* Effect.addFinalizer(() => Effect.logInfo("cartero stopping: finishing sessions in progress"))
}))

/** The whole app. Its output services let tests find the bound ports (`SmtpServer.address("mx")`). */
export const layer = Announce.pipe(
  Layer.provideMerge(DeliveryLive),
  Layer.provideMerge(ServerLive),
  // one queue, shared by the queue hand-off (enqueue) and the workers (claim/complete)
  Layer.provideMerge(QueueStoreLayer.layerMailQueue),
  Layer.provideMerge(Logging.layer),
  Layer.provideMerge(AppConfig.layer),
  Layer.provide(layerDefaults)
)
