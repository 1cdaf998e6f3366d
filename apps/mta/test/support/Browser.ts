/**
 * The web UI's browser tests' harness: Debian's chromium driven by playwright-core (never a downloaded browser), and
 * the reference app started in-process with its HTTP API (and so the UI) on 127.0.0.1 port 0.
 *
 * Chromium is installed by `.ci/run` and `scripts/test.sh` when missing; `CARTERO_CHROMIUM` names another binary.
 * Without one the tests fail with that message rather than being skipped silently.
 */
import { HttpEndpoint } from "../../src/HttpApp.ts"
import * as MtaApp from "../../src/MtaApp.ts"
import { SmtpServer } from "@cartero/server"
import { ConfigProvider, Context, Effect, Layer } from "effect"
import * as Fs from "node:fs"
import nodemailer from "nodemailer"
import { type Browser, chromium, type Page } from "playwright-core"

/** The chromium binary. */
export const executablePath = process.env["CARTERO_CHROMIUM"] ?? "/usr/bin/chromium"

/** How long any single wait of a browser test may take. */
export const waitMillis = 15_000

/** A headless chromium for the scope. */
export const browser: Effect.Effect<Browser, never, import("effect").Scope.Scope> = Effect.acquireRelease(
  Effect.promise(async () => {
    if (!Fs.existsSync(executablePath)) {
      throw new Error(`no chromium at ${executablePath}: install Debian's chromium (apt-get install chromium; scripts/test.sh does) or set CARTERO_CHROMIUM`)
    }
    // Chromium refuses to run its sandbox as root (CI containers): only then without it.
    const asRoot = process.getuid?.() === 0
    return chromium.launch({ executablePath, args: asRoot ? ["--no-sandbox"] : [], timeout: 60_000 })
  }),
  (b) => Effect.promise(() => b.close())
)

/** A new page with bounded default waits, which records what the page logs and every uncaught error. */
export const page = (b: Browser, options: { readonly httpCredentials?: { readonly username: string; readonly password: string } } = {}) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const context = await b.newContext({
        viewport: { width: 1280, height: 800 },
        acceptDownloads: true,
        ...(options.httpCredentials === undefined ? {} : { httpCredentials: { ...options.httpCredentials } })
      })
      const p = await context.newPage()
      p.setDefaultTimeout(waitMillis)
      const log: Array<string> = []
      p.on("console", (m) => void log.push(`${m.type()}: ${m.text()}`))
      p.on("pageerror", (e) => void log.push(`pageerror: ${e.message}`))
      p.on("dialog", (d) => {
        log.push(`dialog: ${d.message()}`)
        void d.dismiss()
      })
      return { page: p, log }
    }),
    ({ page: p }) => Effect.promise(() => p.context().close())
  )

/** Runs browser code, failing the test with its error. */
export const run = <A>(f: () => Promise<A>): Effect.Effect<A> => Effect.promise(f)

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

/** Sends one message over SMTP to the MX. */
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

/** Waits until `predicate` holds in the page (polled by the browser), bounded. */
export const waitFor = (p: Page, predicate: string, arg?: unknown) =>
  run(() => p.waitForFunction(predicate, arg, { timeout: waitMillis, polling: 100 }).then(() => undefined))
