/**
 * The reference MTA's HTTP API (`@cartero/http-api`), started when `CARTERO_HTTP_PORT` is set: readiness is "the
 * SMTP listeners are bound and the queue store answers", credentials (beyond loopback, or with
 * `CARTERO_HTTP_AUTH=required`) are the SMTP users file's, and the mailboxes are the Maildirs under the app's
 * Maildir root (`@cartero/mailbox`, loaded with the API). Without `CARTERO_HTTP_PORT` nothing is started, and the
 * HTTP modules are not even loaded (a dynamic import): a server without the API pays nothing for it.
 *
 * The layer's output, {@link HttpEndpoint}, tells where the API is bound (tests bind port 0).
 *
 * @since 0.1.0
 */
import * as HttpConfig from "@cartero/http-api/HttpConfig"
import { SmtpServer } from "@cartero/server"
import { AppConfig } from "./AppConfig.ts"
import { Context, Effect, Layer } from "effect"

/** Where the API listens; `undefined` when it is off. */
export class HttpEndpoint extends Context.Service<HttpEndpoint, { readonly address: { readonly host: string; readonly port: number } | undefined }>()(
  "@cartero/mta/HttpEndpoint"
) {}

const off = Layer.succeed(HttpEndpoint, HttpEndpoint.of({ address: undefined }))

const start = (options: HttpConfig.HttpOptions, maildirRoot: string) =>
  Effect.map(Effect.promise(() => Promise.all([import("@cartero/http-api"), import("@cartero/mailbox")])), ([{ ApiServer, Credentials, Readiness }, { Mailboxes }]) => {
    const readiness = Layer.effect(
      Readiness.Readiness,
      Effect.gen(function*() {
        const bound = (yield* SmtpServer.SmtpServer).listeners
        // The server layer only exists once every listener is bound; there must be at least one.
        const listeners = Readiness.check(
          "listeners",
          bound.length > 0 ? Effect.void : Effect.fail(new Error("no SMTP listener is bound"))
        )
        return Readiness.Readiness.of({ checks: [listeners, yield* Readiness.queue] })
      })
    )
    const credentials = options.auth === "basic" ? Credentials.Credentials.layerConfig : Credentials.Credentials.layerNobody
    const endpoint = Layer.effect(
      HttpEndpoint,
      Effect.map(ApiServer.port, (port) => HttpEndpoint.of({ address: { host: options.host, port } }))
    )
    const mailboxes = Mailboxes.Mailboxes.layer({ root: maildirRoot })
    return endpoint.pipe(Layer.provide(ApiServer.layer(options)), Layer.provide([readiness, credentials, mailboxes]))
  })

/** The API, or nothing, as the settings say. */
export const layer = Layer.unwrap(
  Effect.gen(function*() {
    const options = yield* HttpConfig.load
    return options === undefined ? off : yield* start(options, (yield* AppConfig).maildirRoot)
  })
)
