import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as SmtpTestClient from "../src/SmtpTestClient.ts"
import * as TestTls from "../src/TestTls.ts"
import { tinyServer } from "./fixtures/TinyServer.ts"

describe("SmtpTestClient", () => {
  it.live("reads whole replies, parsed with SmtpReply", () =>
    Effect.gen(function*() {
      const port = yield* tinyServer
      const client = yield* SmtpTestClient.connect({ host: "127.0.0.1", port })
      const greeting = yield* client.readReply()
      assert.strictEqual(greeting.reply.code, 220)
      const ehlo = yield* client.command("EHLO me.test")
      assert.deepStrictEqual(ehlo.lines, ["250-tiny.test", "250-PIPELINING", "250-SIZE 1000", "250 STARTTLS"])
      assert.deepStrictEqual(ehlo.reply.lines, ["tiny.test", "PIPELINING", "SIZE 1000", "STARTTLS"])
      // Pipelined: two commands in one write, two replies read in order.
      yield* client.sendRaw("NOOP 1\r\nNOOP 2\r\n")
      assert.deepStrictEqual((yield* client.readReply()).lines, ["250 ok NOOP 1"])
      assert.deepStrictEqual((yield* client.readReply()).lines, ["250 ok NOOP 2"])
      const starttls = yield* client.startTls({ ca: TestTls.cert, servername: "localhost" })
      assert.strictEqual(starttls.reply.enhanced, "2.0.0")
      assert.isTrue(yield* client.isTls)
      assert.strictEqual((yield* client.command("NOOP")).lines[0], "250 ok NOOP tls")
      const quit = yield* client.command("QUIT")
      assert.strictEqual(quit.reply.code, 221)
      yield* client.expectClose()
      const failed = yield* Effect.flip(client.send("NOOP"))
      assert.strictEqual(failed.reason, "Closed")
    }))

  it.live("bounds reads with a timeout and keeps partial lines", () =>
    Effect.gen(function*() {
      const port = yield* tinyServer
      const client = yield* SmtpTestClient.connect({ host: "127.0.0.1", port, timeout: "200 millis" })
      yield* client.readReply()
      yield* client.send("SILENT")
      const e = yield* Effect.flip(client.readReply())
      assert.strictEqual(e.reason, "Timeout")
      yield* client.close
      yield* client.close
    }))
})
