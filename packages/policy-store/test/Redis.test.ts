import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { PolicyStore, PolicyStoreError } from "../src/index.ts"
import { deleteKeys, keysUnder, redisUrl, uniquePrefix } from "./helpers.ts"

const window = { limit: 10, windowMillis: 60_000 }

describe("PolicyStore on Redis", () => {
  it.live("two stores on one Redis (two processes' worth) share counters: together they never pass the limit", () => {
    const prefix = uniquePrefix()
    return Effect.gen(function*() {
      const a = yield* Layer.build(PolicyStore.PolicyStore.layerRedis({ url: redisUrl, prefix }))
      const b = yield* Layer.build(PolicyStore.PolicyStore.layerRedis({ url: redisUrl, prefix }))
      const ca = Context.get(a, PolicyStore.PolicyStore).counters("rate-limit")
      const cb = Context.get(b, PolicyStore.PolicyStore).counters("rate-limit")
      // 20 concurrent hits, alternating between the two connections: exactly 10 allowed.
      const outcomes = yield* Effect.forEach(
        Array.from({ length: 20 }, (_, i) => i),
        (i) => (i % 2 === 0 ? ca : cb).hit("203.0.113.7", window),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(outcomes.filter((o) => o.allowed).length, 10)
      const keys = yield* Effect.promise(() => keysUnder(prefix))
      assert.deepStrictEqual(keys, [`${prefix}rate-limit:c:203.0.113.7`])
    }).pipe(Effect.scoped, Effect.ensuring(Effect.promise(() => deleteKeys(prefix))))
  })

  it.live("keys carry a TTL: counters two windows, records their own", () => {
    const prefix = uniquePrefix()
    return Effect.gen(function*() {
      const store = Context.get(yield* Layer.build(PolicyStore.PolicyStore.layerRedis({ url: redisUrl, prefix })), PolicyStore.PolicyStore)
      yield* store.counters("rl").hit("k", window)
      yield* store.records("gl").set("k", "v", 5_000)
      const { Redis } = yield* Effect.promise(() => import("ioredis"))
      const r = new Redis(redisUrl)
      const [counterTtl, recordTtl] = yield* Effect.promise(() => Promise.all([r.pttl(`${prefix}rl:c:k`), r.pttl(`${prefix}gl:r:k`)]))
      yield* Effect.promise(() => r.quit())
      assert.isAbove(counterTtl, 110_000)
      assert.isAtMost(counterTtl, 120_000)
      assert.isAbove(recordTtl, 0)
      assert.isAtMost(recordTtl, 5_000)
    }).pipe(Effect.scoped, Effect.ensuring(Effect.promise(() => deleteKeys(prefix))))
  })

  it.live("an unreachable Redis fails the layer with a PolicyStoreError naming the cause", () =>
    Effect.gen(function*() {
      const error = yield* Layer.build(PolicyStore.PolicyStore.layerRedis({ url: "redis://127.0.0.1:1", prefix: uniquePrefix() })).pipe(
        Effect.scoped,
        Effect.flip
      )
      assert.instanceOf(error, PolicyStoreError)
      assert.match(error.message, /policy store \(redis\) connect failed: .*ECONNREFUSED/)
    }))
})
