/**
 * The web UI's browser tests' harness in the reference app: `@cartero/testing/Browser` (Debian's chromium via
 * playwright-core), and the app started in-process with its HTTP API (and so the UI) on 127.0.0.1 port 0.
 */
import { Effect } from "effect"
import nodemailer from "nodemailer"

export { browser, page, run, waitMillis } from "@cartero/testing/Browser"

export { startApp } from "./ApiApp.ts"

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
