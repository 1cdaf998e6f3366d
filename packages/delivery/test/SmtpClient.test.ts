import { assert, describe, it } from "@effect/vitest"
import { SmtpReply } from "@cartero/smtp"
import { SmtpSink } from "@cartero/testing"
import { Effect, Exit, Stream } from "effect"
import type * as DeliveryResult from "../src/DeliveryResult.ts"
import * as SmtpClient from "../src/SmtpClient.ts"
import { clientOptions, envelope, freePort, message, rcpt } from "./support/fixtures.ts"

const tags = (r: DeliveryResult.TransactionResult) => r.recipients.map((x) => x._tag)
const replies = (r: DeliveryResult.TransactionResult) => r.recipients.map((x) => SmtpReply.toString(x.reply))

describe("SmtpClient: transactions", () => {
  it.live("delivers: 250 path, bytes intact, remote recorded", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make()
      const client = yield* SmtpClient.make(clientOptions())
      const msg = message()
      const result = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["bob"]), message: msg })
      assert.deepStrictEqual(tags(result), ["Delivered"])
      const first = result.recipients[0]
      assert.strictEqual(first?.stage, "message")
      assert.isFalse(first?.synthetic)
      assert.strictEqual(first?.reply.enhanced, "2.0.0")
      assert.strictEqual(result.remote.address, "127.0.0.1")
      assert.strictEqual(result.remote.port, sink.port)
      assert.strictEqual(result.remote.greetingName, "sink.test")
      const [m] = yield* sink.awaitMessages(1)
      assert.strictEqual(m?.helo, "client.test")
      assert.strictEqual(m?.mailFrom, "sender@origin.test")
      assert.deepStrictEqual(m?.rcptTo, ["bob@dest.test"])
      assert.strictEqual(m?.mailParams, "", "no SIZE= to a server that did not advertise SIZE")
      assert.isTrue(m?.data.equals(Buffer.from(msg)))
    }))

  it.live("per-recipient mixed replies in one transaction (250 / 451 / 550), pipelined and lock-step", () =>
    Effect.gen(function*() {
      for (const pipelining of [true, false]) {
        const sink = yield* SmtpSink.make({
          pipelining,
          rcptTo: (to) =>
            to.startsWith("temp") ? SmtpSink.reply(451, "4.2.1 mailbox busy")
            : to.startsWith("gone") ? SmtpSink.reply(550, "5.1.1 no such user")
            : undefined
        })
        const client = yield* SmtpClient.make(clientOptions())
        const result = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["ok1", "temp", "gone", "ok2"]), message: message() })
        assert.deepStrictEqual(tags(result), ["Delivered", "Deferred", "Failed", "Delivered"])
        assert.deepStrictEqual(replies(result).slice(1, 3), ["451 4.2.1 mailbox busy", "550 5.1.1 no such user"])
        assert.deepStrictEqual(result.recipients.map((r) => r.stage), ["message", "RCPT", "RCPT", "message"])
        const [m] = yield* sink.awaitMessages(1)
        assert.deepStrictEqual(m?.rcptTo, ["ok1@dest.test", "ok2@dest.test"])
      }
    }))

  it.live("451 or 550 at RCPT for every recipient: no DATA content, deferred / failed", () =>
    Effect.gen(function*() {
      for (const [code, tag] of [[451, "Deferred"], [550, "Failed"]] as const) {
        const sink = yield* SmtpSink.make({ pipelining: false, rcptTo: () => SmtpSink.reply(code, code === 451 ? "4.7.1 greylisted" : "5.7.1 denied") })
        const client = yield* SmtpClient.make(clientOptions())
        const result = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a", "b"]), message: message() })
        assert.deepStrictEqual(tags(result), [tag, tag])
        assert.notInclude(yield* sink.commands, "DATA")
        assert.strictEqual(yield* sink.count, 0)
      }
    }))

  it.live("4xx / 5xx at MAIL and at DATA apply to all recipients", () =>
    Effect.gen(function*() {
      const cases = [
        [{ mailFrom: () => SmtpSink.reply(451, "4.3.0 try later") }, "Deferred", "MAIL"],
        [{ mailFrom: () => SmtpSink.reply(550, "5.7.1 sender denied") }, "Failed", "MAIL"],
        [{ data: () => SmtpSink.reply(451, "4.3.0 not now") }, "Deferred", "DATA"],
        [{ data: () => SmtpSink.reply(554, "5.7.0 no") }, "Failed", "DATA"]
      ] as const
      for (const [script, tag, stage] of cases) {
        const sink = yield* SmtpSink.make(script)
        const client = yield* SmtpClient.make(clientOptions())
        const result = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a", "b"]), message: message() })
        assert.deepStrictEqual(tags(result), [tag, tag], JSON.stringify(script))
        assert.deepStrictEqual(result.recipients.map((r) => r.stage), [stage, stage])
      }
    }))

  it.live("5xx after the end of data fails every accepted recipient", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({ message: () => SmtpSink.reply(554, "5.6.0 content rejected") })
      const client = yield* SmtpClient.make(clientOptions())
      const result = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a", "b"]), message: message() })
      assert.deepStrictEqual(tags(result), ["Failed", "Failed"])
      assert.deepStrictEqual(replies(result), ["554 5.6.0 content rejected", "554 5.6.0 content rejected"])
    }))

  it.live("connection dropped mid-DATA: accepted recipients deferred (synthetic), refused ones keep their reply", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({
        dropDuringData: true,
        rcptTo: (to) => (to.startsWith("gone") ? SmtpSink.reply(550, "5.1.1 no such user") : undefined)
      })
      const client = yield* SmtpClient.make(clientOptions())
      const result = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a", "gone"]), message: message("x".repeat(200_000)) })
      assert.deepStrictEqual(tags(result), ["Deferred", "Failed"])
      const a = result.recipients[0]
      assert.isTrue(a?.synthetic)
      assert.strictEqual(a?.reply.code, 451)
      assert.strictEqual(a?.reply.enhanced, "4.4.2")
      assert.match(SmtpReply.toString(a?.reply ?? SmtpReply.make(250, undefined, "")), /lost|closed|EPIPE|ECONNRESET/)
      assert.strictEqual((yield* client.stats).open, 0, "a broken connection is not kept")
    }))

  it.live("slow server: RCPT reply later than the timeout → deferred with a timeout reply", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({ rcptTo: () => SmtpSink.reply(250, "2.1.5 ok", { delay: "1 second" }) })
      const client = yield* SmtpClient.make(clientOptions({ timeouts: { rcpt: "150 millis" } }))
      const result = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
      assert.deepStrictEqual(tags(result), ["Deferred"])
      assert.match(SmtpReply.toString(result.recipients[0]?.reply ?? SmtpReply.make(250, undefined, "")), /^451 4\.4\.2 timeout .*RCPT TO/)
      assert.strictEqual(result.recipients[0]?.stage, "RCPT")
    }))

  it.live("slow greeting → ConnectError timeout; refused port → ConnectError refused; sendOrDefer defers all", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({ connect: () => SmtpSink.reply(220, "slow", { delay: "1 second" }) })
      const client = yield* SmtpClient.make(clientOptions({ timeouts: { greeting: "150 millis" } }))
      const slow = yield* Effect.exit(client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() }))
      assert.isTrue(Exit.isFailure(slow))
      const slowError = yield* Effect.flip(client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() }))
      assert.strictEqual(slowError.reason, "timeout")

      const port = yield* freePort
      const refused = yield* Effect.flip(client.send({ host: "127.0.0.1", port, envelope: envelope(["a"]), message: message() }))
      assert.strictEqual(refused._tag, "ConnectError")
      assert.strictEqual(refused.reason, "refused")
      const deferred = yield* client.sendOrDefer({ host: "127.0.0.1", port, envelope: envelope(["a", "b"]), message: message() })
      assert.deepStrictEqual(tags(deferred), ["Deferred", "Deferred"])
      assert.strictEqual(replies(deferred)[0], `451 4.4.1 connection refused by 127.0.0.1:${port}`)
      assert.isTrue(deferred.recipients[0]?.synthetic)
    }))

  it.live("greeting 554 → ConnectError greeting with the server's reply", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({ connect: () => SmtpSink.reply(554, "5.3.2 no service here") })
      const client = yield* SmtpClient.make(clientOptions())
      const e = yield* Effect.flip(client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() }))
      assert.strictEqual(e.reason, "greeting")
      assert.strictEqual(e.reply?.code, 554)
    }))

  it.live("8-bit message to a server without 8BITMIME → permanent 5.6.3, nothing sent; with 8BITMIME → BODY=8BITMIME", () =>
    Effect.gen(function*() {
      const eightBit = Buffer.from("Subject: caf\u00e9\r\n\r\nol\u00e9\r\n", "utf8")
      const without = yield* SmtpSink.make({ eightBitMime: false })
      const client = yield* SmtpClient.make(clientOptions())
      // declared by the envelope, and detected from the bytes when the envelope says nothing
      for (const params of [{ body: "8BITMIME" as const }, {}]) {
        const r = yield* client.send({ host: "127.0.0.1", port: without.port, envelope: envelope(["a", "b"], params), message: eightBit })
        assert.deepStrictEqual(tags(r), ["Failed", "Failed"])
        assert.strictEqual(r.recipients[0]?.reply.code, 554)
        assert.strictEqual(r.recipients[0]?.reply.enhanced, "5.6.3")
        assert.isTrue(r.recipients[0]?.synthetic)
      }
      assert.isFalse((yield* without.commands).some((c) => c.startsWith("MAIL")))

      const withIt = yield* SmtpSink.make()
      const ok = yield* client.send({ host: "127.0.0.1", port: withIt.port, envelope: envelope(["a"], { body: "8BITMIME" }), message: eightBit })
      assert.deepStrictEqual(tags(ok), ["Delivered"])
      const [m] = yield* withIt.awaitMessages(1)
      assert.strictEqual(m?.mailParams, "BODY=8BITMIME")
      assert.isTrue(m?.data.equals(eightBit))
    }))

  it.live("SMTPUTF8 needed (flag or UTF-8 address) and not advertised → permanent 5.6.7; advertised → SMTPUTF8 sent", () =>
    Effect.gen(function*() {
      const without = yield* SmtpSink.make({ smtpUtf8: false })
      const client = yield* SmtpClient.make(clientOptions())
      const byFlag = yield* client.send({ host: "127.0.0.1", port: without.port, envelope: envelope(["a"], { smtpUtf8: true }), message: message() })
      const byAddress = yield* client.send({ host: "127.0.0.1", port: without.port, envelope: envelope([rcpt("j\u00f6rg")]), message: message() })
      for (const r of [byFlag, byAddress]) {
        assert.deepStrictEqual(tags(r), ["Failed"])
        assert.strictEqual(r.recipients[0]?.reply.enhanced, "5.6.7")
      }
      const withIt = yield* SmtpSink.make()
      const ok = yield* client.send({ host: "127.0.0.1", port: withIt.port, envelope: envelope([rcpt("j\u00f6rg")]), message: message() })
      assert.deepStrictEqual(tags(ok), ["Delivered"])
      const [m] = yield* withIt.awaitMessages(1)
      assert.strictEqual(m?.mailParams, "BODY=8BITMIME SMTPUTF8")
      assert.deepStrictEqual(m?.rcptTo, ["j\u00f6rg@dest.test"])
    }))

  it.live("SIZE: sent when advertised; a message over the limit fails 552 5.3.4 before MAIL", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({ size: 500 })
      const client = yield* SmtpClient.make(clientOptions())
      const small = message()
      const ok = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: small })
      assert.deepStrictEqual(tags(ok), ["Delivered"])
      assert.strictEqual((yield* sink.awaitMessages(1))[0]?.mailParams, `SIZE=${small.length}`)
      const big = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message("y".repeat(1000)) })
      assert.strictEqual(SmtpReply.toString(big.recipients[0]?.reply ?? SmtpReply.make(250, undefined, "")).slice(0, 13), "552 5.3.4 mes")
      assert.strictEqual(big.recipients[0]?._tag, "Failed")
    }))

  it.live("dot-stuffing on the wire: dotted lines arrive intact, streamed across awkward chunk boundaries", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make()
      const client = yield* SmtpClient.make(clientOptions())
      const body = ".first line starts with a dot\r\n.\r\n..\r\n.\r\n\r\nmiddle . line\r\n.last\r\n"
      const bytes = Buffer.from(body)
      // split right between CR and LF, and right before each dot
      const cuts = [1, 31, 32, 33, 35, 40, bytes.length - 6]
      const chunks: Array<Uint8Array> = []
      let prev = 0
      for (const c of [...cuts, bytes.length]) {
        chunks.push(bytes.subarray(prev, c))
        prev = c
      }
      const whole = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: bytes })
      const streamed = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: Stream.fromIterable(chunks) })
      assert.deepStrictEqual([...tags(whole), ...tags(streamed)], ["Delivered", "Delivered"])
      const msgs = yield* sink.awaitMessages(2)
      for (const m of msgs) {
        assert.strictEqual(m.data.toString("latin1"), body)
        assert.strictEqual(m.raw.toString("latin1"), "..first line starts with a dot\r\n..\r\n...\r\n..\r\n\r\nmiddle . line\r\n..last\r\n")
      }
    }))

  it.live("a failing message stream defers the transaction (4.3.0) and the connection is dropped", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make()
      const client = yield* SmtpClient.make(clientOptions())
      const body = Stream.concat(Stream.make(Buffer.from("Subject: x\r\n\r\n")), Stream.fail(new Error("disk read failed")))
      const r = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: body })
      assert.deepStrictEqual(tags(r), ["Deferred"])
      assert.strictEqual(r.recipients[0]?.reply.enhanced, "4.3.0")
      assert.strictEqual(yield* sink.count, 0)
      assert.strictEqual((yield* client.stats).open, 0)
    }))

  it.live("EHLO rejected → HELO fallback, no extensions used (lock-step, no parameters)", () =>
    Effect.gen(function*() {
      let hellos = 0
      const sink = yield* SmtpSink.make({ helo: () => (hellos++ === 0 ? SmtpSink.reply(502, "5.5.2 EHLO not implemented") : undefined) })
      const client = yield* SmtpClient.make(clientOptions())
      const r = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"], { envid: "x", ret: "HDRS" }), message: message() })
      assert.deepStrictEqual(tags(r), ["Delivered"])
      const commands = yield* sink.commands
      assert.deepStrictEqual(commands.slice(0, 4), ["EHLO client.test", "HELO client.test", "MAIL FROM:<sender@origin.test>", "RCPT TO:<a@dest.test>"])
    }))

  it.live("multi-line replies with enhanced codes are parsed whole", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({
        connect: () => SmtpSink.reply(220, ["sink.test ESMTP", "welcome", "really"]),
        rcptTo: () => SmtpSink.reply(550, ["5.7.1 first line", "5.7.1 second line", "5.7.1 third"])
      })
      const client = yield* SmtpClient.make(clientOptions())
      const r = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
      const reply = r.recipients[0]?.reply
      assert.strictEqual(r.recipients[0]?._tag, "Failed")
      assert.strictEqual(reply?.enhanced, "5.7.1")
      assert.deepStrictEqual(reply?.lines, ["first line", "second line", "third"])
    }))
})

describe("SmtpClient: RFC 5321 §4.5.3.2 timeouts", () => {
  it.live("MAIL, DATA initiation and DATA termination each bounded by their own timeout → deferred", () =>
    Effect.gen(function*() {
      const slow = SmtpSink.reply(250, "2.0.0 late", { delay: "1 second" })
      const cases = [
        [{ mailFrom: () => slow }, { mail: "150 millis" }, "MAIL"],
        [{ data: () => SmtpSink.reply(354, "go", { delay: "1 second" }) }, { dataInit: "150 millis" }, "DATA"],
        [{ message: () => slow }, { dataTermination: "150 millis" }, "message"]
      ] as const
      for (const [script, timeouts, stage] of cases) {
        const sink = yield* SmtpSink.make({ pipelining: false, ...script })
        const client = yield* SmtpClient.make(clientOptions({ timeouts }))
        const r = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
        assert.strictEqual(r.recipients[0]?._tag, "Deferred", stage)
        assert.strictEqual(r.recipients[0]?.stage, stage)
        assert.match(r.recipients[0]?.reply.lines.join(" ") ?? "", /^timeout with 127\.0\.0\.1:\d+: no reply/)
      }
    }))
})
