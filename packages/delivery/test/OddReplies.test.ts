/**
 * Whatever a next hop answers, the client turns it into a defined outcome: 2yz delivered, 5yz failed, everything
 * else deferred with a reply that says what came back; protocol violations (garbage, an overlong line, mismatched
 * multi-line codes, a flood of replies) end the session as a `4.5.0` deferral. Real client, real sockets, the sink
 * scripted to misbehave at each step.
 */
import { assert, describe, it } from "@effect/vitest"
import { SmtpReply } from "@cartero/smtp"
import { SmtpSink } from "@cartero/testing"
import { Effect } from "effect"
import type * as DeliveryResult from "../src/DeliveryResult.ts"
import * as SmtpClient from "../src/SmtpClient.ts"
import { clientOptions, envelope, message } from "./support/fixtures.ts"

const outcome = (r: DeliveryResult.TransactionResult) => r.recipients.map((x) => `${x._tag} ${SmtpReply.toString(x.reply)}`)

interface Case {
  readonly name: string
  readonly response: SmtpSink.Response
  /** `Tag reply`, where `@` stands for the remote `127.0.0.1:<port>`. */
  readonly expected: string | RegExp
}

const send = (sink: SmtpSink.Service, recipients: ReadonlyArray<string> = ["bob"]) =>
  Effect.flatMap(SmtpClient.make(clientOptions()), (client) =>
    client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(recipients), message: message() }))

const check = (actual: string, expected: string | RegExp, port: number) =>
  typeof expected === "string"
    ? assert.strictEqual(actual, expected.replaceAll("@", `127.0.0.1:${port}`))
    : assert.match(actual, expected)

const flood = "250 2.0.0 again\r\n".repeat(5000)

describe("odd replies at RCPT (pipelined and lock-step)", () => {
  const cases: ReadonlyArray<Case> = [
    { name: "150 hmm", response: SmtpSink.reply(150, "hmm"), expected: "Deferred 451 4.5.0 unexpected reply from @ to RCPT TO: 150 hmm" },
    { name: "399", response: SmtpSink.reply(399, "what now"), expected: "Deferred 451 4.5.0 unexpected reply from @ to RCPT TO: 399 what now" },
    { name: "000", response: SmtpSink.reply(0, "zero"), expected: "Deferred 451 4.5.0 unexpected reply from @ to RCPT TO: 000 zero" },
    { name: "999", response: SmtpSink.reply(999, "nine"), expected: "Deferred 451 4.5.0 unexpected reply from @ to RCPT TO: 999 nine" },
    { name: "650 (first digit 6)", response: SmtpSink.reply(650, "5.1.1 six"), expected: "Deferred 451 4.5.0 unexpected reply from @ to RCPT TO: 650 5.1.1 six" },
    { name: "260 (a 2yz with an odd second digit)", response: SmtpSink.reply(260, "2.1.5 fine"), expected: /^Delivered 250 2\.0\.0 Ok: queued as \d+$/ },
    { name: "599 (a 5yz with an odd second digit)", response: SmtpSink.reply(599, "5.9.9 never"), expected: "Failed 599 5.9.9 never" },
    { name: "garbage", response: SmtpSink.raw("hello there\r\n"), expected: /^Deferred 451 4\.5\.0 protocol error from 127\.0\.0\.1:\d+: malformed reply: "hello there"$/ },
    { name: "a line over the reader's limit", response: SmtpSink.raw(`250 ${"x".repeat(5000)}\r\n`), expected: /^Deferred 451 4\.5\.0 protocol error from .*longer than 4096 octets/ },
    { name: "a multi-line reply whose lines disagree on the code", response: SmtpSink.raw("250-2.1.5 ok\r\n550 5.1.1 no\r\n"), expected: /^Deferred 451 4\.5\.0 protocol error from .*malformed reply: "250-2\.1\.5 ok\\n550 5\.1\.1 no"$/ }
  ]
  for (const pipelining of [true, false]) {
    for (const c of cases) {
      it.live(`${c.name}${pipelining ? "" : " (lock-step)"}`, () =>
        Effect.gen(function*() {
          const sink = yield* SmtpSink.make({ pipelining, rcptTo: () => c.response })
          const [result] = outcome(yield* send(sink))
          check(result ?? "", c.expected, sink.port)
        }))
    }
  }

  it.live("a flood of replies to one RCPT ends the session as a deferral; other recipients keep their own verdict", () =>
    Effect.gen(function*() {
      for (const pipelining of [true, false]) {
        const sink = yield* SmtpSink.make({
          pipelining,
          rcptTo: (to) => (to.startsWith("gone") ? SmtpSink.reply(550, "5.1.1 no such user") : SmtpSink.raw(`250 2.1.5 ok\r\n${flood}`))
        })
        const results = outcome(yield* send(sink, ["gone", "bob"]))
        assert.strictEqual(results[0], "Failed 550 5.1.1 no such user")
        assert.match(results[1] ?? "", /^Deferred 451 4\.5\.0 (protocol error|unexpected reply) from 127\.0\.0\.1:\d+/)
        assert.strictEqual(yield* sink.received, 0, "no message was sent")
      }
    }))
})

