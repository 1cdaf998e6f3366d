/**
 * Queue ids and lease tokens.
 *
 * Message ids sort by creation time (base-36 milliseconds, fixed width) followed by random base-36 digits, so they
 * are unique across processes and hosts without coordination, safe in any store key, and readable in logs.
 * Lease tokens are 128 random bits: a worker can only complete work it really claimed.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"

const randomBase36 = (bytes: number): string => {
  let out = ""
  for (const b of randomBytes(bytes)) out += (b % 36).toString(36)
  return out
}

/** A new message id for a message arriving at `now` (epoch ms). */
export const messageId = (now: number): string => `${Math.max(0, Math.floor(now)).toString(36).padStart(9, "0")}${randomBase36(12)}`

/** A new lease token. */
export const leaseToken = (): string => randomBytes(16).toString("hex")

/** A new trace id (W3C trace-context size) for messages that arrive without one. */
export const traceId = (): string => randomBytes(16).toString("hex")
