/**
 * The inbound SMTP server as a scoped service.
 *
 * `SmtpServer.layer(options)` starts every configured listener (MX, submission, implicit TLS) inside the layer's scope and
 * closes them gracefully with it; the service tells where they are bound (tests listen on port 0). Every SMTP phase
 * runs the `Pipeline` from `@cartero/core`, which the layers require.
 *
 * ```ts
 * const Live = SmtpServer.SmtpServer.layerConfig.pipe(Layer.provide(Pipeline.Pipeline.layer([localDomains, maildir])))
 * const Test = SmtpServer.SmtpServer.layerTest().pipe(Layer.provide(Pipeline.Pipeline.layer([acceptAll, recordQueue])))
 * ```
 *
 * @since 0.1.0
 */
import { Pipeline } from "@cartero/core"
import { Clock, type Config, Context, Duration, Effect, Layer } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import * as Bridge from "./Bridge.ts"
import * as Listener from "./Listener.ts"
import { RateWindow } from "./RateWindow.ts"
import * as ServerConfig from "./ServerConfig.ts"
import { SmtpServerError } from "./ServerError.ts"
import * as ServerMetrics from "./ServerMetrics.ts"
import * as ServerOptions from "./ServerOptions.ts"
import * as TlsMaterial from "./TlsMaterial.ts"

export type { BoundListener } from "./Listener.ts"

/** The running server. */
export interface SmtpServerShape {
  /** The name used in the banner, the EHLO reply and `Received:`. */
  readonly hostname: string
  /** Every listener with the address and port it is actually bound to, in configuration order. */
  readonly listeners: ReadonlyArray<Listener.BoundListener>
  /** The first listener of a kind, if configured. */
  readonly address: (kind: ServerOptions.ListenerKind) => Listener.BoundListener | undefined
}

/** The inbound SMTP server service. */
export class SmtpServer extends Context.Service<SmtpServer, SmtpServerShape>()("@cartero/server/SmtpServer") {
  /** The server with the given options. */
  static readonly layer = (
    options: ServerOptions.SmtpServerOptions
  ): Layer.Layer<SmtpServer, SmtpServerError, Pipeline.Pipeline> => Layer.effect(SmtpServer, make(options))

  /** The server configured from `CARTERO_*` environment variables (see `ServerConfig`). */
  static readonly layerConfig: Layer.Layer<
    SmtpServer,
    SmtpServerError | ServerConfig.ServerConfigError | Config.ConfigError,
    Pipeline.Pipeline
  > = Layer.unwrap(Effect.map(ServerConfig.load, (options) => SmtpServer.layer(options)))

  /**
   * A server for tests: one MX listener on 127.0.0.1 port 0, hostname `mx.test`, a short shutdown, no AUTH failure
   * delay, no error sleep, and never any reverse DNS. The other limits keep their defaults. Any option can be
   * overridden (e.g. `listeners`, `tls`, `maxMessageSize`, `hardErrorLimit`).
   */
  static readonly layerTest = (
    options: ServerOptions.SmtpServerOptions = {}
  ): Layer.Layer<SmtpServer, SmtpServerError, Pipeline.Pipeline> =>
    SmtpServer.layer({
      hostname: "mx.test",
      listeners: [{ kind: "mx", host: "127.0.0.1", port: 0 }],
      shutdownTimeout: "2 seconds",
      socketTimeout: "30 seconds",
      authFailureDelay: 0,
      errorSleep: 0,
      ...options,
      reverseDns: false
    })
}

/** Starts the server in the current scope. */
export const make = Effect.fn("SmtpServer.make")(function*(options: ServerOptions.SmtpServerOptions) {
  const defaults = ServerOptions.resolve(options)
  // One spill directory per server run, owner only; made before the listeners so it is removed after them.
  const spillDir = yield* Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        await Fs.mkdir(defaults.spillDir, { recursive: true, mode: 0o700 })
        return await Fs.mkdtemp(Path.join(defaults.spillDir, "cartero-spill-"))
      },
      catch: (cause) =>
        new SmtpServerError({
          reason: "SpillDir",
          message: `cannot make a spill directory in ${defaults.spillDir}: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause
        })
    }),
    (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }).catch(() => undefined))
  )
  const resolved: ServerOptions.ResolvedOptions = { ...defaults, spillDir }
  const pipeline = yield* Pipeline.Pipeline
  // Made before the listeners, so it closes after them: sessions finishing during shutdown still have a runtime.
  const bridge = yield* Bridge.make
  const tls = resolved.tls === undefined ? undefined : yield* TlsMaterial.load(resolved.tls, resolved.hostname)
  // Failed AUTH are counted per client across every listener (submission and smtps alike).
  const authFailures = {
    window: new RateWindow(Duration.toMillis(resolved.authFailureWindow)),
    limit: resolved.authFailureLimit
  }
  const clock = yield* Clock.Clock
  // Metrics are updated from smtp-server's callbacks in this context (its metric registry).
  const metrics = new ServerMetrics.Recorder(yield* Effect.context<never>())
  yield* ServerMetrics.register
  const listeners = yield* Effect.forEach(resolved.listeners, (listener) =>
    Listener.make(resolved, listener, tls, pipeline, bridge, authFailures, clock, metrics))
  yield* Effect.logDebug("server limits").pipe(Effect.annotateLogs(ServerOptions.describeLimits(resolved)))
  return SmtpServer.of({
    hostname: resolved.hostname,
    listeners,
    address: (kind) => listeners.find((l) => l.kind === kind)
  })
})
