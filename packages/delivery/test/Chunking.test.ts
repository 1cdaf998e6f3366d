/**
 * Outbound BDAT (RFC 3030) against our own server on 127.0.0.1:0: with CHUNKING offered the message goes by BDAT
 * (seen on the wire through a recording relay), without it, or with chunking `off`, by DATA; BINARYMIME messages go
 * by BDAT + BODY=BINARYMIME where offered and are bounced `554 5.6.3` elsewhere.
 */
import { type Hooks, Message, Pipeline, Plugin, type Session, Store } from "@cartero/core"
import { ServerOptions, SmtpServer } from "@cartero/server"
import { SmtpReply, Verdict } from "@cartero/smtp"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, References, type Scope, Stream } from "effect"
import * as net from "node:net"
import type * as DeliveryResult from "../src/DeliveryResult.ts"
import * as SmtpClient from "../src/SmtpClient.ts"
import { clientOptions, envelope, message } from "./support/fixtures.ts"

interface Stored {
  readonly raw: Buffer
  readonly body: string | undefined
}

/** Our server accepting dest.test, keeping each message; `refuse` makes the message phase refuse. */
const server = (options: ServerOptions.SmtpServerOptions, refuse?: SmtpReply.SmtpReply) => {
  const stored: Array<Stored> = []
  const hooks: Hooks.Hooks = {
    rcptTo: (_txn, rcpt) => Effect.succeed(rcpt.address.domain === "dest.test" ? Verdict.accept() : Verdict.next),
    ...(refuse === undefined ? {} : { message: () => Effect.succeed(Verdict.reject("5.7.1", "refused by test", { code: 554 })) }),
    queue: Store.make({
      takes: () => Effect.succeed(true),
      prepare: (txn: Session.Transaction) => Effect.succeed(txn),
      write: (txn, msg) =>
        Effect.map(Effect.orDie(Message.bytes(msg)), (raw) => {
          stored.push({ raw: Buffer.from(raw), body: txn.params.body })
          return Verdict.accept()
        }),
      undo: () => Effect.void
    })
  }
  const layer = SmtpServer.SmtpServer.layerTest(options).pipe(
    Layer.provide(Pipeline.Pipeline.layer([Plugin.make("dest", Effect.succeed(hooks))]))
  )
  return { stored, layer }
}

/** A TCP relay to `port` that records what the client sends. */
const relay = (port: number) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly port: number; readonly sent: () => string; readonly close: () => void }>((resume) => {
      const chunks: Array<Buffer> = []
      const sockets = new Set<net.Socket>()
      const front = net.createServer((client) => {
        const back = net.connect(port, "127.0.0.1")
        sockets.add(client).add(back)
        client.on("data", (d: Buffer) => chunks.push(d))
        client.pipe(back).pipe(client)
        client.on("error", () => back.destroy())
        back.on("error", () => client.destroy())
      })
      front.listen(0, "127.0.0.1", () => {
        const address = front.address() as net.AddressInfo
        resume(Effect.succeed({
          port: address.port,
          sent: () => Buffer.concat(chunks).toString("latin1"),
          close: () => {
            for (const s of sockets) s.destroy()
            front.close()
          }
        }))
      })
    }),
    (r) => Effect.sync(() => r.close())
  )

/** Runs `f` with our server (options) behind a recording relay. */
const withServer = <A>(
  options: ServerOptions.SmtpServerOptions,
  f: (port: number, wire: () => string, stored: ReadonlyArray<Stored>) => Effect.Effect<A, unknown, Scope.Scope>,
  refuse?: SmtpReply.SmtpReply
) => {
  const s = server(options, refuse)
  return Effect.scoped(Effect.gen(function*() {
    const smtp = yield* SmtpServer.SmtpServer
    const mx = smtp.address("mx")
    if (mx === undefined) return yield* Effect.die(new Error("no MX listener"))
    const r = yield* relay(mx.port)
    return yield* f(r.port, r.sent, s.stored)
  })).pipe(Effect.provide(s.layer), Effect.provideService(References.MinimumLogLevel, "None"))
}

