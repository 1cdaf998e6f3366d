/**
 * Deleting every key under one prefix: a test's, a benchmark's, or a queue an operator retires. Only the keys that
 * start with the prefix are touched (SCAN + UNLINK in pages of 1 000), never `FLUSHDB`, so other queues, tests and
 * benchmarks sharing the Redis keep theirs.
 *
 * ```ts
 * await Purge.prefix("redis://127.0.0.1:6379/0", "cartero-test:1a2b3c:")
 * ```
 *
 * @since 0.1.0
 */
import { Redis } from "ioredis"

/** Deletes the keys under `prefix` on the Redis at `url`; resolves to how many were deleted. */
export const prefix = async (url: string, keyPrefix: string): Promise<number> => {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  r.on("error", () => {})
  await r.connect()
  try {
    let n = 0
    let cursor = "0"
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 1000)
      cursor = next
      if (keys.length > 0) n += await r.unlink(...keys)
    } while (cursor !== "0")
    return n
  } finally {
    await r.quit()
  }
}
