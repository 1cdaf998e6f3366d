import { assert, describe, it } from "@effect/vitest"
import { Address, SmtpReply } from "@cartero/smtp"
import * as Bounce from "../src/Bounce.ts"
import type { BouncedRecipient } from "../src/OutboundHooks.ts"
import { body, envelope } from "./support/worker.ts"

const failed = (local: string, notify?: ReadonlyArray<"NEVER" | "SUCCESS" | "FAILURE" | "DELAY">, expired = false): BouncedRecipient => ({
  recipient: { address: Address.make(local, "dest.test"), ...(notify !== undefined ? { notify } : {}) },
  reply: expired ? SmtpReply.make(451, "4.2.1", "busy") : SmtpReply.make(550, "5.1.1", "no such user\r\nInjected: header"),
  remoteMta: "mx1.dest.test",
  expired
})

const input = (recipients: ReadonlyArray<BouncedRecipient>, sender: string | null = "sender@origin.test") => ({
  hostname: "cartero.test",
  messageId: "m1",
  envelope: envelope(sender, recipients.map((r) => Address.format(r.recipient.address))),
  arrivedAt: Date.UTC(2026, 0, 1),
  recipients,
  original: body(),
  now: new Date(Date.UTC(2026, 0, 2))
})

describe("Bounce", () => {
  it("one DSN from <> to the sender; NOTIFY honoured; expired → 5.4.7; remote text cannot inject fields", () => {
    const b = Bounce.make(input([failed("a"), failed("b", ["NEVER"]), failed("c", ["SUCCESS"]), failed("d", ["FAILURE", "DELAY"]), failed("e", undefined, true)]))
    assert.isDefined(b)
    if (b === undefined) return
    assert.isNull(b.envelope.mailFrom)
    assert.deepStrictEqual(b.envelope.recipients.map((r) => Address.format(r.address)), ["sender@origin.test"])
    assert.deepStrictEqual(b.recipients.map((r) => r.recipient.address.localPart), ["a", "d", "e"])
    const text = Buffer.from(b.body).toString("latin1")
    assert.include(text, "From: Mail Delivery System <MAILER-DAEMON@cartero.test>")
    assert.include(text, "Final-Recipient: rfc822; e@dest.test\r\nAction: failed\r\nStatus: 5.4.7")
    assert.notInclude(text, "\r\nInjected: header")
    assert.notInclude(text, "rfc822; b@dest.test")
  })

  it("no DSN for a null sender or when nobody asked for one", () => {
    assert.isUndefined(Bounce.make(input([failed("a")], null)))
    assert.isUndefined(Bounce.make(input([failed("a", ["NEVER"])])))
  })
})