/**
 * A hand-written server offering CHUNKING without PIPELINING: records each command line and, per chunk, whether
 * more octets were already waiting when it was complete (they would have been sent before its reply). Chunk number
 * `refuseAt` (1-based) is answered 554.
 */
const lockStepServer = (refuseAt?: number) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly port: number; readonly lines: Array<string>; readonly early: Array<boolean>; readonly close: () => void }>((resume) => {
      const lines: Array<string> = []
      const early: Array<boolean> = []
      const sockets = new Set<net.Socket>()
      const server = net.createServer((socket) => {
        sockets.add(socket)
        socket.write("220 raw.test ESMTP\r\n")
        let buffer = Buffer.alloc(0)
        let need = -1
        let last = false
        const chunkDone = () => {
          early.push(buffer.length > 0)
          const reply = early.length === refuseAt ? "554 5.6.0 chunk refused" : last ? "250 2.0.0 queued" : "250 2.0.0 chunk ok"
          socket.write(`${reply}\r\n`)
          need = -1
        }
        socket.on("data", (data: Buffer) => {
          buffer = Buffer.concat([buffer, data])
          for (let guard = 0; guard < 10_000; guard++) {
            if (need >= 0) {
              if (buffer.length < need) return
              buffer = buffer.subarray(need)
              chunkDone()
              continue
            }
            const end = buffer.indexOf("\r\n")
            if (end < 0) return
            const line = buffer.subarray(0, end).toString("latin1")
            buffer = buffer.subarray(end + 2)
            lines.push(line)
            const bdat = /^BDAT (\d+)( LAST)?$/.exec(line)
            if (bdat !== null) {
              need = Number(bdat[1])
              last = bdat[2] !== undefined
            } else if (line.startsWith("EHLO")) socket.write("250-raw.test\r\n250-8BITMIME\r\n250 CHUNKING\r\n")
            else if (line === "QUIT") socket.end("221 2.0.0 bye\r\n")
            else socket.write("250 2.0.0 ok\r\n")
          }
        })
        socket.on("error", () => socket.destroy())
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address() as net.AddressInfo
        resume(Effect.succeed({
          port: address.port,
          lines,
          early,
          close: () => {
            for (const s of sockets) s.destroy()
            server.close()
          }
        }))
      })
    }),
    (s) => Effect.sync(() => s.close())
  )

const tags = (r: DeliveryResult.TransactionResult) => r.recipients.map((x) => x._tag)
const replyOf = (r: DeliveryResult.TransactionResult) => r.recipients.map((x) => SmtpReply.toString(x.reply))
/** The command lines the client sent, skipping BDAT chunks and the DATA content. */
const commandLines = (wire: string): Array<string> => {
  // EHLO is left out: every test has the same.
  const lines: Array<string> = []
  let at = 0
  while (at < wire.length) {
    const end = wire.indexOf("\r\n", at)
    if (end < 0) break
    const line = wire.slice(at, end)
    if (!line.startsWith("EHLO")) lines.push(line)
    at = end + 2
    const chunk = /^BDAT (\d+)/.exec(line)
    if (chunk?.[1] !== undefined) at += Number(chunk[1])
    if (line === "DATA") at = wire.indexOf("\r\n.\r\n", at) + 5
  }
  return lines
}
const bodyOf = (raw: Buffer) => raw.subarray(raw.indexOf("From: "))

