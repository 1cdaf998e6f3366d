/**
 * Mail loops, counted the way RFC 5321 §6.3 asks: every MTA that handles a message adds a `Received:` field, so a
 * message that carries too many has gone round in circles. An MTA "SHOULD use a hop-count limit of at least 100";
 * Postfix's `hopcount_limit` is the same idea (default 50).
 *
 * {@link count} scans only the header block of the raw message, line by line, without parsing the fields: it runs
 * for every message received and every message delivered.
 *
 * @since 0.1.0
 */

/** The default limit (RFC 5321 §6.3: at least 100). */
export const defaultLimit = 100

const received = [0x72, 0x65, 0x63, 0x65, 0x69, 0x76, 0x65, 0x64, 0x3a] // "received:"

const startsReceived = (bytes: Uint8Array, at: number): boolean => {
  if (at + received.length > bytes.length) return false
  for (let i = 0; i < received.length; i++) {
    const b = bytes[at + i] ?? 0
    // ASCII letters fold to lower case by setting 0x20; ":" is compared as is.
    if ((i === received.length - 1 ? b : b | 0x20) !== received[i]) return false
  }
  return true
}

/** The number of `Received:` fields in the header block at the start of `message` (CRLF or LF line ends). */
export const count = (message: Uint8Array): number => {
  let n = 0
  let at = 0
  while (at < message.length) {
    const first = message[at]
    // An empty line ends the header block.
    if (first === 0x0d || first === 0x0a) return n
    if (startsReceived(message, at)) n++
    const lf = message.indexOf(0x0a, at)
    if (lf < 0) return n
    at = lf + 1
  }
  return n
}

/** Whether a message with `hops` `Received:` fields, plus the one this hop adds, exceeds `limit`. */
export const exceeds = (hops: number, limit: number): boolean => hops + 1 > limit
