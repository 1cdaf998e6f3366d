/**
 * Every notice we send (RFC 3464), for every combination of NOTIFY (absent, NEVER, each value, the usual lists) and
 * RET (absent, HDRS, FULL), for each event: delivered (local mailbox), relayed (a next hop without DSN), failed,
 * delayed. Each notice that is due is read back twice: by `@cartero/mime`'s DSN reader and by Python's `email`
 * package (`support/dsn_report.py`), and both must find the same action, status, `Original-Envelope-Id` and
 * `Original-Recipient`, and the returned part RET asked for.
 */
import { Dsn } from "@cartero/mime"
import { Address, Envelope, SmtpReply } from "@cartero/smtp"
import { assert, describe, it } from "@effect/vitest"
import * as Bounce from "../src/Bounce.ts"
import * as DelayNotice from "../src/DelayNotice.ts"
import * as SuccessNotice from "../src/SuccessNotice.ts"
import { pythonReport } from "./support/pythonDsn.ts"
import { body } from "./support/worker.ts"

type Event = "delivered" | "relayed" | "failed" | "delayed"
type Notify = ReadonlyArray<Envelope.Notify> | undefined

const notifies: ReadonlyArray<Notify> = [
  undefined,
  ["NEVER"],
  ["SUCCESS"],
  ["FAILURE"],
  ["DELAY"],
  ["SUCCESS", "FAILURE"],
  ["FAILURE", "DELAY"],
  ["SUCCESS", "FAILURE", "DELAY"]
]
const rets: ReadonlyArray<Envelope.Ret | undefined> = [undefined, "HDRS", "FULL"]
const events: ReadonlyArray<Event> = ["delivered", "relayed", "failed", "delayed"]

/** RFC 3461 §4.1: successes only when asked; failures and delays also without NOTIFY; nothing for NEVER. */
const due = (event: Event, notify: Notify): boolean => {
  const kind = event === "failed" ? "FAILURE" : event === "delayed" ? "DELAY" : "SUCCESS"
  return notify === undefined ? kind !== "SUCCESS" : notify.includes(kind)
}

const status: Record<Event, string> = { delivered: "2.0.0", relayed: "2.0.0", failed: "5.1.1", delayed: "4.2.1" }

const build = (event: Event, notify: Notify, ret: Envelope.Ret | undefined): Uint8Array | undefined => {
  const recipient: Envelope.Recipient = {
    address: Address.make("bob", "dest.test"),
    orcpt: "rfc822;Bob@Dest.test",
    ...(notify !== undefined ? { notify } : {})
  }
  const envelope = Envelope.make(Address.make("sender", "origin.test"), [recipient], {
    smtpUtf8: false,
    envid: "QQ+314=x",
    ...(ret !== undefined ? { ret } : {})
  })
  const common = { hostname: "cartero.test", envelope, arrivedAt: Date.UTC(2026, 0, 1), original: body(), now: new Date(Date.UTC(2026, 0, 2)) }
  switch (event) {
    case "delivered":
      return SuccessNotice.make({ ...common, recipients: [{ recipient, action: "delivered" }] })?.body
    case "relayed":
      return SuccessNotice.make({
        ...common,
        recipients: [{ recipient, action: "relayed", reply: SmtpReply.make(250, "2.0.0", "ok"), remoteMta: "mx1.dest.test" }]
      })?.body
    case "failed":
      return Bounce.make({
        ...common,
        messageId: "m1",
        recipients: [{ recipient, reply: SmtpReply.make(550, "5.1.1", "no such user"), remoteMta: "mx1.dest.test", expired: false }]
      })?.body
    case "delayed":
      return DelayNotice.make({
        ...common,
        recipients: [{ recipient, reply: SmtpReply.make(451, "4.2.1", "busy") }],
        retryUntil: new Date(Date.UTC(2026, 0, 6))
      })?.body
  }
}

describe("notices: every NOTIFY × RET × event", () => {
  for (const event of events) {
    for (const notify of notifies) {
      for (const ret of rets) {
        const name = `${event}, NOTIFY=${notify?.join(",") ?? "(none)"}, RET=${ret ?? "(none)"}`
        it(name, () => {
          const notice = build(event, notify, ret)
          if (!due(event, notify)) return assert.isUndefined(notice, "no notice is due")
          if (notice === undefined) return assert.fail("a notice is due")
          // Only a failure returns the whole message, and only when RET=FULL asked for it (RFC 3461 §4.3).
          const returned = event === "failed" && ret === "FULL" ? "message/rfc822" : "text/rfc822-headers"

          const ours = Dsn.read(notice)
          assert.strictEqual(ours?.reportingMta, "cartero.test")
          assert.strictEqual(ours?.originalEnvelopeId, "QQ+314=x")
          assert.deepStrictEqual(ours?.recipients.map((r) => [r.finalRecipient, r.originalRecipient, r.action, r.status]), [
            ["bob@dest.test", "Bob@Dest.test", event, status[event]]
          ])

          const py = pythonReport(notice)
          assert.deepStrictEqual(py.defects, [])
          assert.strictEqual(py.content_type, "multipart/report")
          assert.strictEqual(py.report_type, "delivery-status")
          assert.deepStrictEqual(py.parts, ["text/plain", "message/delivery-status", returned])
          assert.strictEqual(py.message["original-envelope-id"], "QQ+314=x")
          assert.strictEqual(py.message["reporting-mta"], "dns; cartero.test")
          assert.strictEqual(py.recipients.length, 1)
          assert.strictEqual(py.recipients[0]?.["original-recipient"], "rfc822; Bob@Dest.test")
          assert.strictEqual(py.recipients[0]?.["final-recipient"], "rfc822; bob@dest.test")
          assert.strictEqual(py.recipients[0]?.["action"], event)
          assert.strictEqual(py.recipients[0]?.["status"], status[event])
          assert.strictEqual(py.returned?.type, returned)
          assert.strictEqual(py.returned?.subject, "test")
          assert.strictEqual(py.returned?.has_body, returned === "message/rfc822")
        })
      }
    }
  }

  it("a relayed notice names the next hop and its reply; a delivered one neither", () => {
    const relayed = Buffer.from(build("relayed", ["SUCCESS"], undefined) ?? new Uint8Array()).toString("latin1")
    assert.include(relayed, "Remote-MTA: dns; mx1.dest.test\r\nDiagnostic-Code: smtp; 250 2.0.0 ok")
    assert.include(relayed, "Subject: Successful Mail Delivery Report")
    const delivered = Buffer.from(build("delivered", ["SUCCESS"], undefined) ?? new Uint8Array()).toString("latin1")
    assert.notInclude(delivered, "Remote-MTA")
    assert.include(delivered, "Your message was successfully delivered")
  })

  it("an ORCPT of another address type keeps its type", () => {
    const recipient: Envelope.Recipient = { address: Address.make("bob", "dest.test"), notify: ["SUCCESS"], orcpt: "x400;c=gb;o=test" }
    const notice = SuccessNotice.make({
      hostname: "cartero.test",
      envelope: Envelope.make(Address.make("sender", "origin.test"), [recipient]),
      arrivedAt: 0,
      recipients: [{ recipient, action: "delivered" }],
      original: body(),
      now: new Date(0)
    })
    assert.strictEqual(pythonReport(notice?.body ?? new Uint8Array()).recipients[0]?.["original-recipient"], "x400; c=gb;o=test")
  })
})
