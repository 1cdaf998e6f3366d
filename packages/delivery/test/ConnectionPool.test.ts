import { assert, describe, it } from "@effect/vitest"
import { SmtpSink } from "@cartero/testing"
import { Effect } from "effect"
import * as SmtpClient from "../src/SmtpClient.ts"
import { clientOptions, envelope, message } from "./support/fixtures.ts"
import * as RawServer from "./support/RawServer.ts"

const commandLines = (packet: string) => packet.split("\r\n").filter((l) => /^(MAIL|RCPT|DATA|RSET)\b/.test(l))

describe("SmtpClient: PIPELINING", () => {
  it.live("advertised: MAIL + RCPTs + DATA arrive in one packet", () =>
    Effect.gen(function*() {
      const server = yield* RawServer.make({ pipelining: true })
      const client = yield* SmtpClient.make(clientOptions())
      const r = yield* client.send({ host: "127.0.0.1", port: server.port, envelope: envelope(["a", "b", "c"]), message: message() })
      assert.deepStrictEqual(r.recipients.map((x) => x._tag), ["Delivered", "Delivered", "Delivered"])
      const packets = (server.chunks[0] ?? []).map(commandLines).filter((c) => c.length > 0)
      assert.deepStrictEqual(packets[0], ["MAIL FROM:<sender@origin.test>", "RCPT TO:<a@dest.test>", "RCPT TO:<b@dest.test>", "RCPT TO:<c@dest.test>", "DATA"])
    }))

  it.live("not advertised: lock-step, one command per packet", () =>
    Effect.gen(function*() {
      const server = yield* RawServer.make({ pipelining: false })
      const client = yield* SmtpClient.make(clientOptions())
      const r = yield* client.send({ host: "127.0.0.1", port: server.port, envelope: envelope(["a", "b"]), message: message() })
      assert.deepStrictEqual(r.recipients.map((x) => x._tag), ["Delivered", "Delivered"])
      const packets = (server.chunks[0] ?? []).map(commandLines).filter((c) => c.length > 0)
      assert.deepStrictEqual(packets, [["MAIL FROM:<sender@origin.test>"], ["RCPT TO:<a@dest.test>"], ["RCPT TO:<b@dest.test>"], ["DATA"]])
    }))
})

