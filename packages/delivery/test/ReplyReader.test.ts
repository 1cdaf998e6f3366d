import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as net from "node:net"
import { ReplyReader } from "../src/ReplyReader.ts"

/** A reader over an unconnected socket whose events the test emits by hand. */
const setup = () => {
  const socket = new net.Socket()
  const reader = new ReplyReader(socket)
  const feed = (s: string) => socket.emit("data", Buffer.from(s, "latin1"))
  return { socket, reader, feed }
}

describe("ReplyReader", () => {
  it.effect("assembles multi-line replies split anywhere, in order", () =>
    Effect.gen(function*() {
      const { reader, feed } = setup()
      reader.expect(1)
      feed("250-mx.test hello\r\n250-PIPE")
      feed("LINING\r\n250 8BITMIME\r")
      feed("\n550 5.1.1 no\r\n")
      const ehlo = yield* reader.next("to EHLO")
      assert.deepStrictEqual(ehlo.lines, ["250-mx.test hello", "250-PIPELINING", "250 8BITMIME"])
      const rcpt = yield* reader.next("to RCPT")
      assert.strictEqual(rcpt.reply.code, 550)
      assert.strictEqual(rcpt.reply.enhanced, "5.1.1")
      assert.isFalse(reader.hasPending)
    }))

  it.effect("a malformed reply is a protocol error, final: later reads fail with it; a close is `closed`", () =>
    Effect.gen(function*() {
      const { reader, feed } = setup()
      reader.expect(2)
      feed("220 hi\r\n250-a\r\n251 mixed codes\r\n250 ok\r\n")
      assert.strictEqual((yield* reader.next("to the greeting")).reply.code, 220)
      const bad = yield* Effect.flip(reader.next("to MAIL"))
      assert.strictEqual(bad.reason, "protocol")
      assert.strictEqual((yield* Effect.flip(reader.next("to RCPT"))).detail, bad.detail)
      assert.isTrue(reader.hasPending)
      const other = setup()
      other.socket.emit("close")
      assert.strictEqual((yield* Effect.flip(other.reader.next("to RCPT"))).reason, "closed")
    }))

  it.effect("bounded memory: a flood of replies queues only those asked for, the rest is one protocol error", () =>
    Effect.gen(function*() {
      const { reader, feed } = setup()
      reader.expect(2)
      for (let i = 0; i < 200; i++) feed("250 2.0.0 flood\r\n".repeat(500))
      assert.strictEqual(reader.buffered, 3)
      for (let i = 0; i < 3; i++) assert.strictEqual((yield* reader.next("to NOOP")).reply.code, 250)
      const e = yield* Effect.flip(reader.next("to NOOP"))
      assert.strictEqual(e.reason, "protocol")
      assert.match(e.detail, /^unsolicited reply: "250 2\.0\.0 flood"$/)
      feed("250 more\r\n".repeat(1000))
      assert.strictEqual(reader.buffered, 0)
    }))

  it.effect("a reply that cannot answer the step fails with `unexpected`; a 3yz only where the step allows one", () =>
    Effect.gen(function*() {
      const { reader, feed } = setup()
      reader.expect(5)
      feed("220 hi\r\n150 hmm\r\n354 go\r\n354 go\r\n000\r\n999 x\r\n")
      assert.strictEqual((yield* reader.next("to the greeting")).reply.code, 220)
      assert.strictEqual((yield* Effect.flip(reader.next("to RCPT TO"))).detail, "to RCPT TO: 150 hmm")
      assert.strictEqual((yield* Effect.flip(reader.next("to the end of data"))).detail, "to the end of data: 354 go")
      assert.strictEqual((yield* reader.next("to DATA", true)).reply.code, 354)
      assert.strictEqual((yield* Effect.flip(reader.next("to DATA", true))).detail, "to DATA: 000")
      const odd = yield* Effect.flip(reader.next("to NOOP"))
      assert.deepStrictEqual([odd.reason, odd.detail], ["unexpected", "to NOOP: 999 x"])
    }))

  it.effect("bounded memory: an endless line is a protocol error", () =>
    Effect.gen(function*() {
      const { reader, feed } = setup()
      feed("250 " + "x".repeat(10_000))
      const e = yield* Effect.flip(reader.next("to EHLO"))
      assert.strictEqual(e.reason, "protocol")
    }))

  it.effect("discard drops buffered replies and partial lines (STARTTLS)", () =>
    Effect.gen(function*() {
      const { reader, feed } = setup()
      // The slot of the greeting stands for the 220 to STARTTLS; what follows it in the packet is injected.
      feed("220 go ahead\r\n250 injected\r\n250-par")
      assert.strictEqual((yield* reader.next("to STARTTLS")).reply.code, 220)
      assert.isTrue(reader.hasPending)
      assert.isAbove(reader.discard(), 0)
      assert.isFalse(reader.hasPending)
      reader.expect(1)
      feed("250 real\r\n")
      assert.strictEqual((yield* reader.next("to EHLO")).reply.code, 250)
    }))
})
