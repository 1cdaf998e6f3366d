/**
 * Conformance cases: operator actions (hold, release, retry now, delete), listing with filters and pages, stats,
 * and waiting for work.
 *
 * @since 0.1.0
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { MailQueue } from "../MailQueue.ts"
import { adjustUntilDone, bytes, envelope, ok, type StoreLayer, tempFail, withQueue } from "./Fixtures.ts"

/** Registers the cases. */
export const cases = (store: StoreLayer): void => {
  const run = withQueue(store)
  describe("hold, release, retry, delete", () => {
    it.effect("a held message is not claimed until released", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test", "c@c.test"), body: bytes("x") })
        assert.strictEqual(yield* q.hold(id), 2)
        const m = yield* q.show(id)
        assert.isTrue(m.held)
        assert.deepStrictEqual(m.recipients.map((r) => r.state), ["held", "held"])
        assert.strictEqual((yield* q.claim()).length, 0)
        assert.strictEqual(yield* q.release(id), 2)
        assert.isFalse((yield* q.show(id)).held)
        assert.strictEqual((yield* q.claim({ limit: 10 })).length, 2)
      })))

    it.effect("holding an in-flight message holds its recipients when they would wait again", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test", "c@b.test"), body: bytes("x") })
        const [c] = yield* q.claim()
        if (c === undefined) return assert.fail("no claim")
        assert.strictEqual(yield* q.hold(id), 0)
        yield* q.complete(c, [
          { _tag: "Deferred", index: 0, reply: tempFail, retryAt: c.arrivedAt + 1 },
          { _tag: "Delivered", index: 1, reply: ok }
        ])
        assert.deepStrictEqual((yield* q.show(id)).recipients.map((r) => r.state), ["held", "delivered"])
        yield* TestClock.adjust(10)
        assert.strictEqual((yield* q.claim()).length, 0)
        assert.strictEqual(yield* q.release(id), 1)
        assert.strictEqual((yield* q.show(id)).recipients[0]?.state, "deferred")
        assert.strictEqual((yield* q.claim()).length, 1)
      })))

    it.effect("a held message whose lease expires stays held", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("x") })
        yield* q.claim({ leaseMillis: 100 })
        yield* q.hold(id)
        yield* TestClock.adjust(100)
        yield* q.expireLeases
        assert.strictEqual((yield* q.show(id)).recipients[0]?.state, "held")
        assert.strictEqual((yield* q.claim()).length, 0)
      })))

    it.effect("retryNow makes deferred recipients due at once, but does not release held ones", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("x") })
        const [c] = yield* q.claim()
        if (c === undefined) return assert.fail("no claim")
        yield* q.complete(c, [{ _tag: "Deferred", index: 0, reply: tempFail, retryAt: c.arrivedAt + 3_600_000 }])
        assert.strictEqual((yield* q.claim()).length, 0)
        assert.strictEqual(yield* q.retryNow(id), 1)
        const [again] = yield* q.claim()
        if (again === undefined) return assert.fail("not due after retryNow")
        yield* q.complete(again, [{ _tag: "Deferred", index: 0, reply: tempFail, retryAt: c.arrivedAt + 3_600_000 }])
        yield* q.hold(id)
        assert.strictEqual(yield* q.retryNow(id), 0)
        assert.strictEqual((yield* q.claim()).length, 0)
      })))

    it.effect("delete removes message and body", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("x") })
        const other = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("y") })
        yield* q.delete(id)
        assert.strictEqual((yield* Effect.flip(q.show(id)))._tag, "MessageNotFound")
        assert.strictEqual((yield* Effect.flip(Stream.runDrain(q.body(id))))._tag, "MessageNotFound")
        assert.deepStrictEqual((yield* q.list()).items.map((s) => s.id), [other])
        assert.deepStrictEqual((yield* q.claim({ limit: 10 })).map((c) => c.messageId), [other])
        assert.strictEqual((yield* q.stats).messages, 1)
      })))

    it.effect("delete while in flight: the worker's completion and renewal find nothing", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("x") })
        const [c] = yield* q.claim({ leaseMillis: 1000 })
        if (c === undefined) return assert.fail("no claim")
        yield* q.delete(id)
        assert.strictEqual((yield* Effect.flip(q.complete(c, [{ _tag: "Delivered", index: 0, reply: ok }])))._tag, "MessageNotFound")
        assert.strictEqual(yield* q.renew(c), undefined)
        yield* TestClock.adjust(2000)
        assert.strictEqual(yield* q.expireLeases, 0)
        assert.strictEqual((yield* q.claim()).length, 0)
        assert.strictEqual((yield* q.stats).recipients.inflight, 0)
      })))

    it.effect("operations on unknown or malformed ids fail with MessageNotFound", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("x") })
        for (const id of ["0000000000000000000000", "", "../etc/passwd", "*", "a}:{b", "x\r\nDEL *", "ABC", "x".repeat(65)]) {
          assert.strictEqual((yield* Effect.flip(q.show(id)))._tag, "MessageNotFound")
          assert.strictEqual((yield* Effect.flip(q.delete(id)))._tag, "MessageNotFound")
          assert.strictEqual((yield* Effect.flip(q.hold(id)))._tag, "MessageNotFound")
          assert.strictEqual((yield* Effect.flip(q.release(id)))._tag, "MessageNotFound")
          assert.strictEqual((yield* Effect.flip(q.retryNow(id)))._tag, "MessageNotFound")
        }
        assert.strictEqual((yield* q.stats).messages, 1)
      })))
  })

  describe("list and stats", () => {
    it.effect("pages through messages oldest first without gaps or repeats", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const ids: Array<string> = []
        for (let i = 0; i < 25; i++) {
          ids.push(yield* q.enqueue({ envelope: envelope("a@a.test", `u${i}@b.test`), body: bytes(`${i}`) }))
          if (i % 3 === 0) yield* TestClock.adjust(1)
        }
        const seen: Array<string> = []
        let cursor: string | undefined
        let pages = 0
        do {
          const page = yield* q.list({}, { limit: 10, cursor })
          seen.push(...page.items.map((s) => s.id))
          cursor = page.next
          pages++
        } while (cursor !== undefined && pages < 10)
        assert.strictEqual(pages, 3)
        assert.strictEqual(seen.length, 25)
        assert.strictEqual(new Set(seen).size, 25)
        const arrivals = ids.map((id) => id)
        assert.deepStrictEqual([...seen].sort(), [...arrivals].sort())
      })))

    it.effect("lists in arrival order with summaries", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const a = yield* q.enqueue({ envelope: envelope("first@a.test", "b@b.test", "c@c.test"), body: bytes("12345") })
        yield* TestClock.adjust(5)
        const b = yield* q.enqueue({ envelope: envelope(null, "b@b.test"), body: bytes("x") })
        yield* q.claim({ domain: "c.test" })
        const page = yield* q.list()
        assert.deepStrictEqual(page.items.map((s) => s.id), [a, b])
        assert.strictEqual(page.next, undefined)
        const first = page.items[0]
        assert.strictEqual(first?.sender, "<first@a.test>")
        assert.strictEqual(first?.recipients, 2)
        assert.strictEqual(first?.bodySize, 5)
        assert.deepStrictEqual(first?.states, { pending: 1, inflight: 1 })
        assert.strictEqual(page.items[1]?.sender, "<>")
      })))

    it.effect("filters by state, domain, sender and age", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const a = yield* q.enqueue({ envelope: envelope("alice@a.test", "x@b.test"), body: bytes("x") })
        yield* TestClock.adjust(1000)
        const b = yield* q.enqueue({ envelope: envelope("bob@a.test", "y@c.test"), body: bytes("x") })
        yield* TestClock.adjust(1)
        const c = yield* q.enqueue({ envelope: envelope(null, "z@c.test"), body: bytes("x") })
        yield* q.hold(c)
        const ids = (f: Parameters<MailQueue["Service"]["list"]>[0]) => Effect.map(q.list(f), (p) => p.items.map((s) => s.id))
        assert.deepStrictEqual(yield* ids({ state: "held" }), [c])
        assert.deepStrictEqual(yield* ids({ state: "pending" }), [a, b])
        assert.deepStrictEqual(yield* ids({ domain: "C.test" }), [b, c])
        assert.deepStrictEqual(yield* ids({ sender: "ALICE" }), [a])
        assert.deepStrictEqual(yield* ids({ sender: "<>" }), [c])
        assert.deepStrictEqual(yield* ids({ arrivedBefore: 500 }), [a])
        assert.deepStrictEqual(yield* ids({ state: "pending", domain: "c.test" }), [b])
        assert.deepStrictEqual(yield* ids({ state: "failed" }), [])
      })))

    it.effect("filtered pages are full and chain correctly", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const wanted: Array<string> = []
        for (let i = 0; i < 30; i++) {
          const id = yield* q.enqueue({ envelope: envelope("a@a.test", i % 3 === 0 ? `u${i}@keep.test` : `u${i}@skip.test`), body: bytes("x") })
          if (i % 3 === 0) wanted.push(id)
        }
        const p1 = yield* q.list({ domain: "keep.test" }, { limit: 4 })
        const p2 = yield* q.list({ domain: "keep.test" }, { limit: 4, cursor: p1.next })
        const p3 = yield* q.list({ domain: "keep.test" }, { limit: 4, cursor: p2.next })
        assert.deepStrictEqual([...p1.items, ...p2.items, ...p3.items].map((s) => s.id).sort(), [...wanted].sort())
        assert.strictEqual(p3.items.length, 2)
        assert.strictEqual(p3.next, undefined)
      })))

    it.effect("stats count recipients per state and the oldest message", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const empty = yield* q.stats
        assert.strictEqual(empty.messages, 0)
        assert.strictEqual(empty.oldestArrivedAt, undefined)
        assert.deepStrictEqual(empty.recipients, { pending: 0, inflight: 0, deferred: 0, held: 0, delivered: 0, failed: 0 })
        yield* TestClock.adjust(100)
        const a = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test", "c@c.test", "d@d.test"), body: bytes("x") })
        yield* TestClock.adjust(100)
        const b = yield* q.enqueue({ envelope: envelope("a@a.test", "e@e.test"), body: bytes("x") })
        yield* q.hold(b)
        const [cb] = yield* q.claim({ domain: "b.test" })
        const [cc] = yield* q.claim({ domain: "c.test" })
        if (cb === undefined || cc === undefined) return assert.fail("no claims")
        yield* q.complete(cb, [{ _tag: "Delivered", index: 0, reply: ok }])
        yield* q.complete(cc, [{ _tag: "Deferred", index: 1, reply: tempFail, retryAt: 10 ** 9 }])
        yield* q.claim({ domain: "d.test" })
        const s = yield* q.stats
        assert.strictEqual(s.messages, 2)
        assert.strictEqual(s.oldestArrivedAt, (yield* q.show(a)).arrivedAt)
        assert.deepStrictEqual(s.recipients, { pending: 0, inflight: 1, deferred: 1, held: 1, delivered: 1, failed: 0 })
      })))
  })

  describe("waiting for work", () => {
    it.effect("awaitWork wakes on enqueue without waiting for the timeout", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const waiter = yield* Effect.forkChild(q.claimNext({ maxWaitMillis: 3_600_000 }))
        yield* Effect.yieldNow
        yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("x") })
        const claims = yield* Fiber.join(waiter)
        assert.strictEqual(claims.length, 1)
      })))

    it.effect("claimNext wakes when deferred work comes due", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("x") })
        const [c] = yield* q.claim()
        if (c === undefined) return assert.fail("no claim")
        yield* q.complete(c, [{ _tag: "Deferred", index: 0, reply: tempFail, retryAt: c.arrivedAt + 60_000 }])
        const waiter = yield* Effect.forkChild(q.claimNext({ maxWaitMillis: 3_600_000 }))
        const claims = yield* adjustUntilDone(waiter, 60_000, 5)
        assert.strictEqual(claims.length, 1)
      })))

    it.effect("claimNext gives up after its maximum wait", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const waiter = yield* Effect.forkChild(q.claimNext({ maxWaitMillis: 5_000 }))
        assert.deepStrictEqual(yield* adjustUntilDone(waiter, 1_000), [])
      })))
  })
}