describe("SmtpClient: connection reuse", () => {
  it.live("two messages to one host share one TCP connection (RSET between), QUIT when the pool closes", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make()
      const first = yield* Effect.scoped(Effect.gen(function*() {
        const client = yield* SmtpClient.make(clientOptions())
        const a = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message("one\r\n") })
        const b = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["b"]), message: message("two\r\n") })
        assert.deepStrictEqual([a.reusedConnection, b.reusedConnection], [false, true])
        assert.deepStrictEqual(yield* client.stats, { opened: 1, open: 1, idle: 1 })
        return [a, b]
      }))
      assert.deepStrictEqual(first.map((r) => r.recipients[0]?._tag), ["Delivered", "Delivered"])
      assert.strictEqual(yield* sink.connections, 1)
      assert.lengthOf(yield* sink.awaitMessages(2), 2)
      const commands = yield* sink.commands
      assert.include(commands, "RSET")
      assert.strictEqual(commands.filter((c) => c.startsWith("EHLO")).length, 1)
      assert.strictEqual(commands[commands.length - 1], "QUIT")
    }))

  it.live("pipelined reuse sends RSET in the same packet as MAIL", () =>
    Effect.gen(function*() {
      const server = yield* RawServer.make({ pipelining: true })
      const client = yield* SmtpClient.make(clientOptions())
      yield* client.send({ host: "127.0.0.1", port: server.port, envelope: envelope(["a"]), message: message() })
      const r = yield* client.send({ host: "127.0.0.1", port: server.port, envelope: envelope(["b"]), message: message() })
      assert.isTrue(r.reusedConnection)
      assert.strictEqual(server.chunks.length, 1)
      const packets = (server.chunks[0] ?? []).map(commandLines).filter((c) => c.length > 0)
      assert.deepStrictEqual(packets[1], ["RSET", "MAIL FROM:<sender@origin.test>", "RCPT TO:<b@dest.test>", "DATA"])
    }))

  it.live("maxMessagesPerConnection bounds reuse: 3 messages, limit 2 → 2 connections", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make()
      const client = yield* SmtpClient.make(clientOptions({ pool: { maxMessagesPerConnection: 2 } }))
      for (const who of ["a", "b", "c"]) {
        const r = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope([who]), message: message() })
        assert.strictEqual(r.recipients[0]?._tag, "Delivered")
      }
      assert.strictEqual(yield* sink.connections, 2)
      assert.strictEqual((yield* client.stats).opened, 2)
      assert.strictEqual((yield* sink.commands).filter((c) => c === "QUIT").length, 1, "the retired connection QUIT")
    }))

  it.live("idle connections are closed (QUIT) by the idle timer", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make()
      const client = yield* SmtpClient.make(clientOptions({ pool: { idleTimeout: "100 millis" } }))
      yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
      assert.strictEqual((yield* client.stats).idle, 1)
      yield* Effect.sleep("300 millis")
      assert.deepStrictEqual(yield* client.stats, { opened: 1, open: 0, idle: 0 })
      assert.include(yield* sink.commands, "QUIT")
    }))

  it.live("each idle connection closes once idle for the timeout, counted from its last use", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make()
      const client = yield* SmtpClient.make(clientOptions({ pool: { idleTimeout: "500 millis" } }))
      yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
      yield* Effect.sleep("300 millis")
      // Reused: its idle time starts again now.
      const again = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
      assert.isTrue(again.reusedConnection)
      yield* Effect.sleep("350 millis")
      assert.deepStrictEqual(yield* client.stats, { opened: 1, open: 1, idle: 1 }, "650 ms after the first use, 350 ms after the last")
      yield* Effect.sleep("600 millis")
      assert.deepStrictEqual(yield* client.stats, { opened: 1, open: 0, idle: 0 })
      // A connection returned later is closed again by its own timeout.
      yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
      assert.strictEqual((yield* client.stats).idle, 1)
      yield* Effect.sleep("900 millis")
      assert.deepStrictEqual(yield* client.stats, { opened: 2, open: 0, idle: 0 })
    }))

  it.live("different TLS policies or ports never share a connection", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make()
      const client = yield* SmtpClient.make(clientOptions())
      yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
      const r = yield* client.send({ host: "127.0.0.1", port: sink.port, tls: { mode: "opportunistic", verify: false }, envelope: envelope(["a"]), message: message() })
      assert.isFalse(r.reusedConnection)
      assert.strictEqual(yield* sink.connections, 2)
    }))

  it.live("a broken connection is discarded, never reused", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({ dropDuringData: true })
      const client = yield* SmtpClient.make(clientOptions())
      const broken = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
      assert.strictEqual(broken.recipients[0]?._tag, "Deferred")
      yield* sink.setScript({})
      const r = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
      assert.strictEqual(r.recipients[0]?._tag, "Delivered")
      assert.isFalse(r.reusedConnection)
      assert.strictEqual(yield* sink.connections, 2)
    }))

  it.live("a server that hung up while the connection was idle: the next send reconnects transparently", () =>
    Effect.gen(function*() {
      const server = yield* RawServer.make({ closeAfterMessage: true })
      const client = yield* SmtpClient.make(clientOptions())
      yield* client.send({ host: "127.0.0.1", port: server.port, envelope: envelope(["a"]), message: message() })
      yield* Effect.sleep("50 millis")
      const r = yield* client.send({ host: "127.0.0.1", port: server.port, envelope: envelope(["b"]), message: message() })
      assert.strictEqual(r.recipients[0]?._tag, "Delivered")
      assert.isFalse(r.reusedConnection)
      assert.strictEqual(server.chunks.length, 2)
    }))
})
