/**
 * The LMTP and webhook targets in the whole app, started with the recipes of docs/delivery.md
 * (`apps/mta/recipes/dovecot-lmtp.config.ts`, `webhook.config.ts`) as `pnpm start` loads them: mail for the
 * target's domain comes in over SMTP, is queued (not stored in a Maildir), and the delivery workers hand it on.
 * Each target is down (or failing) at first: the message is deferred, stays in the queue, and is delivered exactly
 * once when the target is back. Real time (the app's workers), a one-second retry schedule.
 */
import { MailQueue, type QueuedMessage } from "@cartero/queue"
import { Signature } from "@cartero/plugin-webhook"
import { SmtpServer } from "@cartero/server"
import { LmtpSink, TempDir } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, Redacted, Schedule } from "effect"
import * as Fs from "node:fs/promises"
import * as http from "node:http"
import * as Path from "node:path"
import nodemailer from "nodemailer"
import * as MtaApp from "../src/MtaApp.ts"

const recipe = (name: string) => Path.join(import.meta.dirname, "..", "recipes", `${name}.config.ts`)

/** Starts the app with a recipe of docs/delivery.md and `env` over it, as `pnpm start` would, in the current scope. */
const start = (name: string, dataDir: string, env: Record<string, string>) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(MtaApp.MtaApp.layerConfig.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({
      env: {
        CARTERO_CONFIG: recipe(name),
        CARTERO_SMTP_PORT: "0",
        CARTERO_DATA_DIR: dataDir,
        CARTERO_LOG_LEVEL: "error",
        CARTERO_QUEUE_RETAIN: "1h",
        CARTERO_RETRY_SCHEDULE: "1s",
        CARTERO_DELIVERY_WORKERS: "2",
        ...env
      }
    })))))
    const mx = Context.get(context, SmtpServer.SmtpServer).address("mx")
    if (mx === undefined) return yield* Effect.die("no MX listener")
    return { mx, queue: Context.get(context, MailQueue.MailQueue) }
  })

const send = (mx: { readonly host: string; readonly port: number }, to: ReadonlyArray<string>) =>
  Effect.promise(() => {
    const transport = nodemailer.createTransport({ host: mx.host, port: mx.port, secure: false, ignoreTLS: true })
    const raw = `From: <alice@remote.test>\r\nTo: ${to.map((a) => `<${a}>`).join(", ")}\r\nSubject: to the target\r\nMessage-ID: <t1@remote.test>\r\n\r\nHello.\r\n`
    return transport.sendMail({ envelope: { from: "alice@remote.test", to: [...to] }, raw }).finally(() => transport.close())
  }).pipe(Effect.timeout("20 seconds"))

/** Polls until `check` holds (every 50 ms, at most 15 s). */
const until = <A>(check: Effect.Effect<A | undefined, unknown>) =>
  check.pipe(
    Effect.flatMap((a) => (a === undefined ? Effect.fail("not yet" as const) : Effect.succeed(a))),
    Effect.retry(Schedule.spaced("50 millis")),
    Effect.timeoutOrElse({ duration: "15 seconds", orElse: () => Effect.die(new Error("condition not reached within 15 s")) })
  )

/** The one queued message's first recipient once it is in `state`. */
const inState = (queue: MailQueue.Service, state: QueuedMessage.RecipientStatus["state"]) =>
  until(Effect.map(queue.list(), (page) => page.items.length === 1 ? page.items[0] : undefined).pipe(
    Effect.flatMap((summary) => summary === undefined ? Effect.succeed(undefined) : queue.show(summary.id)),
    Effect.map((m) => (m?.recipients[0]?.state === state ? m : undefined))
  ))

