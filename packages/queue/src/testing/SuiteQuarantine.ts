/**
 * Conformance cases: replies and damaged records. Any reply a next hop can send (any code `000`–`999`) is stored
 * and read back equal. A record that cannot be read whole (its envelope or a last reply damaged by hand, by an old
 * version or by a bug, written here through the store's {@link Tamper} hook) is quarantined: `list`, `show` and
 * `stats` keep working and name the reason, claims hold it instead of handing it out, `release` refuses until the
 * record reads whole again, `delete` removes it, and completions of its recipients still count.
 *
 * @since 0.1.0
 */
import { assert, describe, it } from "@effect/vitest"
import { SmtpReply } from "@cartero/smtp"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { MailQueue } from "../MailQueue.ts"
import * as QueuedMessage from "../QueuedMessage.ts"
import { bytes, envelope, ok, tempFail, withQueue } from "./Fixtures.ts"
import type { TamperableStore } from "./Fixtures.ts"
import { Tamper } from "./Tamper.ts"

/** Damaged stored texts: not JSON, JSON of the wrong shape, a code no reply has. */
const damagedEnvelope = "{\"mailFrom\":null,\"params\":"
const damagedReply = "{\"code\":\"451\",\"lines\":[\"not a reply\"]}"
const outOfRangeReply = "{\"code\":1000,\"lines\":[\"x\"]}"

