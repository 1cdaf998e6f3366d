/**
 * Random bytes for ids, from a pool refilled 4 KiB at a time with the OS CSPRNG: one `randomFillSync` per few
 * hundred ids instead of a `randomBytes` call and a buffer per id (both showed up in the per-message profiles,
 * docs/benchmarks.md). Bytes are never handed out twice, so lease tokens stay unguessable.
 *
 * @since 0.1.0
 */
import { randomFillSync } from "node:crypto"

const pool = Buffer.alloc(4096)
let poolAt = pool.length

/**
 * `bytes` fresh random bytes (at most 4096). The result is a view of the pool: read it before the next call, which
 * may refill the pool in place.
 */
export const take = (bytes: number): Buffer => {
  if (bytes > pool.length) throw new RangeError(`RandomPool.take: at most ${pool.length} bytes`)
  if (poolAt + bytes > pool.length) {
    randomFillSync(pool)
    poolAt = 0
  }
  const at = poolAt
  poolAt += bytes
  return pool.subarray(at, at + bytes)
}
