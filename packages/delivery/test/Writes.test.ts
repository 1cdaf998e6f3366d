/**
 * Socket writes per message on the outbound side. Each write is a system call, an expensive one under gVisor
 * (docs/benchmarks.md, "Round 3"): a transaction on a pooled connection is two writes, the command group
 * `RSET, MAIL, RCPT…, DATA` (RFC 2920) and, after the 354, the message with its terminating `.CRLF`.
 */
import { assert, describe, it } from "@effect/vitest"
import { SmtpSink } from "@cartero/testing"
import { Effect } from "effect"
import * as net from "node:net"
import * as SmtpClient from "../src/SmtpClient.ts"
import { clientOptions, envelope, message } from "./support/fixtures.ts"

type WriteFn = (this: net.Socket, ...args: Array<unknown>) => unknown
const proto = net.Socket.prototype as unknown as Record<"_write" | "_writev", WriteFn>

/** Counts what the client's sockets to `port` hand to the kernel: `_write` and `_writev` are one system call each. */
const countWritesTo = (port: number) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const counter = { writes: 0 }
      const originals = { _write: proto._write, _writev: proto._writev }
      for (const name of ["_write", "_writev"] as const) {
        const original = originals[name]
        proto[name] = function(this: net.Socket, ...args: Array<unknown>) {
          if (this.remotePort === port) counter.writes++
          return original.apply(this, args)
        }
      }
      return { counter, originals }
    }),
    ({ originals }) =>
      Effect.sync(() => {
        proto._write = originals._write
        proto._writev = originals._writev
      })
  ).pipe(Effect.map(({ counter }) => counter))

describe("SmtpClient: socket writes", () => {
  it.live("a transaction on a pooled connection is two writes, whatever the number of recipients", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make()
      const client = yield* SmtpClient.make(clientOptions())
      yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
      const counter = yield* countWritesTo(sink.port)
      for (const recipients of [["a"], ["a", "b", "c"]]) {
        const before = counter.writes
        const r = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(recipients), message: message() })
        assert.isTrue(r.reusedConnection)
        assert.isTrue(r.recipients.every((x) => x._tag === "Delivered"))
        assert.strictEqual(counter.writes - before, 2, `${recipients.length} recipient(s)`)
      }
      assert.strictEqual(yield* sink.count, 3)
    }).pipe(Effect.scoped))

  it.live("a message that needs dot-stuffing is still one write with its terminating dot", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make()
      const client = yield* SmtpClient.make(clientOptions())
      yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
      const counter = yield* countWritesTo(sink.port)
      const body = ".leading dot\r\n..two\r\nbare\nLF\r\n"
      yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message(body) })
      assert.strictEqual(counter.writes, 2)
      const [, last] = yield* sink.messages
      assert.strictEqual(last?.data.toString("latin1").endsWith(".leading dot\r\n..two\r\nbare\r\nLF\r\n"), true)
    }).pipe(Effect.scoped))
})
