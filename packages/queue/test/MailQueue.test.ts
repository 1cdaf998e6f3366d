import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { MailQueue, QueueError, RetryPolicy } from "../src/index.ts"
import { Fixtures } from "../src/testing.ts"

describe("MailQueue", () => {
  it.effect("layerStoreMemory keeps finished messages for the retention time", () =>
    Effect.gen(function*() {
      const q = yield* MailQueue.MailQueue
      const id = yield* q.enqueue({ envelope: Fixtures.envelope("a@a.test", "b@b.test"), body: Fixtures.bytes("x") })
      const [c] = yield* q.claim()
      if (c === undefined) return assert.fail("no claim")
      const res = yield* q.complete(c, [{ _tag: "Delivered", index: 0, reply: Fixtures.ok }])
      assert.isTrue(res.finished)
      assert.strictEqual((yield* q.show(id)).recipients[0]?.state, "delivered")
      yield* TestClock.adjust(60_000)
      yield* q.expireLeases
      assert.strictEqual((yield* Effect.flip(q.show(id)))._tag, "MessageNotFound")
    }).pipe(Effect.provide(MailQueue.MailQueue.layerStoreMemory({ retainFinishedMillis: 60_000 }))))

  it.effect("uses a custom retry policy", () =>
    Effect.gen(function*() {
      const q = yield* MailQueue.MailQueue
      const id = yield* q.enqueue({ envelope: Fixtures.envelope("a@a.test", "b@b.test"), body: Fixtures.bytes("x") })
      const [c] = yield* q.claim()
      if (c === undefined) return assert.fail("no claim")
      yield* q.complete(c, [{ _tag: "Deferred", index: 0, reply: Fixtures.tempFail }])
      assert.strictEqual((yield* q.show(id)).recipients[0]?.nextAttemptAt, 10_000)
    }).pipe(Effect.provide(MailQueue.MailQueue.layerStoreMemory({ retryPolicy: RetryPolicy.make(["10 seconds"], "1 hour", 0) }))))

  it("the temp-fail reply is 451 4.3.0", () => {
    assert.strictEqual(QueueError.tempFailReply.code, 451)
    assert.strictEqual(QueueError.tempFailReply.enhanced, "4.3.0")
  })

  it.effect("an envelope without recipients is a defect, not a stored message", () =>
    Effect.gen(function*() {
      const q = yield* MailQueue.MailQueue
      const exit = yield* Effect.exit(q.enqueue({ envelope: Fixtures.envelope("a@a.test"), body: Fixtures.bytes("x") }))
      assert.strictEqual(exit._tag, "Failure")
      assert.strictEqual((yield* q.stats).messages, 0)
    }).pipe(Effect.provide(MailQueue.MailQueue.layerStoreMemory())))
})
