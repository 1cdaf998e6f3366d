import { randomBytes } from "node:crypto"
import { Effect, Layer } from "effect"
import { Redis } from "ioredis"
import { PolicyStore } from "../src/index.ts"

export const redisUrl = process.env["CARTERO_REDIS_URL"] ?? "redis://127.0.0.1:6379"

/** A prefix no other run uses. */
export const uniquePrefix = (): string => `cartero-test:policy:${randomBytes(6).toString("hex")}:`

/** Deletes every key under `prefix` (never anything else); how many. */
export const deleteKeys = async (prefix: string): Promise<number> => {
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await r.connect()
  try {
    let deleted = 0
    let cursor = "0"
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500)
      cursor = next
      if (keys.length > 0) deleted += await r.del(...keys)
    } while (cursor !== "0")
    return deleted
  } finally {
    await r.quit()
  }
}

/** Keys under `prefix`, sorted. */
export const keysUnder = async (prefix: string): Promise<Array<string>> => {
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await r.connect()
  try {
    return (await r.keys(`${prefix}*`)).sort()
  } finally {
    await r.quit()
  }
}

/**
 * A Redis policy store under `prefix` (fresh when not given); the keys under it are deleted when the layer closes.
 */
export const redisLayer = (prefix = uniquePrefix()): Layer.Layer<PolicyStore.PolicyStore, unknown> =>
  Layer.unwrap(Effect.gen(function*() {
    yield* Effect.addFinalizer(() => Effect.promise(() => deleteKeys(prefix)))
    return PolicyStore.PolicyStore.layerRedis({ url: redisUrl, prefix })
  }))