describe("odd replies to DATA and at the end of data", () => {
  const atData: ReadonlyArray<Case> = [
    // A 2yz to DATA (instead of 354) is not a delivery: the message was never sent.
    { name: "250 to DATA", response: SmtpSink.reply(250, "2.0.0 sure"), expected: "Deferred 451 4.5.0 unexpected reply from @ to DATA: 250 2.0.0 sure" },
    { name: "150 to DATA", response: SmtpSink.reply(150, "hmm"), expected: "Deferred 451 4.5.0 unexpected reply from @ to DATA: 150 hmm" },
    { name: "334 to DATA", response: SmtpSink.reply(334, "VXNlcm5hbWU6"), expected: "Deferred 451 4.5.0 unexpected reply from @ to DATA: 334 VXNlcm5hbWU6" },
    { name: "554 to DATA", response: SmtpSink.reply(554, "5.6.0 no"), expected: "Failed 554 5.6.0 no" }
  ]
  for (const c of atData) {
    it.live(c.name, () =>
      Effect.gen(function*() {
        const sink = yield* SmtpSink.make({ data: () => c.response })
        const [result] = outcome(yield* send(sink))
        check(result ?? "", c.expected, sink.port)
        assert.strictEqual(yield* sink.received, 0)
      }))
  }

  const atEnd: ReadonlyArray<Case> = [
    { name: "150 hmm", response: SmtpSink.reply(150, "hmm"), expected: "Deferred 451 4.5.0 unexpected reply from @ to the end of data: 150 hmm" },
    { name: "354 again", response: SmtpSink.reply(354, "more?"), expected: "Deferred 451 4.5.0 unexpected reply from @ to the end of data: 354 more?" },
    { name: "000", response: SmtpSink.reply(0, ""), expected: "Deferred 451 4.5.0 unexpected reply from @ to the end of data: 000" },
    { name: "999", response: SmtpSink.reply(999, ["a", "b"]), expected: "Deferred 451 4.5.0 unexpected reply from @ to the end of data: 999 a b" },
    { name: "260", response: SmtpSink.reply(260, "2.6.0 queued oddly"), expected: "Delivered 260 2.6.0 queued oddly" },
    { name: "599", response: SmtpSink.reply(599, "5.9.9 never"), expected: "Failed 599 5.9.9 never" },
    { name: "garbage", response: SmtpSink.raw("\u0000\u00ff\r\n"), expected: /^Deferred 451 4\.5\.0 protocol error from 127\.0\.0\.1:\d+: malformed reply/ },
    { name: "a multi-line reply whose lines disagree on the code", response: SmtpSink.raw("550-5.0.0 no\r\n250 2.0.0 yes\r\n"), expected: /^Deferred 451 4\.5\.0 protocol error from .*malformed reply/ }
  ]
  for (const c of atEnd) {
    it.live(`${c.name} after the end of data`, () =>
      Effect.gen(function*() {
        const sink = yield* SmtpSink.make({ message: () => c.response })
        const [result] = outcome(yield* send(sink))
        check(result ?? "", c.expected, sink.port)
        assert.strictEqual(yield* sink.received, 1)
      }))
  }
})

describe("odd replies before the transaction", () => {
  it.live("a flood of unsolicited replies after the greeting: a protocol error, the next address is tried (ConnectError)", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({ connect: () => SmtpSink.raw(`220 sink.test ESMTP\r\n${flood}`) })
      const e = yield* Effect.flip(send(sink))
      assert.strictEqual(e._tag, "ConnectError")
      assert.strictEqual(e.reason, "protocol")
      assert.match(SmtpReply.toString(e.toReply()), /^451 4\.5\.0 protocol error from 127\.0\.0\.1:\d+: unsolicited reply/)
    }))

  it.live("greeted with 150, or answered 999 to EHLO: refused sessions, deferred with what came back", () =>
    Effect.gen(function*() {
      const greeted = yield* SmtpSink.make({ connect: () => SmtpSink.reply(150, "hmm") })
      const g = yield* Effect.flip(send(greeted))
      assert.match(SmtpReply.toString(g.toReply()), /^451 4\.5\.0 unexpected reply from 127\.0\.0\.1:\d+ to the greeting: 150 hmm$/)
      const ehlo = yield* SmtpSink.make({ helo: () => SmtpSink.reply(999, "nine") })
      const h = yield* Effect.flip(send(ehlo))
      assert.match(SmtpReply.toString(h.toReply()), /^451 4\.5\.0 unexpected reply from 127\.0\.0\.1:\d+ to EHLO: 999 nine$/)
      // A 5yz to EHLO still falls back to HELO (RFC 5321 §3.2), and a 999 to HELO is refused the same way.
      assert.deepStrictEqual((yield* ehlo.commands).filter((l) => /^(EHLO|HELO)/.test(l)).map((l) => l.slice(0, 4)), ["EHLO"])
    }))
})
