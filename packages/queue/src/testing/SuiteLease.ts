/**
 * Conformance cases: leases (renewal, expiry, late completion, crash between claim and complete) and concurrency.
 *
 * @since 0.1.0
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { MailQueue } from "../MailQueue.ts"
import { bytes, envelope, ok, type StoreLayer, tempFail, withQueue } from "./Fixtures.ts"

/** Registers the cases. */
export const cases = (store: StoreLayer): void => {
  const run = withQueue(store)
  describe("leases", () => {
    it.effect("an expired lease returns its recipients to pending, claimable with a new token", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("x") })
        const [c1] = yield* q.claim({ leaseMillis: 1000 })
        yield* TestClock.adjust(999)
        assert.strictEqual((yield* q.claim({ leaseMillis: 1000 })).length, 0)
        yield* TestClock.adjust(1)
        const [c2] = yield* q.claim({ leaseMillis: 1000 })
        assert.isDefined(c2)
        assert.notStrictEqual(c2?.token, c1?.token)
        assert.strictEqual((yield* q.show(id)).recipients[0]?.attempts, 0)
      })))

    it.effect("expireLeases reports and frees dead leases", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test", "c@b.test", "d@d.test"), body: bytes("x") })
        yield* q.claim({ leaseMillis: 500 })
        assert.strictEqual(yield* q.expireLeases, 0)
        yield* TestClock.adjust(500)
        assert.strictEqual(yield* q.expireLeases, 3)
        const m = yield* q.show(id)
        assert.deepStrictEqual(m.recipients.map((r) => r.state), ["pending", "pending", "pending"])
        assert.strictEqual((yield* q.stats).recipients.inflight, 0)
      })))

    it.effect("renewal keeps the work from expiring", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("x") })
        const [c] = yield* q.claim({ leaseMillis: 1000 })
        if (c === undefined) return assert.fail("no claim")
        yield* TestClock.adjust(800)
        const until = yield* q.renew(c, 1000)
        assert.strictEqual(until, c.expiresAt + 800)
        yield* TestClock.adjust(900)
        assert.strictEqual((yield* q.claim()).length, 0)
        yield* TestClock.adjust(100)
        assert.strictEqual((yield* q.claim()).length, 1)
      })))

    it.effect("renewing a lost lease says so", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("x") })
        const [c] = yield* q.claim({ leaseMillis: 1000 })
        if (c === undefined) return assert.fail("no claim")
        yield* TestClock.adjust(1000)
        assert.strictEqual(yield* q.renew(c, 1000), undefined)
        assert.strictEqual(yield* q.renew({ ...c, token: "0".repeat(32) }, 1000), undefined)
      })))

    it.effect("a late completion counts when nobody has claimed the work since", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test", "c@b.test"), body: bytes("x") })
        const [c] = yield* q.claim({ leaseMillis: 1000 })
        if (c === undefined) return assert.fail("no claim")
        yield* TestClock.adjust(5000)
        yield* q.expireLeases
        const res = yield* q.complete(c, [{ _tag: "Delivered", index: 0, reply: ok }])
        assert.deepStrictEqual(res.applied, [0])
        assert.strictEqual((yield* q.show(id)).recipients[0]?.state, "delivered")
        const [again] = yield* q.claim()
        assert.deepStrictEqual(again?.recipients.map((r) => r.index), [1])
      })))

    it.effect("after a takeover only the new holder's completion counts", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("x") })
        const [old] = yield* q.claim({ leaseMillis: 1000 })
        yield* TestClock.adjust(1000)
        const [fresh] = yield* q.claim({ leaseMillis: 1000 })
        if (old === undefined || fresh === undefined) return assert.fail("no claim")
        const late = yield* q.complete(old, [{ _tag: "Deferred", index: 0, reply: tempFail, retryAt: 10 ** 12 }])
        assert.deepStrictEqual(late.stale, [0])
        assert.strictEqual((yield* q.show(id)).recipients[0]?.state, "inflight")
        const res = yield* q.complete(fresh, [{ _tag: "Delivered", index: 0, reply: ok }])
        assert.isTrue(res.finished)
      })))

    it.effect("a worker that dies between claim and complete loses nothing", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const ids = yield* Effect.forEach([1, 2, 3], (i) => q.enqueue({ envelope: envelope("a@a.test", `u${i}@b.test`), body: bytes(`${i}`) }))
        // The "worker": claims, then is interrupted before it completes anything.
        const claimed = yield* Deferred.make<void>()
        const worker = yield* Effect.forkChild(
          q.claim({ leaseMillis: 30_000, limit: 10 }).pipe(Effect.andThen(Deferred.succeed(claimed, undefined)), Effect.andThen(Effect.never))
        )
        yield* Deferred.await(claimed)
        yield* Fiber.interrupt(worker)
        assert.strictEqual((yield* q.stats).recipients.inflight, 3)
        yield* TestClock.adjust(30_000)
        const claims = yield* q.claim({ limit: 10 })
        assert.deepStrictEqual(claims.map((c) => c.messageId).sort(), [...ids].sort())
        for (const c of claims) yield* q.complete(c, c.recipients.map((r) => ({ _tag: "Delivered" as const, index: r.index, reply: ok })))
        assert.strictEqual((yield* q.stats).messages, 0)
      })))
  })

  describe("concurrency", () => {
    it.effect("many concurrent claimers never share a recipient", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        yield* Effect.forEach(Array.from({ length: 40 }, (_, i) => i), (i) =>
          q.enqueue({ envelope: envelope("a@a.test", `u${i}@b.test`, `v${i}@c.test`), body: bytes(`${i}`) }), { concurrency: 8 })
        const seen: Array<string> = []
        yield* Effect.forEach(Array.from({ length: 16 }, (_, i) => i), () =>
          Effect.gen(function*() {
            while (true) {
              const claims = yield* q.claim({ limit: 3 })
              if (claims.length === 0) return
              for (const c of claims) {
                for (const r of c.recipients) seen.push(`${c.messageId}/${r.index}`)
                yield* q.complete(c, c.recipients.map((r) => ({ _tag: "Delivered" as const, index: r.index, reply: ok })))
              }
            }
          }), { concurrency: "unbounded" })
        assert.strictEqual(seen.length, 80)
        assert.strictEqual(new Set(seen).size, 80)
        assert.strictEqual((yield* q.stats).messages, 0)
      })))

    it.effect("enqueue and claim interleave without losing work", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        let done = 0
        const producer = Effect.forEach(Array.from({ length: 30 }, (_, i) => i), (i) =>
          q.enqueue({ envelope: envelope("a@a.test", `u${i}@b.test`), body: bytes(`${i}`) }), { concurrency: 3 })
        const consumer = Effect.gen(function*() {
          while (done < 30) {
            const claims = yield* q.claim({ limit: 4 })
            for (const c of claims) {
              yield* q.complete(c, c.recipients.map((r) => ({ _tag: "Delivered" as const, index: r.index, reply: ok })))
              done += c.recipients.length
            }
            if (claims.length === 0) yield* Effect.yieldNow
          }
        })
        yield* Effect.all([producer, consumer, consumer], { concurrency: "unbounded" })
        assert.strictEqual(done, 30)
        assert.strictEqual((yield* q.stats).messages, 0)
      })))
  })
}
