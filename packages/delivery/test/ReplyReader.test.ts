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

  it.effect("a malformed reply is a protocol error; a close is `closed`", () =>
    Effect.gen(function*() {
      const { socket, reader, feed } = setup()
      feed("250-a\r\n251 mixed codes\r\n")
      const bad = yield* Effect.flip(reader.next("to MAIL"))
      assert.strictEqual(bad.reason, "protocol")
      socket.emit("close")
      const closed = yield* Effect.flip(reader.next("to RCPT"))
      assert.strictEqual(closed.reason, "closed")
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
      feed("250 injected\r\n250-par")
      assert.isTrue(reader.hasPending)
      assert.isAbove(reader.discard(), 0)
      assert.isFalse(reader.hasPending)
      feed("220 real\r\n")
      assert.strictEqual((yield* reader.next("to STARTTLS")).reply.code, 220)
    }))
})
