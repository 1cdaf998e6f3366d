/**
 * Queue ids and lease tokens.
 *
 * Message ids sort by creation time (base-36 milliseconds, fixed width) followed by random base-36 digits, so they
 * are unique across processes and hosts without coordination, safe in any store key, and readable in logs.
 * Lease tokens are 128 random bits: a worker can only complete work it really claimed.
 *
 * @since 0.1.0
 */
import { RandomPool } from "@cartero/hotpath"

const base36 = "0123456789abcdefghijklmnopqrstuvwxyz"

const randomBase36 = (bytes: number): string => {
  let out = ""
  for (const byte of RandomPool.take(bytes)) out += base36[byte % 36]
  return out
}

const randomHex = (bytes: number): string => RandomPool.take(bytes).toString("hex")

/** A new message id for a message arriving at `now` (epoch ms). */
export const messageId = (now: number): string => `${Math.max(0, Math.floor(now)).toString(36).padStart(9, "0")}${randomBase36(12)}`

/** A new lease token. */
export const leaseToken = (): string => randomHex(16)

/** A new trace id (W3C trace-context size) for messages that arrive without one. */
export const traceId = (): string => randomHex(16)
