/**
 * Streaming DATA encoder (RFC 5321 §4.5.2): doubles a `.` at the start of every line, and guarantees that the
 * bytes on the wire can only end DATA where we mean them to.
 *
 * The state (are we at the start of a line? did the previous chunk end with a CR?) carries across chunks, so a
 * `\r\n` / `.` pair split between two chunks is stuffed exactly like one inside a chunk, and so is a `.` at the
 * very start of the message.
 *
 * Line endings: messages reach the client as CRLF already (the server normalises at intake). A bare LF or bare CR
 * would still be a smuggling vector at a receiver that accepts them as line ends (CVE-2023-51764 class), so the
 * encoder never emits one: a bare LF or a bare CR becomes CRLF. {@link DotStuffer.end} adds a CRLF when the message
 * does not end with one, then the terminating `.CRLF`.
 *
 * @since 0.1.0
 */
import { isAscii } from "node:buffer"

const CR = 0x0d
const LF = 0x0a
const DOT = 0x2e

/** The encoder state for one message. Not reusable across messages. */
export interface DotStuffer {
  /** Encodes the next chunk. The result may be shorter than the input by a trailing CR held back. */
  readonly push: (chunk: Uint8Array) => Uint8Array
  /** Flushes what is held back, completes the last line and appends the terminating `.\r\n`. */
  readonly end: () => Uint8Array
  /** Octets emitted so far (including stuffing). */
  readonly written: () => number
}

/** A fresh encoder, at the start of a line. */
export const make = (): DotStuffer => {
  let lineStart = true
  let pendingCR = false
  let written = 0

  const push = (chunk: Uint8Array): Uint8Array => {
    const clean = cleanLength(chunk, lineStart, pendingCR)
    if (clean >= 0) {
      // Nothing to change: hand the input back (a view, no copy), holding back a trailing CR. Queued messages are
      // CRLF already and rarely have a line starting with a dot, so this is the usual case; the byte loop below
      // cost ≈ 5 ns per octet on every message (docs/benchmarks.md, "Round 3").
      if (clean < chunk.length) pendingCR = true
      if (clean > 0) lineStart = chunk[clean - 1] === LF
      written += clean
      return clean === chunk.length ? chunk : chunk.subarray(0, clean)
    }
    // Worst case every byte is a bare LF (→ CRLF): twice the input, plus a held-back CR from the last chunk.
    const out = Buffer.allocUnsafe(chunk.length * 2 + 2)
    let o = 0
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] ?? 0
      if (pendingCR) {
        pendingCR = false
        out[o++] = CR
        out[o++] = LF
        lineStart = true
        if (b === LF) continue
      }
      if (b === CR) {
        // Held until we know whether an LF follows (possibly in the next chunk).
        pendingCR = true
      } else if (b === LF) {
        out[o++] = CR
        out[o++] = LF
        lineStart = true
      } else {
        if (lineStart && b === DOT) out[o++] = DOT
        out[o++] = b
        lineStart = false
      }
    }
    written += o
    return out.subarray(0, o)
  }

  const end = (): Uint8Array => {
    const parts: Array<number> = []
    if (pendingCR) {
      pendingCR = false
      lineStart = true
      parts.push(CR, LF)
    }
    if (!lineStart) parts.push(CR, LF)
    parts.push(DOT, CR, LF)
    lineStart = true
    written += parts.length
    return Uint8Array.from(parts)
  }

  return { push, end, written: () => written }
}

/**
 * How many octets of `chunk` go out unchanged when encoding it needs no change (every CR followed by its LF, every
 * LF after a CR, no line starting with a dot); a CR ending the chunk is left out (held back). -1 otherwise. Found
 * with `indexOf` (native) rather than a loop over every octet.
 */
const cleanLength = (input: Uint8Array, lineStart: boolean, pendingCR: boolean): number => {
  const n = input.length
  if (n === 0 || pendingCR || (lineStart && input[0] === DOT)) return -1
  // A Buffer view: its indexOf searches natively, faster than the typed array's.
  const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  let lfs = 0
  for (let lf = chunk.indexOf(LF); lf >= 0; lf = chunk.indexOf(LF, lf + 1)) {
    if (lf === 0 || chunk[lf - 1] !== CR || (lf + 1 < n && chunk[lf + 1] === DOT)) return -1
    lfs++
  }
  let crs = 0
  for (let cr = chunk.indexOf(CR); cr >= 0; cr = chunk.indexOf(CR, cr + 1)) crs++
  const trailingCR = chunk[n - 1] === CR
  // Every LF has its own CR before it; any further CR than a trailing one is bare.
  if (crs !== lfs + (trailingCR ? 1 : 0)) return -1
  return trailingCR ? n - 1 : n
}

/** Encodes a whole message at once (`push` + `end`), for tests and small messages. */
export const stuff = (message: Uint8Array): Uint8Array => {
  const s = make()
  return Buffer.concat([s.push(message), s.end()])
}

/**
 * The inverse, as a receiver sees it: removes the terminating `.CRLF` and one leading dot from every line.
 * Only for tests and diagnostics; expects well-formed input.
 */
export const unstuff = (data: Uint8Array): Uint8Array => {
  const text = Buffer.from(data).toString("latin1")
  const body = text.endsWith("\r\n.\r\n") ? text.slice(0, -3) : text === ".\r\n" ? "" : text
  const lines = body.split("\r\n").map((l) => (l.startsWith(".") ? l.slice(1) : l))
  return Buffer.from(lines.join("\r\n"), "latin1")
}

/** Whether `message` contains an octet above 127 (needs 8BITMIME or SMTPUTF8 to travel unencoded). */
export const hasEightBit = (message: Uint8Array): boolean => !isAscii(message)
