import { randomBytes } from "node:crypto"
import { QueueStore } from "@cartero/queue"
import { Effect, Layer } from "effect"
import { Redis } from "ioredis"
import { RedisQueueStore } from "../src/index.ts"

export const redisUrl = process.env["CARTERO_REDIS_URL"] ?? "redis://127.0.0.1:6379"

/** A prefix no other run uses. */
export const uniquePrefix = (): string => `cartero-test:${randomBytes(6).toString("hex")}:`

/** Deletes every key under `prefix` (never anything else). */
export const deleteKeys = (prefix: string, url = redisUrl): Promise<number> => {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  r.on("error", () => {})
  return r.connect().then(async () => {
    let n = 0
    let cursor = "0"
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
      cursor = next
      if (keys.length > 0) n += await r.unlink(...keys)
    } while (cursor !== "0")
    await r.quit()
    return n
  })
}

/** A Redis store under a fresh prefix whose keys are deleted when the layer closes. */
export const testLayer = (options: Omit<RedisQueueStore.Options, "prefix" | "url"> = {}): Layer.Layer<QueueStore.QueueStore, unknown> =>
  Layer.effect(
    QueueStore.QueueStore,
    Effect.gen(function*() {
      const prefix = uniquePrefix()
      yield* Effect.addFinalizer(() => Effect.promise(() => deleteKeys(prefix)))
      return yield* RedisQueueStore.make({ ...options, url: redisUrl, prefix })
    })
  )
