import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as SmtpSink from "../src/SmtpSink.ts"
import * as SmtpTestClient from "../src/SmtpTestClient.ts"
import * as TestTls from "../src/TestTls.ts"
import * as Transcript from "../src/Transcript.ts"

const host = "127.0.0.1"

describe("SmtpSink", () => {
  it.live("accepts a message and records envelope, unstuffed data and raw bytes", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({ size: 10_000 })
      yield* Transcript.run({ host, port: sink.port }, `
        <- 220 sink.test *
        -> EHLO client.test
        <- 250-sink.test
        <- 250-PIPELINING
        <- 250-8BITMIME
        <- 250-SMTPUTF8
        <- 250-ENHANCEDSTATUSCODES
        <- 250 SIZE 10000
        -> MAIL FROM:<a@b.test> BODY=8BITMIME
        <- 250 2.1.0 Ok
        -> RCPT TO:<c@d.test>
        <- 250 2.1.5 Ok
        -> DATA
        <~ 354
        => Subject: hi\\r\\n\\r\\n..dot\\r\\nbare\\nlf\\n.\\nstill body é \\xff\\r\\n.\\r\\n
        <- 250 2.0.0 Ok: queued as 1
        -> QUIT
        <- 221 *
        << closed
      `)
      const [m] = yield* sink.awaitMessages(1)
      assert(m !== undefined)
      assert.strictEqual(m.mailFrom, "a@b.test")
      assert.strictEqual(m.mailParams, "BODY=8BITMIME")
      assert.deepStrictEqual(m.rcptTo, ["c@d.test"])
      assert.strictEqual(m.helo, "client.test")
      // Only CRLF.CRLF ends DATA: the bare-LF "\n.\n" stays in the body.
      const tail = Buffer.concat([Buffer.from("still body é "), Buffer.from([0xff]), Buffer.from("\r\n")])
      assert.deepStrictEqual(m.data, Buffer.concat([Buffer.from("Subject: hi\r\n\r\n.dot\r\nbare\nlf\n.\n"), tail]))
      assert.deepStrictEqual(m.raw, Buffer.concat([Buffer.from("Subject: hi\r\n\r\n..dot\r\nbare\nlf\n.\n"), tail]))
      assert.strictEqual(yield* sink.count, 1)
      assert.strictEqual(yield* sink.connections, 1)
    }))

  it.live("answers pipelined commands in order and scripts replies per recipient", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({
        rcptTo: (to) =>
          to.startsWith("x@") ? SmtpSink.reply(451, "4.2.1 later") : to.startsWith("y@") ? SmtpSink.reply(550, "5.1.1 unknown") : undefined
      })
      const client = yield* SmtpTestClient.connect({ host, port: sink.port })
      yield* client.readReply()
      yield* client.sendRaw(
        "EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<x@d.test>\r\nRCPT TO:<y@d.test>\r\nRCPT TO:<z@d.test>\r\nDATA\r\nbody\r\n.\r\nRSET\r\n"
      )
      const codes: Array<number> = []
      for (let i = 0; i < 8; i++) codes.push((yield* client.readReply()).reply.code)
      assert.deepStrictEqual(codes, [250, 250, 451, 550, 250, 354, 250, 250])
      const [m] = yield* sink.awaitMessages(1)
      assert.deepStrictEqual(m?.rcptTo, ["z@d.test"])
      assert.strictEqual(m?.mailFrom, "")
      assert.include(yield* sink.commands, "RSET")
    }))

  it.live("can greet with 421 and close, drop mid-DATA, delay replies and hide extensions", () =>
    Effect.gen(function*() {
      const busy = yield* SmtpSink.make({ connect: () => SmtpSink.reply(421, "4.3.2 busy", { close: true }) })
      yield* Transcript.run({ host, port: busy.port }, "<- 421 4.3.2 busy\n<< closed")

      const dropper = yield* SmtpSink.make({ dropDuringData: true, pipelining: false, eightBitMime: false, smtpUtf8: false })
      yield* Transcript.run({ host, port: dropper.port }, `
        <- 220 *
        -> EHLO c
        <! PIPELINING
        <! 8BITMIME
        <! SMTPUTF8
        <! STARTTLS
        -> MAIL FROM:<a@b.test>
        <- 250 *
        -> RCPT TO:<c@d.test>
        <- 250 *
        -> DATA
        <- 354 *
        -> Subject: x
        << closed
      `)
      assert.strictEqual(yield* dropper.count, 0)

      const slow = yield* SmtpSink.make({ delay: "300 millis" })
      const e = yield* Effect.flip(Transcript.run({ host, port: slow.port, timeout: "100 millis" }, "<- 220 *"))
      assert.include(e.message, "Timeout")
      yield* slow.setScript({ mailFrom: () => SmtpSink.drop })
      yield* Transcript.run({ host, port: slow.port }, "<- 220 *\n-> EHLO c\n<- 250 *\n-> MAIL FROM:<a@b>\n<< closed")
    }))

  it.live("offers STARTTLS, discards pipelined plaintext, and refuses oversized messages", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({ starttls: { key: TestTls.key, cert: TestTls.cert }, size: 20 })
      yield* Transcript.run({ host, port: sink.port, tls: { ca: TestTls.cert, servername: "localhost" } }, `
        <- 220 *
        -> EHLO c
        <* STARTTLS
        => STARTTLS\\r\\nMAIL FROM:<injected@evil.test>\\r\\n
        <- 220 *
        ** tls
        -> EHLO c
        <! STARTTLS
        -> MAIL FROM:<a@b.test> SIZE=50
        <- 552 5.3.4 *
        -> MAIL FROM:<a@b.test>
        <- 250 *
        -> RCPT TO:<c@d.test>
        <- 250 *
        -> DATA
        <- 354 *
        => 0123456789012345678901234567890\\r\\n.\\r\\n
        <- 552 *
      `)
      assert.notInclude(yield* sink.commands, "MAIL FROM:<injected@evil.test>")
      assert.strictEqual(yield* sink.count, 0)
      const e = yield* Effect.flip(sink.awaitMessages(1, "100 millis"))
      assert.strictEqual(e.reason, "Timeout")
    }))

  it.live("records TLS and is provided as a layer", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.SmtpSink
      const client = yield* SmtpTestClient.connect({ host, port: sink.port })
      yield* client.readReply()
      yield* client.command("EHLO c")
      yield* client.startTls()
      yield* client.command("EHLO c")
      yield* client.command("MAIL FROM:<a@b.test>")
      yield* client.command("RCPT TO:<c@d.test>")
      yield* client.command("DATA")
      yield* client.sendRaw(".\r\n")
      assert.strictEqual((yield* client.readReply()).reply.code, 250)
      const [m] = yield* sink.awaitMessages(1)
      assert.isTrue(m?.tls)
      assert.strictEqual(m?.data.length, 0)
    }).pipe(Effect.provide(SmtpSink.SmtpSink.layer({ starttls: { key: TestTls.key, cert: TestTls.cert } }))))
})
