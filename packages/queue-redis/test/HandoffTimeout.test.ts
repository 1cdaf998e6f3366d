/**
 * The duplicate the issue found: a Redis enqueue that completes after the client gave up on it (a stalled Redis, the
 * 5 s command timeout) used to leave the message queued while the SMTP client was told `451` — and its retry queued
 * it again. The queue phase's store protocol names the queue id before writing and runs the store's `undo` when the
 * write fails: the delete goes down the same connection behind the stalled enqueue, so Redis applies both, in order.
 *
 * A private Redis is paused for writes (`CLIENT PAUSE … WRITE`) so the enqueue stalls past the store's command
 * timeout and then completes; nothing of the message may be left.
 */
import { Pipeline } from "@cartero/core"
import { MailQueue } from "@cartero/queue"
import { ChildProcess } from "@cartero/queue/testing"
import { QueueHandoff } from "@cartero/plugin-queue"
import { SmtpReply } from "@cartero/smtp"
import { TestSession } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, References } from "effect"
import { Redis } from "ioredis"
import { RedisQueueStore } from "../src/index.ts"
import * as PrivateRedis from "./fixtures/PrivateRedis.ts"

describe("RedisQueueStore behind the queue store plugin: a write that completes after the deadline", () => {
  it.live.skipIf(!PrivateRedis.available)("is undone: the client gets 451 and nothing stays queued for its retry to duplicate", () =>
    Effect.gen(function*() {
      const redis = yield* PrivateRedis.make
      yield* redis.start
      // The new server answers once before the store connects: the store's connect (its ready check) is bound by
      // the same short command timeout, which a just-started Redis on a loaded machine could miss.
      const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
      yield* Effect.promise(() => admin.connect().then(() => admin.ping()))
      const store = RedisQueueStore.RedisQueueStore.layer({ url: redis.url, prefix: "cartero-late:", commandTimeoutMillis: 300 })
      const app = Pipeline.Pipeline.layer([QueueHandoff.plugin]).pipe(Layer.provideMerge(MailQueue.MailQueue.layer.pipe(Layer.provideMerge(store))))
      yield* Effect.gen(function*() {
        const pipeline = yield* Pipeline.Pipeline
        const queue = yield* MailQueue.MailQueue
        const txn = TestSession.transaction(TestSession.connection(), ["bob@remote.test"])
        const message = TestSession.message("Received: test\r\n", "Subject: late\r\n\r\nbody\r\n")

        // One message first, so that Redis holds the enqueue script (a stalled EVALSHA of an unknown script would
        // fail with NOSCRIPT later instead of writing, and prove nothing).
        const warm = yield* pipeline.queue(txn, message)
        assert.strictEqual(warm._tag, "Accept")
        const [first] = (yield* queue.list()).items
        if (first !== undefined) yield* queue.delete(first.id)

        // Writes stall for 1.2 s: the enqueue (and the undo behind it) wait in Redis past the 300 ms timeout.
        yield* Effect.promise(() => admin.call("CLIENT", "PAUSE", "1200", "WRITE"))
        const verdict = yield* pipeline.queue(txn, message)
        assert.strictEqual(verdict._tag === "Defer" ? SmtpReply.toString(verdict.reply) : verdict._tag, "451 4.3.0 Queue temporarily unavailable, try again later")

        // After the pause Redis applies the enqueue, then the delete.
        yield* ChildProcess.sleepReal(1800)
        const listed = yield* queue.list()
        assert.deepStrictEqual(listed.items, [], "the late enqueue was undone")
        assert.strictEqual((yield* queue.stats).messages, 0)
        yield* Effect.promise(() => admin.quit())

        // The client's retry, with Redis healthy: stored once.
        const again = yield* pipeline.queue(txn, message)
        assert.strictEqual(again._tag, "Accept")
        assert.strictEqual((yield* queue.list()).items.length, 1)
      }).pipe(Effect.provide(app), Effect.provideService(References.MinimumLogLevel, "None"))
    }).pipe(Effect.scoped))
})
