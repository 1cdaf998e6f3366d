/**
 * The web UI's browser tests' harness in the reference app: `@cartero/testing/Browser` (Debian's chromium via
 * playwright-core), and the app started in-process with its HTTP API (and so the UI) on 127.0.0.1 port 0.
 */
import { HttpEndpoint } from "../../src/HttpApp.ts"
import * as MtaApp from "../../src/MtaApp.ts"
import { SmtpServer } from "@cartero/server"
import { ConfigProvider, Context, Effect, Layer } from "effect"
import nodemailer from "nodemailer"

export { browser, page, run, waitMillis } from "@cartero/testing/Browser"

/** The app started in-process: where its MX listens and the UI's base URL. */
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

/** Sends one message over SMTP. */
export const send = (
  mx: { readonly host: string; readonly port: number },
  envelope: { readonly from: string; readonly to: ReadonlyArray<string> },
  raw: string | Buffer
) =>
  Effect.promise(async () => {
    const transport = nodemailer.createTransport({ host: mx.host, port: mx.port, secure: false, ignoreTLS: true })
    try {
      return await transport.sendMail({ envelope: { from: envelope.from, to: [...envelope.to] }, raw })
    } finally {
      transport.close()
    }
  }).pipe(Effect.timeout("20 seconds"), Effect.orDie)
