/**
 * The reference MTA as one layer: the SMTP listeners (`@cartero/server`, configured from `CARTERO_*`), the inbound
 * plugins (by default: auth, local-domains, then Maildir for local recipients and the mail queue for the rest), the
 * queue (Redis when `CARTERO_REDIS_URL` is set, else SQLite under `CARTERO_DATA_DIR`), the delivery workers that
 * send queued mail on (MX routing over `CARTERO_DNS_SERVERS`) with the outbound plugins, logging, message traces
 * (OpenTelemetry, when `CARTERO_OTLP_ENDPOINT` is set: `Traces`), and a start-up
 * line that states the listeners, the local domains, the Maildir root and the queue store.
 *
 * - `MtaApp.layerConfig`: what `pnpm start` runs: the config file (`cartero.config.ts`, see `ConfigFile`) with the
 *   environment; without a file, exactly `MtaApp.layer`.
 * - `MtaApp.layerWith(config)`: a config given in code (tests, embedding).
 * - `MtaApp.layer`: the defaults and the environment.
 *
 * Tests start the whole app in-process with a `ConfigProvider` layer (the process environment is read once, on
 * first use, so tests must not rely on `process.env`):
 *
 * ```ts
 * Effect.provide(MtaApp.MtaApp.layer, ConfigProvider.layer(ConfigProvider.fromEnv({ env: { CARTERO_SMTP_PORT: "0" } })))
 * ```
 *
 * @since 0.1.0
 */
import { Pipeline } from "@cartero/core"
import { DeliveryWorker, OutboundPipeline } from "@cartero/delivery"
import { Dns } from "@cartero/dns"
import { PolicyStore } from "@cartero/policy-store"
import { SmtpServer } from "@cartero/server"
import { Effect, Layer } from "effect"
import { AppConfig } from "./AppConfig.ts"
import type { CarteroConfig } from "./CarteroConfig.ts"
import * as ConfigFile from "./ConfigFile.ts"
import * as Defaults from "./Defaults.ts"
import * as HttpApp from "./HttpApp.ts"
import * as Logging from "./Logging.ts"
import * as AppQueue from "./AppQueue.ts"
import * as Traces from "./Traces.ts"

/** Logs the start-up line once everything is listening, and the shutdown. */
const announce = (configFile: string | undefined) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const server = yield* SmtpServer.SmtpServer
    const config = yield* AppConfig
    const http = (yield* HttpApp.HttpEndpoint).address
    const listeners = server.listeners.map((l) => `${l.kind}=${l.host.includes(":") ? `[${l.host}]` : l.host}:${l.port}`)
    yield* Effect.logInfo("cartero started").pipe(Effect.annotateLogs({
      hostname: server.hostname,
      listeners: listeners.join(" "),
      localDomains: config.localDomains.join(","),
      maildir: config.maildirRoot,
      queue: AppQueue.describe(yield* AppQueue.choice),
      ...(http === undefined ? {} : { http: `${http.host.includes(":") ? `[${http.host}]` : http.host}:${http.port}` }),
      ...(configFile === undefined ? {} : { config: configFile })
    }))
    yield* Effect.addFinalizer(() => Effect.logInfo("cartero stopping: finishing sessions in progress"))
  }))

const make = (config: CarteroConfig, configFile: string | undefined) => {
  // One queue, one resolver and one policy store (Redis beside the queue, else SQLite in the data directory),
  // shared by the inbound plugins, the workers and the outbound plugins.
  const shared = Layer.mergeAll(AppQueue.AppQueue.layer, Dns.Dns.layerConfig, PolicyStore.PolicyStore.layerConfig)
  const server = SmtpServer.SmtpServer.layerConfig.pipe(Layer.provide(Pipeline.Pipeline.layer(config.plugins ?? Defaults.plugins)))
  // Loop detection knows our listeners without a setting: a next hop at one of their endpoints is us.
  const self = Effect.map(SmtpServer.SmtpServer, (s) => ({
    endpoints: s.listeners.map((l) => ({ address: l.host, port: l.port })),
    names: [s.hostname]
  }))
  const delivery = DeliveryWorker.DeliveryWorker.layerConfig(OutboundPipeline.OutboundPipeline.layer(config.outbound ?? Defaults.outbound), self).pipe(
    Layer.provide(server)
  )
  // The HTTP API (off unless CARTERO_HTTP_PORT is set) starts once the listeners and the queue are up.
  return announce(configFile).pipe(
    Layer.provideMerge(HttpApp.layer),
    Layer.provideMerge(delivery),
    Layer.provideMerge(server),
    Layer.provideMerge(shared),
    Layer.provideMerge(Logging.Logging.layer),
    // Message traces (off unless CARTERO_OTLP_ENDPOINT is set): the tracer is seen by every layer above, and its
    // exporter, built first, is closed (flushed) last.
    Layer.provideMerge(Traces.layer),
    Layer.provideMerge(AppConfig.layer),
    Layer.provide(AppConfig.layerProvider(config.settings))
  )
}

/** The app's layers (a namespace of layers: the app is a composition, not one service). */
export class MtaApp {
  private constructor() {}

  /** The app from a config given in code; its outputs let tests find the bound ports (`SmtpServer.address("mx")`). */
  static readonly layerWith = (config: CarteroConfig) => make(config, undefined)

  /** The app with its default plugins, settings from the environment. */
  static readonly layer = MtaApp.layerWith({})

  /** The app as `pnpm start` runs it: the config file, if there is one, and the environment (which wins). */
  static readonly layerConfig = Layer.unwrap(Effect.map(ConfigFile.load, (loaded) => make(loaded.config, loaded.path)))
}