describe("outbound BDAT", () => {
  it.live("a server offering CHUNKING gets BDAT chunks of at most 64 KiB, LAST on the final one; stored intact", () =>
    withServer({}, (port, wire, stored) =>
      Effect.gen(function*() {
        const client = yield* SmtpClient.make(clientOptions())
        const msg = message(`${"x".repeat(78)}\r\n`.repeat(1000))
        const result = yield* client.send({ host: "127.0.0.1", port, envelope: envelope(["bob"]), message: msg })
        assert.deepStrictEqual(tags(result), ["Delivered"])
        assert.match(replyOf(result)[0] ?? "", /^250 2\.6\.0 Message queued as /)
        assert.deepStrictEqual(commandLines(wire()).filter((l) => !l.startsWith("QUIT")), [
          `MAIL FROM:<sender@origin.test> SIZE=${msg.length}`,
          "RCPT TO:<bob@dest.test>",
          "BDAT 65536",
          `BDAT ${msg.length - 65536} LAST`
        ])
        assert.isTrue(bodyOf(stored[0]?.raw ?? Buffer.alloc(0)).equals(Buffer.from(msg)))
      })))

  it.live("a streamed message: a chunk per piece, then BDAT 0 LAST", () =>
    withServer({}, (port, wire, stored) =>
      Effect.gen(function*() {
        const client = yield* SmtpClient.make(clientOptions())
        const msg = message("streamed\r\n")
        const pieces = [msg.subarray(0, 10), msg.subarray(10, 40), msg.subarray(40)]
        const result = yield* client.send({ host: "127.0.0.1", port, envelope: envelope(["bob"]), message: Stream.fromIterable(pieces) })
        assert.deepStrictEqual(tags(result), ["Delivered"])
        assert.deepStrictEqual(commandLines(wire()).filter((l) => l.startsWith("BDAT")), [
          "BDAT 10",
          "BDAT 30",
          `BDAT ${msg.length - 40}`,
          "BDAT 0 LAST"
        ])
        assert.isTrue(bodyOf(stored[0]?.raw ?? Buffer.alloc(0)).equals(Buffer.from(msg)))
      })))

  it.live("chunking off: DATA even to a server offering CHUNKING", () =>
    withServer({}, (port, wire, stored) =>
      Effect.gen(function*() {
        const client = yield* SmtpClient.make(clientOptions({ chunking: "off" }))
        const msg = message()
        const result = yield* client.send({ host: "127.0.0.1", port, envelope: envelope(["bob"]), message: msg })
        assert.deepStrictEqual(tags(result), ["Delivered"])
        assert.include(commandLines(wire()), "DATA")
        assert.notInclude(wire(), "BDAT")
        assert.isTrue(bodyOf(stored[0]?.raw ?? Buffer.alloc(0)).equals(Buffer.from(msg)))
      })))

  it.live("a server without CHUNKING gets DATA", () =>
    withServer({ chunking: false }, (port, wire, stored) =>
      Effect.gen(function*() {
        const client = yield* SmtpClient.make(clientOptions())
        const msg = message()
        const result = yield* client.send({ host: "127.0.0.1", port, envelope: envelope(["bob"]), message: msg })
        assert.deepStrictEqual(tags(result), ["Delivered"])
        assert.include(commandLines(wire()), "DATA")
        assert.notInclude(wire(), "BDAT")
        assert.isTrue(bodyOf(stored[0]?.raw ?? Buffer.alloc(0)).equals(Buffer.from(msg)))
      })))

  it.live("the reply to LAST is the verdict: a refusal fails the recipients at the message stage", () =>
    withServer({}, (port, _wire, stored) =>
      Effect.gen(function*() {
        const client = yield* SmtpClient.make(clientOptions())
        const result = yield* client.send({ host: "127.0.0.1", port, envelope: envelope(["bob", "carol"]), message: message() })
        assert.deepStrictEqual(tags(result), ["Failed", "Failed"])
        assert.deepStrictEqual(replyOf(result), ["554 5.7.1 refused by test", "554 5.7.1 refused by test"])
        assert.deepStrictEqual(result.recipients.map((r) => r.stage), ["message", "message"])
        assert.strictEqual(stored.length, 0)
      }), SmtpReply.make(554, "5.7.1", "refused by test")))

  it.live("a refused chunk before LAST is the verdict too (bare LF: 550 5.6.0), and the session stays usable", () =>
    withServer({}, (port, wire) =>
      Effect.gen(function*() {
        const client = yield* SmtpClient.make(clientOptions())
        const bad = Buffer.concat([Buffer.from(message("bare\nLF\r\n")), Buffer.alloc(70_000, "y"), Buffer.from("\r\n")])
        const first = yield* client.send({ host: "127.0.0.1", port, envelope: envelope(["bob"]), message: bad })
        assert.deepStrictEqual(tags(first), ["Failed"])
        assert.match(replyOf(first)[0] ?? "", /^550 5\.6\.0 Message contains bare LF/)
        const second = yield* client.send({ host: "127.0.0.1", port, envelope: envelope(["bob"]), message: message() })
        assert.deepStrictEqual(tags(second), ["Delivered"])
        assert.isTrue(second.reusedConnection)
        assert.include(wire(), "RSET\r\n")
      })))
})

