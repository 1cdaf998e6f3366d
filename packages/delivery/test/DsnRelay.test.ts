/**
 * The delivery worker and DSN (RFC 3461) against real SMTP sinks on 127.0.0.1: the parameters go to a next hop that
 * advertises DSN (which then reports itself: no success notice from us), and not to one that does not (we send
 * `Action: relayed` to whoever asked with NOTIFY=SUCCESS). Failures are ours to report either way, as NOTIFY says.
 * Also RFC 6531 §3.4 on relay: a message that needs SMTPUTF8 is bounced `5.6.7`, never sent, to a next hop without it.
 */
import { Dsn } from "@cartero/mime"
import { Address, Envelope } from "@cartero/smtp"
import { SmtpSink } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { pythonReport } from "./support/pythonDsn.ts"
import { body, dsns, eventually, settled, setup } from "./support/worker.ts"

const sender = Address.make("sender", "origin.test")
const rcpt = (local: string, notify?: ReadonlyArray<Envelope.Notify>, orcpt?: string): Envelope.Recipient => ({
  address: Address.make(local, "dest.test"),
  ...(notify !== undefined ? { notify } : {}),
  ...(orcpt !== undefined ? { orcpt } : {})
})

/** bob wants success and failure notices, carol none, dave failures only (and is refused), erin the default. */
const dsnEnvelope = Envelope.make(sender, [
  rcpt("bob", ["SUCCESS", "FAILURE"], "rfc822;Bob+1@dest.test"),
  rcpt("carol", ["NEVER"]),
  rcpt("dave", ["FAILURE"], "rfc822;dave@dest.test"),
  rcpt("erin")
], { smtpUtf8: false, ret: "HDRS", envid: "env 42=x" })

const refuse = (locals: ReadonlyArray<string>) => (to: string): SmtpSink.Response | undefined =>
  locals.some((l) => to.startsWith(`${l}@`)) ? SmtpSink.reply(550, "5.1.1 no such user") : undefined

/** The reports of the DSNs the sink received (from `<>`), in arrival order. */
const reports = (sink: SmtpSink.Service) =>
  Effect.map(dsns(sink), (ms) => ms.map((m) => ({ message: m, report: Dsn.read(m.data), python: pythonReport(m.data) })))

