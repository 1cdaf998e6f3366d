import { SmtpServer } from "@cartero/server"
import { FakeDns, SmtpSink, TempDir, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, References } from "effect"
import * as CustomServer from "../src/CustomServer.ts"

const tempDir = TempDir.make()
const { listFiles } = TempDir

describe("CustomServer (docs/assembling-a-server.md)", () => {
  it.live("stores local mail in a Maildir and delivers relayed mail through the queue to the next hop", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const sink = yield* SmtpSink.make()
      const dns = yield* FakeDns.make({
        "remote.test": { MX: [{ priority: 10, exchange: "mx.remote.test" }] },
        "mx.remote.test": { A: ["127.0.0.1"] }
      })
      const env = {
        CARTERO_DNS_SERVERS: dns.nameserver,
        CARTERO_OUTBOUND_PORT: String(sink.port),
        CARTERO_HOSTNAME: "mx.example.com",
        CARTERO_DELIVERY_WORKERS: "2"
      }
      const context = yield* Layer.build(CustomServer.layer({ port: 0, dataDir }).pipe(
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))),
        Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn"))
      ))
      const mx = Context.get(context, SmtpServer.SmtpServer).address("mx")
      if (mx === undefined) return assert.fail("no MX listener")
      yield* Transcript.run(mx, String.raw`
        <~ 220 mx.example.com
        -> EHLO client.test
        <~ 250
        -> MAIL FROM:<alice@example.com>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<bob@example.com>
        <- 250 2.1.5 Accepted
        -> RCPT TO:<carol@remote.test>
        <- 250 2.1.5 Accepted
        -> DATA
        <~ 354
        => Subject: hi\r\n\r\nHello.\r\n.\r\n
        <- 250 2.6.0 Message queued as *
      `)
      const [relayed] = yield* sink.awaitMessages(1, "10 seconds")
      assert.deepStrictEqual(relayed?.rcptTo, ["carol@remote.test"])
      assert.include(relayed?.data.toString("latin1") ?? "", "X-Recipient-Count: 2\r\n")
      const local = (yield* listFiles(dataDir)).filter((f) => f.startsWith("mail/"))
      assert.strictEqual(local.length, 1)
      assert.match(local[0] ?? "", /^mail\/example\.com\/bob\/Maildir\/new\//)
    }).pipe(Effect.scoped))
})
