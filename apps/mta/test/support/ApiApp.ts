/**
 * The reference app started in-process with its HTTP API (and so the web UI) on 127.0.0.1 port 0, for the API,
 * dashboard and browser tests.
 */
import { HttpEndpoint } from "../../src/HttpApp.ts"
import * as MtaApp from "../../src/MtaApp.ts"
import { SmtpServer } from "@cartero/server"
import { ConfigProvider, Context, Effect, Layer } from "effect"

/** Starts the whole app with `env` as its settings; returns where its MX listens and the API's base URL. */
export const startApp = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      MtaApp.MtaApp.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))
    )
    const mx = Context.get(context, SmtpServer.SmtpServer).address("mx")
    const http = Context.get(context, HttpEndpoint).address
    if (mx === undefined || http === undefined) return yield* Effect.die("no MX listener or no HTTP API")
    return { mx, base: `http://127.0.0.1:${http.port}` }
  })
