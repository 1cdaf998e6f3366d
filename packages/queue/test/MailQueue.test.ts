import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { MailQueue } from "../src/index.ts"
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

  it.effect("a caller may name a message before storing it (newId), and the store keeps that id", () =>
    Effect.gen(function*() {
      const q = yield* MailQueue.MailQueue
      const id = yield* q.newId
      assert.strictEqual(yield* q.enqueue({ id, envelope: Fixtures.envelope("a@a.test", "b@b.test"), body: Fixtures.bytes("x") }), id)
      assert.strictEqual((yield* q.show(id)).id, id)
      assert.notStrictEqual(yield* q.newId, id)
    }).pipe(Effect.provide(MailQueue.MailQueue.layerStoreMemory())))

  it.effect("an envelope without recipients is a defect, not a stored message", () =>
    Effect.gen(function*() {
      const q = yield* MailQueue.MailQueue
      const exit = yield* Effect.exit(q.enqueue({ envelope: Fixtures.envelope("a@a.test"), body: Fixtures.bytes("x") }))
      assert.strictEqual(exit._tag, "Failure")
      assert.strictEqual((yield* q.stats).messages, 0)
    }).pipe(Effect.provide(MailQueue.MailQueue.layerStoreMemory())))
})
