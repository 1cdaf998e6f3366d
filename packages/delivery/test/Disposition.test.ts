import { assert, describe, it } from "@effect/vitest"
import type { Claim } from "@cartero/queue"
import { Address, SmtpReply, Verdict } from "@cartero/smtp"
import * as DeliveryResult from "../src/DeliveryResult.ts"
import * as Disposition from "../src/Disposition.ts"
import * as OutboundHooks from "../src/OutboundHooks.ts"
import * as RetryPolicy from "../src/RetryPolicy.ts"

const hour = 3_600_000
const policy = RetryPolicy.make(["1 hour"], "1 day", 0)
const rcpt = (local: string) => ({ address: Address.make(local, "dest.test") })
const ok = SmtpReply.make(250, "2.0.0", "ok")
const busy = SmtpReply.make(451, "4.2.1", "mailbox busy")
const gone = SmtpReply.make(550, "5.1.1", "no such user")

/** A claim of `locals` at dest.test, arrived at 0, each recipient after `attempts` earlier attempts. */
const claim = (locals: ReadonlyArray<string>, attempts = 0): Claim.Claim => ({
  messageId: "m1",
  domain: "dest.test",
  token: "t",
  expiresAt: 0,
  envelope: { mailFrom: Address.make("alice", "origin.test"), params: { smtpUtf8: false }, recipients: locals.map(rcpt) },
  arrivedAt: 0,
  traceId: "trace",
  bodySize: 10,
  recipients: locals.map((local, i) => ({ index: i + 3, recipient: rcpt(local), attempts }))
})

const decide = (c: Claim.Claim, results: ReadonlyArray<DeliveryResult.RecipientResult>, deferred: OutboundHooks.DeferredVerdict = Verdict.next, now = hour) =>
  Disposition.decide({ claim: c, results, deferred, policy, now, random: 0.5, remoteMta: "mx1.dest.test" })

describe("Disposition", () => {
  it("2yz delivered, 5yz failed and bounced with the remote's reply and name, 4yz retried by the policy", () => {
    const c = claim(["a", "b", "c"])
    const d = decide(c, [
      DeliveryResult.classify(rcpt("a"), ok, "message"),
      DeliveryResult.classify(rcpt("b"), gone, "RCPT"),
      DeliveryResult.classify(rcpt("c"), busy, "RCPT")
    ])
    assert.deepStrictEqual(d.outcomes, [
      { _tag: "Delivered", index: 3, reply: ok },
      { _tag: "Failed", index: 4, reply: gone },
      { _tag: "Deferred", index: 5, reply: busy, retryAt: 2 * hour }
    ])
    assert.deepStrictEqual(d.bounces, [{ index: 4, recipient: { recipient: rcpt("b"), reply: gone, remoteMta: "mx1.dest.test", expired: false } }])
  })

  it("a reply this side wrote itself (connect failure, routing) names no Remote-MTA", () => {
    const d = decide(claim(["a"]), [DeliveryResult.classify(rcpt("a"), gone, "connect", true)])
    assert.strictEqual(d.bounces[0]?.recipient.remoteMta, undefined)
  })

  it("past the maximum age a deferred recipient is given up: failed, bounced as expired with the last reply", () => {
    const d = decide(claim(["a"], 7), [DeliveryResult.classify(rcpt("a"), busy, "RCPT")], Verdict.next, 24 * hour)
    assert.deepStrictEqual(d.outcomes, [{ _tag: "Failed", index: 3, reply: busy }])
    assert.deepStrictEqual(d.bounces.map((b) => [b.index, b.recipient.expired, SmtpReply.toString(b.recipient.reply)]), [[3, true, "451 4.2.1 mailbox busy"]])
  })

  it("the deferred hooks decide before the policy: a time of theirs, or giving up now with their reply", () => {
    const c = claim(["a"])
    const deferred = [DeliveryResult.classify(rcpt("a"), busy, "RCPT")]
    assert.deepStrictEqual(decide(c, deferred, OutboundHooks.retryAt(42)).outcomes, [{ _tag: "Deferred", index: 3, reply: busy, retryAt: 42 }])
    const giveUp = Verdict.reject("5.2.2", "mailbox full for too long")
    const d = decide(c, deferred, giveUp)
    assert.deepStrictEqual(d.outcomes, [{ _tag: "Failed", index: 3, reply: giveUp.reply }])
    assert.deepStrictEqual(d.bounces.map((b) => [b.recipient.expired, SmtpReply.toString(b.recipient.reply)]), [[false, "550 5.2.2 mailbox full for too long"]])
  })

  it("the hooks' verdict concerns deferred recipients only", () => {
    const d = decide(claim(["a", "b"]), [
      DeliveryResult.classify(rcpt("a"), ok, "message"),
      DeliveryResult.classify(rcpt("b"), gone, "RCPT")
    ], OutboundHooks.retryAt(42))
    assert.deepStrictEqual(d.outcomes.map((o) => o._tag), ["Delivered", "Failed"])
  })
})