describe("DSN on relay", () => {
  it.live("next hop without DSN: no parameters sent; NOTIFY=SUCCESS gets Action: relayed; failures as NOTIFY says", () =>
    Effect.gen(function*() {
      const { queue, sink } = yield* setup({ sink: { rcptTo: refuse(["carol", "dave"]) } })
      const id = yield* queue.enqueue({ envelope: dsnEnvelope, body: body() })
      yield* settled(queue, id)
      const [relayedMessage] = (yield* sink.awaitMessages(1)).filter((m) => m.mailFrom === "sender@origin.test")
      assert.strictEqual(relayedMessage?.mailParams, "")
      assert.deepStrictEqual(relayedMessage?.rcptParams, ["", ""])
      assert.isFalse((yield* sink.commands).some((c) => /NOTIFY=|ORCPT=|RET=|ENVID=/.test(c)))

      const got = yield* eventually(Effect.map(reports(sink), (r) => (r.length >= 2 ? r : undefined)))
      yield* Effect.sleep("300 millis")
      assert.strictEqual((yield* dsns(sink)).length, 2, "exactly two notices")
      const byAction = new Map(got.map((g) => [g.report?.recipients[0]?.action, g]))
      const relayed = byAction.get("relayed")
      assert.deepStrictEqual(relayed?.report?.recipients.map((r) => [r.finalRecipient, r.originalRecipient, r.status, r.remoteMta]), [
        ["bob@dest.test", "Bob+1@dest.test", "2.0.0", "mx1.dest.test"]
      ])
      assert.strictEqual(relayed?.report?.originalEnvelopeId, "env 42=x")
      assert.deepStrictEqual(relayed?.python.parts, ["text/plain", "message/delivery-status", "text/rfc822-headers"])
      assert.strictEqual(relayed?.python.recipients[0]?.["action"], "relayed")
      const failed = byAction.get("failed")
      assert.deepStrictEqual(failed?.report?.recipients.map((r) => [r.finalRecipient, r.originalRecipient, r.status]), [
        ["dave@dest.test", "dave@dest.test", "5.1.1"]
      ], "carol said NEVER")
      assert.strictEqual(failed?.python.message["original-envelope-id"], "env 42=x")
      assert.strictEqual(failed?.python.returned?.type, "text/rfc822-headers", "RET=HDRS")
      assert.deepStrictEqual(failed?.message.rcptTo, ["sender@origin.test"])
    }).pipe(Effect.scoped))

  it.live("next hop with DSN: NOTIFY/ORCPT/RET/ENVID passed on (xtext), no success notice from us", () =>
    Effect.gen(function*() {
      const { queue, sink } = yield* setup({ sink: { dsn: true, rcptTo: refuse(["carol", "dave"]) } })
      const id = yield* queue.enqueue({ envelope: dsnEnvelope, body: body() })
      yield* settled(queue, id)
      const [relayedMessage] = (yield* sink.awaitMessages(1)).filter((m) => m.mailFrom === "sender@origin.test")
      assert.strictEqual(relayedMessage?.mailParams, "RET=HDRS ENVID=env+2042+3Dx")
      assert.deepStrictEqual(relayedMessage?.rcptTo, ["bob@dest.test", "erin@dest.test"])
      assert.deepStrictEqual(relayedMessage?.rcptParams, ["NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+2B1@dest.test", ""])
      assert.isTrue((yield* sink.commands).includes("RCPT TO:<carol@dest.test> NOTIFY=NEVER"))

      yield* eventually(Effect.map(dsns(sink), (d) => (d.length >= 1 ? d : undefined)))
      yield* Effect.sleep("300 millis")
      const got = yield* reports(sink)
      assert.deepStrictEqual(got.map((g) => g.report?.recipients.map((r) => `${r.action} ${r.finalRecipient}`)), [["failed dave@dest.test"]])
    }).pipe(Effect.scoped))

  it.live("NOTIFY=NEVER everywhere: nothing at all, whatever happens", () =>
    Effect.gen(function*() {
      const { queue, sink } = yield* setup({ sink: { rcptTo: refuse(["carol"]) } })
      const id = yield* queue.enqueue({ envelope: Envelope.make(sender, [rcpt("bob", ["NEVER"]), rcpt("carol", ["NEVER"])]), body: body() })
      yield* settled(queue, id)
      yield* sink.awaitMessages(1)
      yield* Effect.sleep("300 millis")
      assert.strictEqual((yield* dsns(sink)).length, 0)
    }).pipe(Effect.scoped))
})

describe("SMTPUTF8 on relay (RFC 6531 §3.4)", () => {
  it.live("a message that needs SMTPUTF8, to a next hop without it: bounced 5.6.7, never sent", () =>
    Effect.gen(function*() {
      const { queue, sink } = yield* setup({ sink: { smtpUtf8: false } })
      const id = yield* queue.enqueue({
        envelope: Envelope.make(sender, [{ address: Address.make("j\u00f6rg", "dest.test") }], { smtpUtf8: true }),
        body: body()
      })
      const shown = yield* settled(queue, id)
      assert.strictEqual(shown.recipients[0]?.state, "failed")
      assert.strictEqual(shown.recipients[0]?.lastReply?.enhanced, "5.6.7")
      const [bounce] = yield* eventually(Effect.map(dsns(sink), (d) => (d.length >= 1 ? d : undefined)))
      assert.deepStrictEqual(Dsn.read(bounce?.data ?? "")?.recipients.map((r) => [r.action, r.status]), [["failed", "5.6.7"]])
      assert.strictEqual((yield* sink.messages).length, 1, "only the bounce reached the sink")
      assert.isFalse((yield* sink.commands).some((c) => c.startsWith("MAIL FROM:<sender@")), "the message itself was never offered")
    }).pipe(Effect.scoped))
})
