/**
 * Conformance cases: claim, complete, retries.
 *
 * @since 0.1.0
 */
import { assert, describe, it } from "@effect/vitest"
import { SmtpReply } from "@cartero/smtp"
import { Effect, Stream } from "effect"
import { TestClock } from "effect/testing"
import { MailQueue } from "../MailQueue.ts"
import { bytes, envelope, ok, permFail, type StoreLayer, tempFail, withQueue } from "./Fixtures.ts"

/** Registers the cases. */
export const cases = (store: StoreLayer): void => {
  const run = withQueue(store)
  describe("claim", () => {
    it.effect("groups due recipients by destination domain, one claim per (message, domain)", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b1@b.test", "c@c.test", "b2@B.test"), body: bytes("x") })
        const claims = yield* q.claim({ limit: 10 })
        assert.strictEqual(claims.length, 2)
        const byDomain = new Map(claims.map((c) => [c.domain, c.recipients.map((r) => r.index)]))
        assert.deepStrictEqual(byDomain.get("b.test"), [0, 2])
        assert.deepStrictEqual(byDomain.get("c.test"), [1])
        for (const c of claims) assert.strictEqual(c.messageId, id)
        assert.notStrictEqual(claims[0]?.token, claims[1]?.token)
      })))

    it.effect("carries what a worker needs: envelope, arrival, trace id, size, attempts, expiry", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const env = envelope("a@a.test", "b@b.test")
        yield* q.enqueue({ envelope: env, body: bytes("hello"), traceId: "t-9" })
        yield* TestClock.adjust(1000)
        const [c] = yield* q.claim({ leaseMillis: 60_000 })
        assert.isDefined(c)
        if (c === undefined) return
        assert.deepStrictEqual(c.envelope, env)
        assert.strictEqual(c.traceId, "t-9")
        assert.strictEqual(c.bodySize, 5)
        assert.strictEqual(c.expiresAt, c.arrivedAt + 1000 + 60_000)
        assert.deepStrictEqual(c.recipients.map((r) => [r.index, r.attempts]), [[0, 0]])
        assert.deepStrictEqual(c.recipients[0]?.recipient, env.recipients[0])
      })))

    it.effect("carries the traceparent of the span that accepted the message, and none for an untraced one", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("x"), traceId: "t-1", traceParent })
        yield* q.enqueue({ envelope: envelope("a@a.test", "c@c.test"), body: bytes("y"), traceId: "t-2" })
        const claims = yield* q.claim({ leaseMillis: 60_000, limit: 10 })
        assert.deepStrictEqual(
          claims.map((c) => [c.traceId, c.traceParent ?? ""]).sort(),
          [["t-1", traceParent], ["t-2", ""]]
        )
      })))

    it.effect("claimed recipients are in flight and cannot be claimed again", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("x") })
        assert.strictEqual((yield* q.claim()).length, 1)
        assert.strictEqual((yield* q.claim()).length, 0)
        const m = yield* q.show(id)
        assert.strictEqual(m.recipients[0]?.state, "inflight")
        assert.isDefined(m.recipients[0]?.leaseExpiresAt)
      })))

    it.effect("respects the limit and the domain filter", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        for (let i = 0; i < 5; i++) yield* q.enqueue({ envelope: envelope("a@a.test", `x${i}@b.test`, `y${i}@c.test`), body: bytes("x") })
        assert.strictEqual((yield* q.claim({ limit: 3 })).length, 3)
        const onlyC = yield* q.claim({ limit: 100, domain: "C.TEST" })
        assert.isTrue(onlyC.length > 0)
        for (const c of onlyC) assert.strictEqual(c.domain, "c.test")
        const rest = yield* q.claim({ limit: 100 })
        assert.strictEqual(3 + onlyC.length + rest.length, 10)
        for (const c of rest) assert.strictEqual(c.domain, "b.test")
      })))

    it.effect("returns nothing from an empty queue", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        assert.deepStrictEqual(yield* q.claim(), [])
      })))

    it.effect("hands out the longest-waiting work first", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const first = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("1") })
        yield* TestClock.adjust(10)
        const second = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("2") })
        yield* TestClock.adjust(10)
        assert.deepStrictEqual((yield* q.claim({ limit: 1 })).map((c) => c.messageId), [first])
        assert.deepStrictEqual((yield* q.claim({ limit: 1 })).map((c) => c.messageId), [second])
      })))
  })

  describe("complete", () => {
    it.effect("removes the message and its body once every recipient is delivered", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test", "c@b.test"), body: bytes("x") })
        const [c] = yield* q.claim()
        if (c === undefined) return assert.fail("no claim")
        const res = yield* q.complete(c, c.recipients.map((r) => ({ _tag: "Delivered" as const, index: r.index, reply: ok })))
        assert.deepStrictEqual([...res.applied].sort(), [0, 1])
        assert.isTrue(res.finished)
        assert.strictEqual((yield* Effect.flip(q.show(id)))._tag, "MessageNotFound")
        assert.strictEqual((yield* Effect.flip(Stream.runDrain(q.body(id))))._tag, "MessageNotFound")
        assert.strictEqual((yield* q.stats).messages, 0)
      })))

    it.effect("records a deferral with reply and next attempt; not claimable before it", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test", "c@b.test"), body: bytes("x") })
        const [c] = yield* q.claim()
        if (c === undefined) return assert.fail("no claim")
        const now = c.arrivedAt
        const res = yield* q.complete(c, [
          { _tag: "Delivered", index: 0, reply: ok },
          { _tag: "Deferred", index: 1, reply: tempFail, retryAt: now + 60_000 }
        ])
        assert.isFalse(res.finished)
        const m = yield* q.show(id)
        assert.strictEqual(m.recipients[0]?.state, "delivered")
        assert.strictEqual(m.recipients[1]?.state, "deferred")
        assert.strictEqual(m.recipients[1]?.attempts, 1)
        assert.strictEqual(m.recipients[1]?.nextAttemptAt, now + 60_000)
        assert.deepStrictEqual(m.recipients[1]?.lastReply, tempFail)
        assert.deepStrictEqual(m.recipients[0]?.lastReply, ok)
        yield* TestClock.adjust(59_999)
        assert.strictEqual((yield* q.claim()).length, 0)
        yield* TestClock.adjust(1)
        const [again] = yield* q.claim()
        assert.deepStrictEqual(again?.recipients.map((r) => [r.index, r.attempts]), [[1, 1]])
      })))

    it.effect("a permanent failure is final; the message goes when all are final", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test", "c@c.test"), body: bytes("x") })
        const claims = yield* q.claim()
        const cb = claims.find((c) => c.domain === "b.test")
        const cc = claims.find((c) => c.domain === "c.test")
        if (cb === undefined || cc === undefined) return assert.fail("missing claims")
        const r1 = yield* q.complete(cb, [{ _tag: "Failed", index: 0, reply: permFail }])
        assert.isFalse(r1.finished)
        assert.strictEqual((yield* q.show(id)).recipients[0]?.state, "failed")
        const r2 = yield* q.complete(cc, [{ _tag: "Delivered", index: 1, reply: ok }])
        assert.isTrue(r2.finished)
        assert.strictEqual((yield* Effect.flip(q.show(id)))._tag, "MessageNotFound")
      })))

    it.effect("counts attempts across retries", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("x") })
        for (let i = 1; i <= 3; i++) {
          const [c] = yield* q.claim()
          if (c === undefined) return assert.fail(`no claim ${i}`)
          assert.strictEqual(c.recipients[0]?.attempts, i - 1)
          const now = c.expiresAt - 300_000
          yield* q.complete(c, [{ _tag: "Deferred", index: 0, reply: tempFail, retryAt: now + 1000 }])
          yield* TestClock.adjust(1000)
        }
        assert.strictEqual((yield* q.show(id)).recipients[0]?.attempts, 3)
      })))

    it.effect("ignores a completion with a foreign token", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("x") })
        const [c] = yield* q.claim()
        if (c === undefined) return assert.fail("no claim")
        const res = yield* q.complete({ ...c, token: "f".repeat(32) }, [{ _tag: "Delivered", index: 0, reply: ok }])
        assert.deepStrictEqual(res.applied, [])
        assert.deepStrictEqual(res.stale, [0])
        assert.strictEqual((yield* q.show(id)).recipients[0]?.state, "inflight")
      })))

    it.effect("a second completion of the same recipient is stale", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test", "c@b.test"), body: bytes("x") })
        const [c] = yield* q.claim()
        if (c === undefined) return assert.fail("no claim")
        yield* q.complete(c, [{ _tag: "Failed", index: 0, reply: permFail }])
        const res = yield* q.complete(c, [{ _tag: "Delivered", index: 0, reply: ok }])
        assert.deepStrictEqual(res.stale, [0])
        assert.strictEqual((yield* q.show(id)).recipients[0]?.state, "failed")
      })))

    it.effect("ignores outcomes for recipients outside the claim", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test", "c@c.test"), body: bytes("x") })
        const [c] = yield* q.claim({ domain: "b.test" })
        if (c === undefined) return assert.fail("no claim")
        const res = yield* q.complete(c, [{ _tag: "Delivered", index: 1, reply: ok }, { _tag: "Delivered", index: 7, reply: ok }])
        assert.deepStrictEqual([...res.stale].sort(), [1, 7])
        assert.strictEqual((yield* q.show(id)).recipients[1]?.state, "pending")
      })))

    it.effect("stores a multi-line reply exactly", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test", "c@b.test"), body: bytes("x") })
        const [c] = yield* q.claim()
        if (c === undefined) return assert.fail("no claim")
        const reply = SmtpReply.make(452, "4.2.2", ["Mailbox full", "", "see https://b.test/help?x=1&y=[2]"])
        yield* q.complete(c, [{ _tag: "Deferred", index: 0, reply, retryAt: c.arrivedAt + 5 }])
        assert.deepStrictEqual((yield* q.show(id)).recipients[0]?.lastReply, reply)
      })))
  })
}
