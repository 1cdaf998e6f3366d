/**
 * Queue ids and lease tokens.
 *
 * Message ids sort by creation time (base-36 milliseconds, fixed width) followed by random base-36 digits, so they
 * are unique across processes and hosts without coordination, safe in any store key, and readable in logs.
 * Lease tokens are 128 random bits: a worker can only complete work it really claimed.
 *
 * @since 0.1.0
 */
import { randomFillSync } from "node:crypto"

/**
 * Random bytes from a pool refilled 4 KiB at a time: one `randomFillSync` per ~150 ids instead of two
 * `randomBytes` calls (and two buffers) per enqueue, which showed up in the enqueue profile. Still the OS CSPRNG,
 * so lease tokens stay unguessable; bytes are never reused.
 */
const pool = Buffer.alloc(4096)
let poolAt = pool.length

const take = (bytes: number): number => {
  if (poolAt + bytes > pool.length) {
    randomFillSync(pool)
    poolAt = 0
  }
  const at = poolAt
  poolAt += bytes
  return at
}

const base36 = "0123456789abcdefghijklmnopqrstuvwxyz"

const randomBase36 = (bytes: number): string => {
  const at = take(bytes)
  let out = ""
  for (let i = at; i < at + bytes; i++) out += base36[(pool[i] ?? 0) % 36]
  return out
}

const randomHex = (bytes: number): string => {
  const at = take(bytes)
  return pool.toString("hex", at, at + bytes)
}

/** A new message id for a message arriving at `now` (epoch ms). */
export const messageId = (now: number): string => `${Math.max(0, Math.floor(now)).toString(36).padStart(9, "0")}${randomBase36(12)}`

/** A new lease token. */
export const leaseToken = (): string => randomHex(16)

/** A new trace id (W3C trace-context size) for messages that arrive without one. */
export const traceId = (): string => randomHex(16)
