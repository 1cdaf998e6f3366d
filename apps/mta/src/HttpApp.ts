/**
 * The reference MTA's HTTP API (`@cartero/http-api`), started when `CARTERO_HTTP_PORT` is set: readiness is "the
 * SMTP listeners are bound and the queue store answers", credentials (beyond loopback, or with
 * `CARTERO_HTTP_AUTH=required`) are the SMTP users file's. Without `CARTERO_HTTP_PORT` nothing is started.
 *
 * The layer's output, {@link HttpEndpoint}, tells where the API is bound (tests bind port 0).
 *
 * @since 0.1.0
 */
import { ApiServer, Credentials, HttpConfig, Readiness } from "@cartero/http-api"
import { SmtpServer } from "@cartero/server"
import { Context, Effect, Layer } from "effect"

/** Where the API listens; `undefined` when it is off. */
export class HttpEndpoint extends Context.Service<HttpEndpoint, { readonly address: { readonly host: string; readonly port: number } | undefined }>()(
  "@cartero/mta/HttpEndpoint"
) {}

/** The listeners are bound (the server layer only exists once they are) and there is at least one. */
const listeners = Effect.map(SmtpServer.SmtpServer.useSync((s) => s.listeners), (bound) =>
  Readiness.check(
    "listeners",
    bound.length > 0 ? Effect.void : Effect.fail(new Error("no SMTP listener is bound"))
  ))

const readiness = Layer.effect(
  Readiness.Readiness,
  Effect.gen(function*() {
    return Readiness.Readiness.of({ checks: [yield* listeners, yield* Readiness.queue] })
  })
)

/** The API, or nothing, as the settings say. */
export const layer = Layer.unwrap(Effect.gen(function*() {
  const options = yield* HttpConfig.load
  if (options === undefined) return Layer.succeed(HttpEndpoint, HttpEndpoint.of({ address: undefined }))
  const credentials = options.auth === "basic" ? Credentials.Credentials.layerConfig : Credentials.Credentials.layerNobody
  const endpoint = Layer.effect(
    HttpEndpoint,
    Effect.map(ApiServer.port, (port) => HttpEndpoint.of({ address: { host: options.host, port } }))
  )
  return endpoint.pipe(Layer.provide(ApiServer.layer(options)), Layer.provide([readiness, credentials]))
}))
