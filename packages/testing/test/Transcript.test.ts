import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as TestTls from "../src/TestTls.ts"
import * as Transcript from "../src/Transcript.ts"
import { tinyServer } from "./fixtures/TinyServer.ts"

const host = "127.0.0.1"

describe("Transcript.parse", () => {
  it.effect("parses every directive", () =>
    Effect.gen(function*() {
      const steps = yield* Transcript.parse(`
        # a comment
        <- 220 *
        -> EHLO client.test
        <- 250-tiny.test
        <- 250-*
        <- 250 STARTTLS
        <~ 250
        <* 250-SIZE
        <! AUTH
        => a\\r\\nb\\n.\\x41
        << closed
        ** tls
        ** sleep 10
        ** timeout 200
      `)
      assert.deepStrictEqual(steps.map((s) => s._tag), [
        "Expect", "Send", "Expect", "ExpectPrefix", "ExpectLine", "ExpectLine", "SendRaw", "ExpectClosed", "Tls", "Sleep", "Timeout"
      ])
      const multi = steps[2]
      assert(multi?._tag === "Expect")
      assert.deepStrictEqual(multi.patterns, ["250-tiny.test", "250-*", "250 STARTTLS"])
      const raw = steps[6]
      assert(raw?._tag === "SendRaw")
      assert.deepStrictEqual(Buffer.from(raw.data), Buffer.from("a\r\nb\n.A"))
    }))

  it.effect("rejects unknown directives, bad escapes and unfinished multi-line expectations", () =>
    Effect.gen(function*() {
      for (const script of ["?? nope", "=> \\q", "<- 250-a\n-> NOOP", "<- 250-a", "** dance"]) {
        const e = yield* Effect.flip(Transcript.parse(script))
        assert.strictEqual(e._tag, "TranscriptSyntaxError")
      }
    }))

  it("matches globs exactly", () => {
    assert.isTrue(Transcript.matches("250 2.1.0 *", "250 2.1.0 Sender ok"))
    assert.isFalse(Transcript.matches("250 2.1.0 *", "250 2.1.5 ok"))
    assert.isTrue(Transcript.matches("250 (x)", "250 (x)"))
    assert.isFalse(Transcript.matches("250", "250 ok"))
  })
})

describe("Transcript.run", () => {
  it.live("runs a passing dialog with multi-line replies, raw sends and STARTTLS", () =>
    Effect.gen(function*() {
      const port = yield* tinyServer
      const conversation = yield* Transcript.run({ host, port }, `
        <- 220 tiny.test *
        -> EHLO client.test
        <~ 250
        <* 250-SIZE
        <* PIPELINING
        <! AUTH
        -> EHLO again
        <- 250-tiny.test
        <- 250-PIPELINING
        <- 250-SIZE *
        <- 250 STARTTLS
        => NO\\rOP\\r\\n
        <- 250 ok NO\\rOP
        => NO
        ** sleep 20
        => OP\\r\\n
        <- 250 ok NOOP
        -> STARTTLS
        <- 220 2.0.0 *
        ** tls
        -> EHLO secure.test
        <* AUTH PLAIN
        -> NOOP
        <- 250 ok NOOP tls
        -> QUIT
        <- 221 2.0.0 bye
        << closed
      `)
      assert.include(conversation.join("\n"), "C(raw): NO\\rOP\\r\\n")
      assert.isTrue(conversation.some((l) => l.startsWith("-- tls")))
    }))

  it.live("verifies the server certificate when given a CA", () =>
    Effect.gen(function*() {
      const port = yield* tinyServer
      yield* Transcript.run({ host, port, tls: { ca: TestTls.cert, servername: "localhost" } }, `
        <- 220 *
        -> STARTTLS
        <- 220 *
        ** tls
        -> NOOP
        <- 250 ok NOOP tls
      `)
      const e = yield* Effect.flip(Transcript.run({ host, port, tls: { ca: TestTls.cert, servername: "wrong.test" } }, `
        <- 220 *
        -> STARTTLS
        <- 220 *
        ** tls
      `))
      assert.strictEqual(e._tag, "TranscriptMismatch")
      assert.include(e.message, "TlsFailed")
    }))

  it.live("reports a mismatch with the step, expected, actual and conversation", () =>
    Effect.gen(function*() {
      const port = yield* tinyServer
      const e = yield* Effect.flip(Transcript.run({ host, port }, `
        <- 220 *
        -> HELO x
        <- 550 *
      `))
      assert(e._tag === "TranscriptMismatch")
      assert.strictEqual(e.line, 4)
      assert.strictEqual(e.step, "<- 550 *")
      assert.deepStrictEqual(e.actual, ["250 ok HELO x"])
      assert.deepStrictEqual(e.conversation, ["S: 220 tiny.test ESMTP ready", "C: HELO x", "S: 250 ok HELO x"])
      assert.include(e.message, "transcript failed at line 4: <- 550 *")
      assert.include(e.message, "expected: a reply whose final line matches \"550 *\"")
    }))

  it.live("fails on multi-line shape, prefix, contained-line and absent-line expectations", () =>
    Effect.gen(function*() {
      const port = yield* tinyServer
      const cases = [
        "<- 220 *\n-> EHLO x\n<- 250-tiny.test\n<- 250 STARTTLS",
        "<- 220 *\n-> NOOP\n<~ 251",
        "<- 220 *\n-> EHLO x\n<* 250-8BITMIME",
        "<- 220 *\n-> EHLO x\n<! STARTTLS"
      ]
      for (const script of cases) {
        const e = yield* Effect.flip(Transcript.run({ host, port }, script))
        assert.strictEqual(e._tag, "TranscriptMismatch", script)
      }
    }))

  it.live("times out instead of hanging, and reports what arrived", () =>
    Effect.gen(function*() {
      const port = yield* tinyServer
      const started = Date.now()
      const e = yield* Effect.flip(Transcript.run({ host, port, timeout: "300 millis" }, `
        <- 220 *
        -> SILENT
        <- 250 *
      `))
      assert(e._tag === "TranscriptMismatch")
      assert.include(e.detail, "Timeout")
      assert.isBelow(Date.now() - started, 3000)
      const e2 = yield* Effect.flip(Transcript.run({ host, port }, `
        <- 220 *
        ** timeout 200
        -> NOOP
        <- 250 *
        << closed
      `))
      assert(e2._tag === "TranscriptMismatch")
      assert.strictEqual(e2.step, "<< closed")
      assert.include(e2.detail, "still open")
    }))

  it.live("reports an unexpected close, garbage, and a refused connection", () =>
    Effect.gen(function*() {
      const port = yield* tinyServer
      const closed = yield* Effect.flip(Transcript.run({ host, port }, "<- 220 *\n-> CLOSE\n<- 250 *"))
      assert(closed._tag === "TranscriptMismatch")
      assert.include(closed.detail, "Closed")
      const garbage = yield* Effect.flip(Transcript.run({ host, port }, "<- 220 *\n-> GARBAGE\n<- 250 *"))
      assert(garbage._tag === "TranscriptMismatch")
      assert.deepStrictEqual(garbage.actual, ["hello there"])
      assert.include(garbage.detail, "MalformedReply")
      yield* Transcript.run({ host, port }, "<- 220 *\n-> CLOSE\n<< closed")
      const refused = yield* Effect.flip(Transcript.run({ host, port: 1 }, "<- 220 *"))
      assert(refused._tag === "TranscriptMismatch")
      assert.strictEqual(refused.line, 0)
    }))
})
