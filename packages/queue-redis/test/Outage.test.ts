/**
 * Redis crashes (SIGKILL) while the queue is accepting and a worker is delivering, then comes back on the same data
 * directory with the persistence docs/operations.md prescribes (`appendonly yes`, `appendfsync everysec`):
 * messages accepted before the crash are still queued and get delivered; during the outage `enqueue` fails with
 * `QueueUnavailable` (which the queue store plugin answers with 451 4.3.0); the worker's
 * claims fail, it backs off, and it resumes on its own once Redis is back.
 */
import { MailQueue } from "@cartero/queue"
import { ChildProcess, Fixtures } from "@cartero/queue/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { RedisQueueStore } from "../src/index.ts"
import * as PrivateRedis from "./fixtures/PrivateRedis.ts"

/** A delivery worker that survives store outages: exponential back-off from 20 ms to 500 ms, reset on success. */
const worker = (q: MailQueue.Service, delivered: Set<string>, outage: { failures: number }) =>
  Effect.gen(function*() {
    let backoff = 20
    while (true) {
      const step = Effect.gen(function*() {
        const claims = yield* q.claimNext({ limit: 8, leaseMillis: 10_000, maxWaitMillis: 200 })
        for (const c of claims) {
          yield* q.complete(c, c.recipients.map((r) => ({ _tag: "Delivered" as const, index: r.index, reply: Fixtures.ok })))
          delivered.add(c.messageId)
        }
      })
      const result = yield* Effect.result(step)
      if (result._tag === "Success") backoff = 20
      else {
        outage.failures++
        yield* ChildProcess.sleepReal(backoff)
        backoff = Math.min(backoff * 2, 500)
      }
    }
  })

describe("RedisQueueStore: Redis crash and restart (appendonly everysec)", () => {
  it.live.skipIf(!PrivateRedis.available)("accepted mail survives, enqueue is unavailable meanwhile, the worker resumes", () =>
    Effect.gen(function*() {
      const redis = yield* PrivateRedis.make
      yield* redis.start
      const store = RedisQueueStore.RedisQueueStore.layer({ url: redis.url, prefix: "cartero-outage:", commandTimeoutMillis: 1000 })
      yield* Effect.gen(function*() {
        const q = yield* MailQueue.MailQueue
        const send = (i: number) => q.enqueue({ envelope: Fixtures.envelope("a@a.test", `r${i}@b.test`), body: Fixtures.bytes(`m${i}`) })
        const before: Array<string> = []
        for (let i = 0; i < 10; i++) before.push(yield* send(i))

        yield* redis.stop("SIGKILL")
        const failure = yield* Effect.flip(send(99))
        assert.strictEqual(failure._tag, "QueueUnavailable")

        // The worker starts during the outage: its claims fail and it backs off.
        const delivered = new Set<string>()
        const outage = { failures: 0 }
        const fiber = yield* Effect.forkChild(worker(q, delivered, outage))
        yield* ChildProcess.sleepReal(400)
        assert.isAbove(outage.failures, 0, "the worker saw the outage")
        assert.isBelow(outage.failures, 20, "and backed off instead of spinning")

        yield* redis.start
        // ioredis reconnects with its own back-off; enqueue must work again within a few seconds.
        let after: string | undefined
        for (let i = 0; i < 60 && after === undefined; i++) {
          const r = yield* Effect.result(send(100))
          if (r._tag === "Success") after = r.success
          else yield* ChildProcess.sleepReal(100)
        }
        assert.isDefined(after, "enqueue works after Redis is back")

        const all = after === undefined ? before : [...before, after]
        for (let i = 0; i < 100 && !all.every((id) => delivered.has(id)); i++) yield* ChildProcess.sleepReal(50)
        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(before.filter((id) => !delivered.has(id)), [], "messages accepted before the crash were delivered")
        assert.isTrue(after !== undefined && delivered.has(after))
        assert.strictEqual((yield* q.stats).messages, 0)
      }).pipe(Effect.provide(MailQueue.MailQueue.layer.pipe(Layer.provide(store))))
    }).pipe(Effect.scoped), 30_000)
})
