import { randomBytes } from "node:crypto"
import { QueueStore } from "@cartero/queue"
import { Effect, Layer } from "effect"
import { Purge, RedisQueueStore } from "../src/index.ts"

export const redisUrl = process.env["CARTERO_REDIS_URL"] ?? "redis://127.0.0.1:6379"

/** A prefix no other run uses. */
export const uniquePrefix = (): string => `cartero-test:${randomBytes(6).toString("hex")}:`

/** Deletes every key under `prefix` (never anything else). */
export const deleteKeys = (prefix: string, url = redisUrl): Promise<number> => Purge.prefix(url, prefix)

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
