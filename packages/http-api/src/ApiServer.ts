/**
 * The HTTP server of the API: `effect/http-api`'s router over `@effect/platform-node`'s `NodeHttpServer`, bound as
 * the options say (`HttpConfig`), in the layer's scope (closing the scope stops it).
 *
 * It needs `MailQueue`, `Readiness`, `Mailboxes` (`@cartero/mailbox`) and, when credentials are asked for, `Credentials`; its output is the
 * `HttpServer` (tests read the bound port from `address`).
 *
 * ```ts
 * const Http = ApiServer.layer(options).pipe(
 *   Layer.provide([Readiness.layer(checks), Credentials.layerConfig, Mailboxes.layer({ root })]),
 *   Layer.provide(AppQueue.layer)
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import * as Fs from "node:fs/promises"
import * as Http from "node:http"
import * as Https from "node:https"
import { Api } from "./Api.ts"
import * as AuthorizationLive from "./AuthorizationLive.ts"
import * as Events from "./Events.ts"
import * as Handlers from "./Handlers.ts"
import { HttpConfigError, type HttpOptions } from "./HttpConfig.ts"
import * as WebUi from "./WebUi.ts"

/** The API's routes with their handlers and the middleware of `mode`, and the web UI's behind the same rule. */
export const routes = (mode: HttpOptions["auth"]) =>
  Layer.mergeAll(
    HttpApiBuilder.layer(Api).pipe(Layer.provide(Handlers.layer), Layer.provide(AuthorizationLive.layer(mode))),
    WebUi.layer(mode)
  )

const readTls = (tls: NonNullable<HttpOptions["tls"]>) =>
  Effect.tryPromise({
    try: async () => ({ cert: await Fs.readFile(tls.certFile), key: await Fs.readFile(tls.keyFile) }),
    catch: (cause) =>
      new HttpConfigError({ message: `cannot read the TLS pair for the HTTP API (${tls.certFile}, ${tls.keyFile}): ${String(cause)}` })
  })

/** The port the server is bound to (the real one when 0 was asked). */
export const port: Effect.Effect<number, never, HttpServer.HttpServer> = Effect.map(
  HttpServer.HttpServer.useSync((s) => s.address),
  (address) => ("port" in address ? address.port : 0)
)

/** The server, bound and serving. */
export const layer = (options: HttpOptions) =>
  Layer.unwrap(Effect.gen(function*() {
    const material = options.tls === undefined ? undefined : yield* readTls(options.tls)
    const server = NodeHttpServer.layer(
      () => (material === undefined ? Http.createServer() : Https.createServer(material)),
      { host: options.host, port: options.port, gracefulShutdownTimeout: "2 seconds" }
    )
    const serve = HttpRouter.serve(routes(options.auth), { disableLogger: true, disableListenLog: true })
    const announce = Layer.effectDiscard(Effect.gen(function*() {
      yield* Effect.logInfo("HTTP API listening").pipe(Effect.annotateLogs({
        host: options.host,
        port: yield* port,
        auth: options.auth,
        tls: material !== undefined
      }))
    }))
    // `fireOnRelease` last: released first, it ends the event streams before the server waits for open responses.
    return Layer.mergeAll(serve, announce, Events.fireOnRelease).pipe(
      Layer.provideMerge(server),
      Layer.provideMerge(Events.ShutdownSignal.layer)
    )
  }))
