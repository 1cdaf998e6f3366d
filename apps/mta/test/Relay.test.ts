import { MailQueue } from "@cartero/queue"
import { SmtpServer } from "@cartero/server"
import { FakeDns, SmtpSink, TempDir, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer } from "effect"
import * as Fs from "node:fs/promises"
import * as net from "node:net"
import * as Path from "node:path"
import * as MtaApp from "../src/MtaApp.ts"

const tempDir = TempDir.make()
const { listFiles } = TempDir

/** The app with relaying allowed from loopback, DNS from a FakeDns, outbound mail to the sink's port. */
const startApp = (dataDir: string, dnsPort: number, sinkPort: number, smtpPort = 0) =>
  Effect.gen(function*() {
    const env = {
      CARTERO_SMTP_PORT: String(smtpPort),
      CARTERO_DATA_DIR: dataDir,
      CARTERO_HOSTNAME: "mx.test",
      CARTERO_LOCAL_DOMAINS: "example.test",
      CARTERO_TRUSTED_NETWORKS: "127.0.0.0/8",
      CARTERO_DNS_SERVERS: `127.0.0.1:${dnsPort}`,
      CARTERO_OUTBOUND_PORT: String(sinkPort),
      CARTERO_OUTBOUND_TLS: "none",
      CARTERO_LOG_LEVEL: "warn"
    }
    const context = yield* Layer.build(
      MtaApp.MtaApp.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))
    )
    const mx = Context.get(context, SmtpServer.SmtpServer).address("mx")
    if (mx === undefined) return yield* Effect.die("no MX listener")
    return { mx, queue: Context.get(context, MailQueue.MailQueue) }
  })

describe("the reference MTA relays through its queue", () => {
  it.live("local recipients go to Maildir, the others through the queue to their MX", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const sink = yield* SmtpSink.make()
      const dns = yield* FakeDns.make({
        "remote.test": { MX: [{ priority: 10, exchange: "mx.remote.test" }] },
        "mx.remote.test": { A: ["127.0.0.1"] }
      })
      const app = yield* startApp(dataDir, dns.port, sink.port)
      yield* Transcript.run({ host: app.mx.host, port: app.mx.port }, `
        <~ 220
        -> EHLO client.test
        <~ 250
        -> MAIL FROM:<alice@example.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<bob@example.test>
        <- 250 2.1.5 Accepted
        -> RCPT TO:<carol@remote.test>
        <- 250 2.1.5 Accepted
        -> DATA
        <~ 354
        -> Subject: relayed
        ->
        -> Hello both.
        -> .
        <~ 250 2.6.0 Message queued as
        -> QUIT
        <~ 221
      `)
      const [delivered] = yield* sink.awaitMessages(1, "15 seconds")
      assert.deepStrictEqual(delivered?.rcptTo, ["carol@remote.test"])
      assert.strictEqual(delivered?.mailFrom, "alice@example.test")
      const relayed = delivered?.data.toString("latin1") ?? ""
      assert.match(relayed, /^Received: from client\.test /)
      assert.include(relayed, "\r\nSubject: relayed\r\n\r\nHello both.\r\n")

      const files = yield* listFiles(Path.join(dataDir, "mail"))
      assert.deepStrictEqual(files.map((f) => f.split("/").slice(0, 2).join("/")), ["example.test/bob"])
      const local = yield* Effect.promise(() => Fs.readFile(Path.join(dataDir, "mail", files[0] ?? ""), "latin1"))
      assert.strictEqual(local, relayed)

      // delivered recipients leave the queue
      const deadline = Date.now() + 10_000
      let remaining = (yield* app.queue.stats).messages
      while (remaining > 0 && Date.now() < deadline) {
        yield* Effect.sleep("50 millis")
        remaining = (yield* app.queue.stats).messages
      }
      assert.strictEqual(remaining, 0)
    }).pipe(Effect.scoped))

  it.live("mail whose MX is this very server bounces 5.4.6 at once instead of going round (the listener's endpoint is known)", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const dns = yield* FakeDns.make({
        "loop.test": { MX: [{ priority: 10, exchange: "alias.loop.test" }] },
        "alias.loop.test": { A: ["127.0.0.1"] }
      })
      // The listener on a port chosen up front so that MX-routed mail (to CARTERO_OUTBOUND_PORT) reaches it.
      const port = yield* Effect.callback<number>((resume) => {
        const s = net.createServer()
        s.listen(0, "127.0.0.1", () => {
          const a = s.address()
          s.close(() => resume(Effect.succeed(typeof a === "object" && a !== null ? a.port : 0)))
        })
      })
      const app = yield* startApp(dataDir, dns.port, port, port)
      yield* Transcript.run({ host: app.mx.host, port: app.mx.port }, `
        <~ 220
        -> EHLO client.test
        <~ 250
        -> MAIL FROM:<alice@example.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<carol@loop.test>
        <- 250 2.1.5 Accepted
        -> DATA
        <~ 354
        -> Subject: round and round
        ->
        -> Hello?
        -> .
        <~ 250 2.6.0 Message queued as
        -> QUIT
        <~ 221
      `)
      // The bounce comes back to alice, a local mailbox; the message itself was never received a second time.
      const deadline = Date.now() + 10_000
      let files = yield* listFiles(Path.join(dataDir, "mail"))
      while (files.length === 0 && Date.now() < deadline) {
        yield* Effect.sleep("50 millis")
        files = yield* listFiles(Path.join(dataDir, "mail"))
      }
      yield* Effect.sleep("300 millis")
      files = yield* listFiles(Path.join(dataDir, "mail"))
      assert.deepStrictEqual(files.map((f) => f.split("/").slice(0, 2).join("/")), ["example.test/alice"])
      const dsn = yield* Effect.promise(() => Fs.readFile(Path.join(dataDir, "mail", files[0] ?? ""), "latin1"))
      assert.include(dsn, "Status: 5.4.6")
      assert.include(dsn, "loops back to myself (MX alias.loop.test)")
      assert.include(dsn, "Received: from client.test")
      // One hop from ourselves: the bounce's own way back to the local mailbox; the returned message has none.
      assert.strictEqual(dsn.match(/Received: from mx\.test/g)?.length, 1, "the message never came back to us")
    }).pipe(Effect.scoped))
})
