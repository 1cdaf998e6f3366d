/**
 * Transaction ids: the id of one mail transaction, which becomes the queue id of the message and appears in the
 * `Received:` header and in logs.
 *
 * ULID-like: 10 characters of millisecond time then 16 characters of randomness, in Crockford's base32 (no `I L O
 * U`, no punctuation). So ids are unique without coordination between processes, sort by creation time (string
 * order = time order, to the millisecond), and are safe as file names on every file system (Maildir, spool files).
 *
 * @since 0.1.0
 */
import { RandomPool } from "@cartero/hotpath"

const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

/** Length of an id. */
export const length = 26

const pattern = /^[0-9A-HJKMNP-TV-Z]{26}$/

/** Whether `s` looks like a transaction id. */
export const isTransactionId = (s: string): boolean => pattern.test(s)

const encodeTime = (millis: number): string => {
  let out = ""
  let t = millis
  for (let i = 0; i < 10; i++) {
    out = alphabet[t % 32] + out
    t = Math.floor(t / 32)
  }
  return out
}

/** A new id for the time `now` (milliseconds since the epoch; default the current time). */
export const make = (now: number = Date.now()): string => {
  const bytes = RandomPool.take(10)
  let random = ""
  // 80 random bits → 16 base32 characters, 5 bits each.
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      bits -= 5
      random += alphabet[(buffer >> bits) & 31]
    }
    buffer &= (1 << bits) - 1
  }
  return encodeTime(now) + random
}

/** The creation time (milliseconds since the epoch) encoded in an id. */
export const timestamp = (id: string): number => {
  let t = 0
  for (const c of id.slice(0, 10)) t = t * 32 + alphabet.indexOf(c)
  return t
}
