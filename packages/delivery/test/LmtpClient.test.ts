/**
 * The SMTP client speaking LMTP (RFC 2033) to a real LMTP server (`@cartero/testing` `LmtpSink`) on 127.0.0.1 and on
 * a Unix socket: LHLO, a verdict per recipient after the data, pooled sessions, and a server that hangs up half-way
 * through its per-recipient replies.
 */
import { assert, describe, it } from "@effect/vitest"
import { SmtpReply } from "@cartero/smtp"
import { LmtpSink, SmtpSink, TempDir } from "@cartero/testing"
import { Effect } from "effect"
import * as Path from "node:path"
import type * as DeliveryResult from "../src/DeliveryResult.ts"
import * as SmtpClient from "../src/SmtpClient.ts"
import { clientOptions, envelope, message } from "./support/fixtures.ts"

const outcomes = (r: DeliveryResult.TransactionResult) => r.recipients.map((x) => `${x._tag} ${x.stage} ${SmtpReply.toString(x.reply)}`)

const script: LmtpSink.Options = {
  rcpt: (to) => (to.startsWith("nobody@") ? { code: 550, text: "5.1.1 no such user" } : undefined),
  deliver: (to) =>
    to.startsWith("full@") ? { code: 452, text: "4.2.2 mailbox full" }
    : to.startsWith("banned@") ? { code: 554, text: "5.7.1 refused by sieve" }
    : undefined
}

describe("SmtpClient over LMTP", () => {
  it.live("TCP: LHLO, then one reply per accepted recipient after the data, each recipient's own verdict", () =>
    Effect.gen(function*() {
      const sink = yield* LmtpSink.make(script)
      const port = "port" in sink.listen ? sink.listen.port : 0
      const client = yield* SmtpClient.make(clientOptions())
      const result = yield* client.send({ host: "127.0.0.1", port, protocol: "lmtp", envelope: envelope(["bob", "full", "nobody", "banned", "carol"]), message: message() })
      assert.deepStrictEqual(outcomes(result), [
        "Delivered message 250 2.0.0 <bob@dest.test> delivered",
        "Deferred message 452 4.2.2 mailbox full",
        "Failed RCPT 550 5.1.1 no such user",
        "Failed message 554 5.7.1 refused by sieve",
        "Delivered message 250 2.0.0 <carol@dest.test> delivered"
      ])
      assert.deepStrictEqual(sink.deliveries().map((d) => d.recipient), ["bob@dest.test", "carol@dest.test"])
      assert.strictEqual(sink.commands()[0], "LHLO client.test")
      assert.notInclude(sink.commands().join("\n"), "EHLO")

      // The session is pooled: a second message goes on the same connection, after RSET.
      const again = yield* client.send({ host: "127.0.0.1", port, protocol: "lmtp", envelope: envelope(["dave"]), message: message() })
      assert.deepStrictEqual(outcomes(again), ["Delivered message 250 2.0.0 <dave@dest.test> delivered"])
      assert.strictEqual(sink.connections(), 1)
      assert.include(sink.commands(), "RSET")
    }))

  it.live("Unix socket: delivered; the remote is the socket's path", () =>
    Effect.gen(function*() {
      const path = Path.join(yield* TempDir.make("cartero-lmtp-"), "lmtp")
      const sink = yield* LmtpSink.make({ listen: { path } })
      const client = yield* SmtpClient.make(clientOptions())
      const result = yield* client.send({ host: path, path, protocol: "lmtp", envelope: envelope(["bob", "carol"]), message: message("..dot\r\n") })
      assert.deepStrictEqual(result.recipients.map((r) => r._tag), ["Delivered", "Delivered"])
      assert.strictEqual(result.remote.host, path)
      assert.strictEqual(Buffer.from(sink.deliveries()[0]?.data ?? []).toString(), Buffer.from(message("..dot\r\n")).toString())
    }).pipe(Effect.scoped))

  it.live("the server hangs up after the first recipient's reply: that one delivered, the others deferred, never reused", () =>
    Effect.gen(function*() {
      const sink = yield* LmtpSink.make({ deliver: (to) => (to.startsWith("carol@") ? "drop" : undefined) })
      const port = "port" in sink.listen ? sink.listen.port : 0
      const client = yield* SmtpClient.make(clientOptions())
      const result = yield* client.send({ host: "127.0.0.1", port, protocol: "lmtp", envelope: envelope(["bob", "carol", "dave"]), message: message() })
      assert.deepStrictEqual(result.recipients.map((r) => r._tag), ["Delivered", "Deferred", "Deferred"])
      assert.match(SmtpReply.toString(result.recipients[1]?.reply ?? SmtpReply.make(250, "2.0.0", "")), /^451 4\.4\.2 /)
      assert.isTrue(result.recipients[2]?.synthetic)
      assert.strictEqual((yield* client.stats).open, 0, "the broken session is not kept")
    }))

  it.live("a server that is not LMTP (an SMTP server refuses LHLO): a connect failure, every recipient deferred", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make()
      const client = yield* SmtpClient.make(clientOptions())
      const result = yield* client.sendOrDefer({ host: "127.0.0.1", port: sink.port, protocol: "lmtp", envelope: envelope(["bob"]), message: message() })
      assert.deepStrictEqual(result.recipients.map((r) => r._tag), ["Deferred"])
      assert.match(SmtpReply.toString(result.recipients[0]?.reply ?? SmtpReply.make(250, "2.0.0", "")), /^451 4\.4\.2 .*LHLO answered 5\d\d/)
      assert.strictEqual(yield* sink.received, 0)
    }))
})
