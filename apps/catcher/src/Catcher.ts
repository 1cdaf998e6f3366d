/**
 * The catcher, assembled from Cartero's packages: the SMTP server (`@cartero/server`) with a two-plugin pipeline
 * (accept every recipient, store in Maildir), and the operator HTTP server (`@cartero/http-api`, with
 * `@cartero/mailbox` over the same Maildirs) for the web UI and the API. Nothing is relayed: there are no delivery
 * workers, and the queue the API shows is an empty in-memory one.
 *
 * ```ts
 * NodeRuntime.runMain(Layer.launch(Catcher.layer))
 * ```
 *
 * The layer's outputs tell tests where it listens: `SmtpServer` (`address("mx")`) and {@link HttpAddress}.
 *
 * @since 0.1.0
 */
import { Pipeline } from "@cartero/core"
import { ApiServer, Credentials, HttpConfig, Readiness } from "@cartero/http-api"
import { Mailboxes } from "@cartero/mailbox"
import { Maildir } from "@cartero/plugin-maildir"
import { MailQueue } from "@cartero/queue"
import { SmtpServer } from "@cartero/server"
import { Context, Effect, Layer } from "effect"
import * as AcceptAll from "./AcceptAll.ts"
import * as CatcherConfig from "./CatcherConfig.ts"

/** Where the web UI and the API listen. */
export class HttpAddress extends Context.Service<HttpAddress, { readonly host: string; readonly port: number }>()(
  "@cartero/catcher/HttpAddress"
) {}

const everyone = () => Effect.succeed(true)

const smtp = Layer.unwrap(Effect.map(CatcherConfig.maildirRoot, (root) =>
  SmtpServer.SmtpServer.layerConfig.pipe(
    Layer.provide(Pipeline.Pipeline.layer([AcceptAll.plugin, Maildir.plugin({ root, isLocal: everyone })]))
  )))

const http = Layer.unwrap(Effect.gen(function*() {
  const options = yield* HttpConfig.load
  const root = yield* CatcherConfig.maildirRoot
  if (options === undefined) return yield* Effect.die("the catcher's HTTP port has a default: it cannot be unset")
  const readiness = Layer.effect(
    Readiness.Readiness,
    Effect.map(SmtpServer.SmtpServer, (server) =>
      Readiness.Readiness.of({
        checks: [Readiness.check("listeners", server.listeners.length > 0 ? Effect.void : Effect.fail(new Error("no SMTP listener is bound")))]
      }))
  )
  const credentials = options.auth === "basic" ? Credentials.Credentials.layerConfig : Credentials.Credentials.layerNobody
  const address = Layer.effect(HttpAddress, Effect.map(ApiServer.port, (port) => HttpAddress.of({ host: options.host, port })))
  return address.pipe(Layer.provide(ApiServer.layer(options)), Layer.provide([readiness, credentials, Mailboxes.Mailboxes.layer({ root })]))
}))

const announce = Layer.effectDiscard(Effect.gen(function*() {
  const server = yield* SmtpServer.SmtpServer
  const web = yield* HttpAddress
  const mx = server.address("mx")
  const root = yield* CatcherConfig.maildirRoot
  yield* Effect.logInfo("cartero catcher started").pipe(Effect.annotateLogs({
    smtp: mx === undefined ? "none" : `${mx.host}:${mx.port}`,
    web: `http://${web.host.includes(":") ? `[${web.host}]` : web.host}:${web.port}/`,
    mail: root
  }))
}))

/** The whole catcher, configured by the environment over {@link CatcherConfig.defaults}. */
export const layer = announce.pipe(
  Layer.provideMerge(http),
  Layer.provideMerge(smtp),
  Layer.provideMerge(MailQueue.MailQueue.layerStoreMemory()),
  Layer.provide(CatcherConfig.layerProvider)
)