describe("outbound BDAT without PIPELINING", () => {
  const big = message(`${"w".repeat(98)}\r\n`.repeat(1500))

  it.live("each chunk waits for its reply", () =>
    Effect.scoped(Effect.gen(function*() {
      const raw = yield* lockStepServer()
      const client = yield* SmtpClient.make(clientOptions())
      const result = yield* client.send({ host: "127.0.0.1", port: raw.port, envelope: envelope(["bob"]), message: big })
      assert.deepStrictEqual(tags(result), ["Delivered"])
      assert.deepStrictEqual(raw.lines.filter((l) => l.startsWith("BDAT")), ["BDAT 65536", "BDAT 65536", `BDAT ${big.length - 131_072} LAST`])
      assert.deepStrictEqual(raw.early, [false, false, false], "nothing was sent before the previous chunk's reply")
    })))

  it.live("after a refused chunk nothing more is sent; the refusal is the verdict", () =>
    Effect.scoped(Effect.gen(function*() {
      const raw = yield* lockStepServer(2)
      const client = yield* SmtpClient.make(clientOptions())
      const result = yield* client.send({ host: "127.0.0.1", port: raw.port, envelope: envelope(["bob"]), message: big })
      assert.deepStrictEqual(tags(result), ["Failed"])
      assert.deepStrictEqual(replyOf(result), ["554 5.6.0 chunk refused"])
      assert.deepStrictEqual(raw.lines.filter((l) => l.startsWith("BDAT")), ["BDAT 65536", "BDAT 65536"])
    })))
})

describe("outbound BINARYMIME", () => {
  const binary = Buffer.concat([
    Buffer.from("From: <sender@origin.test>\r\nTo: <bob@dest.test>\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"),
    Buffer.from([0, 1, 10, 13, 255, 10, 46, 10, 13, 10, 46, 13, 10])
  ])

  it.live("to a server offering BINARYMIME: BDAT with BODY=BINARYMIME, octets intact", () =>
    withServer({ binaryMime: true }, (port, wire, stored) =>
      Effect.gen(function*() {
        const client = yield* SmtpClient.make(clientOptions())
        const result = yield* client.send({
          host: "127.0.0.1",
          port,
          envelope: envelope(["bob"], { body: "BINARYMIME" }),
          message: binary
        })
        assert.deepStrictEqual(tags(result), ["Delivered"])
        assert.include(commandLines(wire())[0] ?? "", "BODY=BINARYMIME")
        assert.strictEqual(stored[0]?.body, "BINARYMIME")
        assert.isTrue(bodyOf(stored[0]?.raw ?? Buffer.alloc(0)).equals(binary))
      })))

  for (const [name, options, chunking] of [
    ["a server with CHUNKING but not BINARYMIME", {}, "auto"],
    ["a server without CHUNKING", { chunking: false }, "auto"],
    ["chunking off at the client", { binaryMime: true }, "off"]
  ] as const) {
    it.live(`to ${name}: bounced 554 5.6.3 before MAIL, nothing sent`, () =>
      withServer(options, (port, wire, stored) =>
        Effect.gen(function*() {
          const client = yield* SmtpClient.make(clientOptions({ chunking }))
          const result = yield* client.send({
            host: "127.0.0.1",
            port,
            envelope: envelope(["bob"], { body: "BINARYMIME" }),
            message: binary
          })
          assert.deepStrictEqual(tags(result), ["Failed"])
          assert.match(replyOf(result)[0] ?? "", /^554 5\.6\.3 .* does not offer BINARYMIME with CHUNKING/)
          assert.notInclude(wire(), "MAIL FROM")
          assert.strictEqual(stored.length, 0)
        })))
  }
})
