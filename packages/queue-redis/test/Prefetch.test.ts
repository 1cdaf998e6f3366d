/**
 * Bodies that come with their claim (`Scripts.claim`): the worker's body read right after a claim needs no round
 * trip for a message up to 128 KiB; larger ones are still read in chunks, and a message deleted here after the
 * claim has no body any more.
 */
import { MailQueue, QueueStore } from "@cartero/queue"
import { Fixtures } from "@cartero/queue/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { Redis } from "ioredis"
import { Keys, RedisQueueStore } from "../src/index.ts"
import { deleteKeys, redisUrl, uniquePrefix } from "./helpers.ts"

const prefix = uniquePrefix()
const store = Layer.effect(
  QueueStore.QueueStore,
  Effect.gen(function*() {
    yield* Effect.addFinalizer(() => Effect.promise(() => deleteKeys(prefix)))
    return yield* RedisQueueStore.make({ url: redisUrl, prefix })
  })
)

const read = (stream: Stream.Stream<Uint8Array, unknown>) =>
  Effect.map(Stream.runCollect(stream), (chunks) => Buffer.concat(chunks))

/** A raw client, for looking behind the store's back. */
const raw = Effect.acquireRelease(
  Effect.promise(async () => {
    const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
    await r.connect()
    return r
  }),
  (r) => Effect.promise(() => r.quit())
)

describe("RedisQueueStore: bodies with their claim", () => {
  it.live("a small body comes with the claim (read without Redis), a large one is read in chunks, bytes intact", () =>
    Fixtures.withQueue(store)(Effect.gen(function*() {
      const q = yield* MailQueue.MailQueue
      const small = Fixtures.binaryBody(4096)
      const large = Fixtures.binaryBody(300 * 1024)
      const smallId = yield* q.enqueue({ envelope: Fixtures.envelope("a@a.test", "b@b.test"), body: small })
      const largeId = yield* q.enqueue({ envelope: Fixtures.envelope("a@a.test", "c@c.test"), body: large })
      const claims = yield* q.claim({ limit: 10 })
      assert.sameMembers(claims.map((c) => c.messageId), [smallId, largeId])
      // Gone from Redis, still read: the bytes came with the claim.
      const redis = yield* raw
      yield* Effect.promise(() => redis.del(Keys.shard(prefix, 0).body(smallId)))
      assert.isTrue((yield* read(q.body(smallId))).equals(Buffer.from(small)))
      assert.isTrue((yield* read(q.body(largeId))).equals(Buffer.from(large)))
    }).pipe(Effect.scoped)))

  it.live("a message deleted after its claim has no body", () =>
    Fixtures.withQueue(store)(Effect.gen(function*() {
      const q = yield* MailQueue.MailQueue
      const id = yield* q.enqueue({ envelope: Fixtures.envelope("a@a.test", "b@b.test"), body: Fixtures.bytes("x") })
      assert.strictEqual((yield* q.claim()).length, 1)
      yield* q.delete(id)
      assert.strictEqual((yield* Effect.flip(Stream.runDrain(q.body(id))))._tag, "MessageNotFound")
    })))
})
