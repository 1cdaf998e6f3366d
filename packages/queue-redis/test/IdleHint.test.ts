/**
 * The idle hint of a single-shard store: after a claim that took less than it asked for, the claim that follows
 * and the wait after it ask Redis nothing, and work queued by another process still wakes the wait at once.
 */
import { Envelope, Address } from "@cartero/smtp"
import { Fixtures } from "@cartero/queue/testing"
import { Ids, type QueueStore } from "@cartero/queue"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { Redis } from "ioredis"
import { RedisQueueStore } from "../src/index.ts"
import { deleteKeys, redisUrl, uniquePrefix } from "./helpers.ts"

const claimOptions = { leaseMillis: 60_000, limit: 4 }

/** A client whose commands are counted. */
const countedClient = Effect.acquireRelease(
  Effect.sync(() => {
    const client = new Redis(redisUrl, { lazyConnect: true, enableAutoPipelining: true, maxRetriesPerRequest: 1 })
    const counter = { commands: 0 }
    const send = client.sendCommand.bind(client)
    client.sendCommand = (...args: Parameters<typeof send>) => {
      counter.commands++
      return send(...args)
    }
    return { client, counter }
  }),
  ({ client }) => Effect.promise(() => client.quit())
)

const enqueue = (store: QueueStore.Service, to: string) =>
  store.enqueue(
    { id: Ids.messageId(Date.now()), envelope: Envelope.make(Address.make("a", "a.test"), [{ address: Address.make(to, "b.test") }]), traceId: "t" },
    Stream.make(Fixtures.bytes("hello\r\n"))
  )

describe("RedisQueueStore: idle hint", () => {
  it.live("the claim after an incomplete one and the wait after it need no round trip; other processes still wake it", () =>
    Effect.gen(function*() {
      const prefix = uniquePrefix()
      yield* Effect.addFinalizer(() => Effect.promise(() => deleteKeys(prefix)))
      const { client, counter } = yield* countedClient
      yield* Effect.promise(() => client.connect())
      const worker = yield* RedisQueueStore.make({ client, prefix })
      // Another process, with its own connection.
      const other = yield* RedisQueueStore.make({ url: redisUrl, prefix })
      yield* worker.awaitWork(1)

      yield* enqueue(other, "first")
      // The notification of that enqueue may still be on its way: wait until the worker has seen it.
      yield* worker.awaitWork(2000)
      assert.strictEqual((yield* worker.claim(claimOptions)).length, 1)
      const before = counter.commands
      assert.strictEqual((yield* worker.claim(claimOptions)).length, 0)
      const waiting = yield* Effect.forkChild(worker.awaitWork(10_000))
      yield* Effect.sleep("50 millis")
      assert.strictEqual(counter.commands, before, "no command for the empty claim and the wait")

      const started = Date.now()
      yield* enqueue(other, "second")
      yield* Fiber.join(waiting)
      assert.isBelow(Date.now() - started, 2000, "woken by the notification")
      const [claim] = yield* worker.claim(claimOptions)
      assert.strictEqual(claim?.envelope.recipients[0]?.address.localPart, "second")
    }).pipe(Effect.scoped))

  it.live("a change made by this process itself is never hidden by the hint", () =>
    Effect.gen(function*() {
      const prefix = uniquePrefix()
      yield* Effect.addFinalizer(() => Effect.promise(() => deleteKeys(prefix)))
      const store = yield* RedisQueueStore.make({ url: redisUrl, prefix })
      yield* store.awaitWork(1)
      yield* enqueue(store, "first")
      assert.strictEqual((yield* store.claim(claimOptions)).length, 1)
      // Queued here, claimed at once: no waiting for its own notification.
      yield* enqueue(store, "second")
      assert.strictEqual((yield* store.claim(claimOptions)).length, 1)
    }).pipe(Effect.scoped))
})