/** Registers the cases. */
export const cases = (store: TamperableStore): void => {
  const run = withQueue(store)
  describe("replies and quarantine", () => {
    it.effect("any reply a next hop can send is stored and read back equal (000–999, odd texts)", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const replies = [
          SmtpReply.parse("150 hmm"),
          SmtpReply.parse("260 2.0.0 fine, oddly"),
          SmtpReply.parse("399-what\r\n399 now"),
          SmtpReply.parse("000"),
          SmtpReply.parse("999 5.1.1 nine"),
          SmtpReply.parse("599 5.9.9 never"),
          SmtpReply.parse(`451 4.0.0 ${"x".repeat(2000)}`)
        ].map((r) => r ?? SmtpReply.make(451, "4.0.0", "unparsed"))
        const rcpts = replies.map((_, i) => `u${i}@b.test`)
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", ...rcpts), body: bytes("x") })
        const [c] = yield* q.claim()
        if (c === undefined) return assert.fail("no claim")
        yield* q.complete(c, replies.map((reply, index) => ({ _tag: "Deferred" as const, index, reply, retryAt: c.arrivedAt + 1000 })))
        const m = yield* q.show(id)
        assert.isUndefined(m.quarantine)
        assert.deepStrictEqual(m.recipients.map((r) => r.lastReply), replies)
        assert.isUndefined((yield* q.list()).items[0]?.quarantine)
      })))

    it.effect("a damaged envelope: listed and shown with the reason, counted, held by the claim, never handed out", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const tamper = yield* Tamper
        const bad = yield* q.enqueue({ envelope: envelope("alice@a.test", "bob@b.test", "carol@c.test"), body: bytes("x") })
        yield* TestClock.adjust(1)
        const good = yield* q.enqueue({ envelope: envelope("dave@a.test", "erin@b.test"), body: bytes("y") })
        yield* tamper.envelope(bad, damagedEnvelope)

        const shown = yield* q.show(bad)
        assert.match(shown.quarantine ?? "", /^envelope unreadable: /)
        assert.isUndefined(shown.envelope)
        assert.strictEqual(shown.sender, "<alice@a.test>")
        assert.deepStrictEqual(shown.recipients.map((r) => [r.domain, r.state, r.recipient]), [["b.test", "pending", undefined], ["c.test", "pending", undefined]])
        const listed = (yield* q.list()).items
        assert.deepStrictEqual(listed.map((s) => s.id), [bad, good])
        assert.match(listed[0]?.quarantine ?? "", /^envelope unreadable: /)
        assert.strictEqual(listed[0]?.sender, "<alice@a.test>")
        assert.isUndefined(listed[1]?.quarantine)
        assert.deepStrictEqual((yield* q.list({ domain: "c.test" })).items.map((s) => s.id), [bad])
        assert.strictEqual((yield* q.stats).messages, 2)

        const claims = yield* q.claim({ limit: 10 })
        assert.deepStrictEqual(claims.map((c) => c.messageId), [good])
        const held = yield* q.show(bad)
        assert.isTrue(held.held)
        assert.deepStrictEqual(held.recipients.map((r) => r.state), ["held", "held"])
        assert.deepStrictEqual((yield* q.list({ state: "held" })).items.map((s) => s.id), [bad])
        assert.strictEqual((yield* q.stats).recipients.held, 2)
        assert.strictEqual((yield* q.claim({ limit: 10 })).length, 0)
        assert.strictEqual(yield* q.retryNow(bad), 0)

        const refused = yield* Effect.flip(q.release(bad))
        assert.strictEqual(refused._tag, "MessageQuarantined")
        assert.strictEqual((yield* q.show(bad)).recipients[0]?.state, "held")

        yield* q.delete(bad)
        assert.strictEqual((yield* Effect.flip(q.show(bad)))._tag, "MessageNotFound")
        assert.deepStrictEqual((yield* q.list()).items.map((s) => s.id), [good])
        assert.strictEqual((yield* q.stats).messages, 1)
      })))

    it.effect("a damaged last reply: the reason names the recipient, the other replies still read, the claim holds it", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const tamper = yield* Tamper
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b1@b.test", "b2@b.test", "c@c.test"), body: bytes("x") })
        const claims = yield* q.claim({ limit: 10 })
        for (const c of claims) {
          yield* q.complete(c, c.recipients.map((r) => ({ _tag: "Deferred" as const, index: r.index, reply: tempFail, retryAt: c.arrivedAt + 1000 })))
        }
        yield* tamper.reply(id, 0, damagedReply)
        yield* tamper.reply(id, 2, outOfRangeReply)

        const shown = yield* q.show(id)
        assert.match(shown.quarantine ?? "", /^recipient 0: last reply unreadable: .*; recipient 2: last reply unreadable: reply code 1000/)
        assert.deepStrictEqual(shown.envelope, envelope("a@a.test", "b1@b.test", "b2@b.test", "c@c.test"))
        assert.deepStrictEqual(shown.recipients.map((r) => r.lastReply), [undefined, tempFail, undefined])
        assert.isDefined((yield* q.list()).items[0]?.quarantine)

        yield* TestClock.adjust(1000)
        assert.strictEqual((yield* q.claim({ limit: 10 })).length, 0)
        assert.deepStrictEqual((yield* q.show(id)).recipients.map((r) => r.state), ["held", "held", "held"])
        assert.strictEqual((yield* Effect.flip(q.release(id)))._tag, "MessageQuarantined")
      })))

    it.effect("once the record reads whole again (an operator's fix), release and claims work as before", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const tamper = yield* Tamper
        const env = envelope("a@a.test", "b@b.test")
        const id = yield* q.enqueue({ envelope: env, body: bytes("x") })
        yield* tamper.envelope(id, damagedEnvelope)
        assert.strictEqual((yield* q.claim()).length, 0)
        yield* tamper.envelope(id, QueuedMessage.encodeEnvelope(env))
        const fixed = yield* q.show(id)
        assert.isUndefined(fixed.quarantine)
        assert.isTrue(fixed.held)
        assert.strictEqual(yield* q.release(id), 1)
        const [c] = yield* q.claim()
        assert.deepStrictEqual(c?.envelope, env)
      })))

    it.effect("a record damaged while in flight: the worker's completion still counts, the next claim holds the rest", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const tamper = yield* Tamper
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b1@b.test", "b2@b.test"), body: bytes("x") })
        const [c] = yield* q.claim()
        if (c === undefined) return assert.fail("no claim")
        yield* tamper.envelope(id, damagedEnvelope)
        const done = yield* q.complete(c, [
          { _tag: "Delivered", index: 0, reply: ok },
          { _tag: "Deferred", index: 1, reply: tempFail, retryAt: c.arrivedAt }
        ])
        assert.deepStrictEqual(done.applied, [0, 1])
        const after = yield* q.show(id)
        assert.isDefined(after.quarantine)
        assert.deepStrictEqual(after.recipients.map((r) => [r.state, r.lastReply]), [["delivered", ok], ["deferred", tempFail]])
        assert.strictEqual((yield* q.claim()).length, 0)
        assert.deepStrictEqual((yield* q.show(id)).recipients.map((r) => r.state), ["delivered", "held"])
      })))
  })
}