describe("delivery targets in the reference MTA", () => {
  it.live("LMTP: SMTP in, queued, the LMTP socket missing (deferred), then delivered once to the mailbox server", () =>
    Effect.gen(function*() {
      const dataDir = yield* TempDir.make()
      const socket = Path.join(dataDir, "lmtp.sock")
      const { mx, queue } = yield* start("dovecot-lmtp", dataDir, { CARTERO_LMTP_ADDRESS: `unix:${socket}` })
      const info = yield* send(mx, ["bob@example.com"])
      assert.deepStrictEqual(info.accepted, ["bob@example.com"])
      const deferred = yield* inState(queue, "deferred")
      assert.match(deferred.recipients[0]?.lastReply?.enhanced ?? "", /^4\.4\./)

      const sink = yield* LmtpSink.make({ listen: { path: socket } })
      yield* inState(queue, "delivered")
      yield* Effect.sleep("1500 millis")
      assert.deepStrictEqual(sink.deliveries().map((d) => [d.mailFrom, d.recipient]), [["alice@remote.test", "bob@example.com"]])
      assert.include(Buffer.from(sink.deliveries()[0]?.data ?? []).toString(), "Subject: to the target")
      assert.include(sink.commands(), "LHLO mx.example.com")
      const files = yield* TempDir.listFiles(Path.join(dataDir, "mail"))
      assert.deepStrictEqual(files, [], "nothing in a Maildir")
    }).pipe(Effect.scoped))

  it.live("webhook: SMTP in, queued, the endpoint answers 503 (deferred), then 200: POSTed once more, signed, and delivered", () =>
    Effect.gen(function*() {
      const dataDir = yield* TempDir.make()
      const secret = "an app test secret, long enough"
      const received: Array<{ readonly headers: http.IncomingHttpHeaders; readonly body: Buffer }> = []
      const server = yield* Effect.acquireRelease(
        Effect.callback<http.Server>((resume) => {
          const s = http.createServer((req, res) => {
            const chunks: Array<Buffer> = []
            req.on("data", (c: Buffer) => chunks.push(c))
            req.on("end", () => {
              received.push({ headers: req.headers, body: Buffer.concat(chunks) })
              res.writeHead(received.length === 1 ? 503 : 200).end()
            })
          })
          s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
        }),
        (s) => Effect.callback<void>((resume) => {
          s.closeAllConnections()
          s.close(() => resume(Effect.void))
        })
      )
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      const { mx, queue } = yield* start("webhook", dataDir, { CARTERO_WEBHOOK_URL: `http://127.0.0.1:${port}/mail`, CARTERO_WEBHOOK_SECRET: secret })
      const info = yield* send(mx, ["orders@hooks.example.com", "bob@example.com"])
      assert.deepStrictEqual(info.accepted, ["orders@hooks.example.com", "bob@example.com"])
      yield* inState(queue, "delivered")
      yield* Effect.sleep("1500 millis")
      assert.strictEqual(received.length, 2, "one 503, one 200, nothing after")
      const last = received[1]
      const json = JSON.parse(last?.body.toString() ?? "{}") as { readonly recipients: ReadonlyArray<string>; readonly message: string }
      assert.deepStrictEqual(json.recipients, ["orders@hooks.example.com"])
      assert.include(Buffer.from(json.message, "base64").toString(), "Subject: to the target")
      const now = Math.floor(Date.now() / 1000)
      assert.isUndefined(Signature.verify(Redacted.make(secret), { headers: last?.headers ?? {}, body: last?.body ?? Buffer.alloc(0) }, now))
      // bob@example.com is in his Maildir, as without the webhook.
      const files = yield* TempDir.listFiles(Path.join(dataDir, "mail"))
      assert.strictEqual(files.length, 1)
      assert.match(files[0] ?? "", /^example\.com\/bob\/Maildir\/new\//)
    }).pipe(Effect.scoped))
})

describe("delivery target recipes", () => {
  it("docs/delivery.md shows both recipes exactly as tested", () =>
    Effect.runPromise(Effect.gen(function*() {
      const docs = yield* Effect.promise(() => Fs.readFile(Path.join(import.meta.dirname, "..", "..", "..", "docs", "delivery.md"), "utf8"))
      for (const name of ["dovecot-lmtp", "webhook"]) {
        const file = yield* Effect.promise(() => Fs.readFile(recipe(name), "utf8"))
        assert.include(docs, file.trimEnd(), `docs/delivery.md has apps/mta/recipes/${name}.config.ts verbatim`)
      }
    })))
})
