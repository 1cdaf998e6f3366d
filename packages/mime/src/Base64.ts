/**
 * Base64 (RFC 2045 §6.8) for message bodies: a tolerant, incremental decoder and a line-wrapping encoder.
 *
 * The decoder skips whitespace and characters outside the alphabet (reporting them), accepts missing padding and
 * stops at the first `=` of a quantum, so broken real-world attachments still decode to what the sender meant. It
 * is incremental because a 50 MiB attachment arrives in chunks and must never be buffered in its encoded form.
 *
 * @since 0.1.0
 */
import { Output } from "./internal/output.ts"

const table = new Int8Array(256).fill(-1)
for (let i = 0; i < 64; i++) table["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i

// Weights for a branch-free validating count: one per alphabet byte, INVALID per byte that is neither alphabet,
// whitespace nor `=`. A sum then carries both counts (bodies stay far below 2^32 bytes).
const INVALID = 2 ** 32
const weight = new Float64Array(256).fill(INVALID)
for (let i = 0; i < 256; i++) if ((table[i] ?? -1) >= 0) weight[i] = 1
for (const c of [9, 10, 13, 32, 61]) weight[c] = 0

const count = (input: Uint8Array, start: number, end: number): number => {
  let sum = 0
  for (let i = start; i < end; i++) sum += weight[input[i] ?? 0] ?? 0
  return sum
}

/** Incremental base64 decoder. Feed chunks with {@link Decoder.write}, collect with {@link Decoder.end}. */
export class Decoder {
  private readonly output: Output
  /** With `onData`, decoded chunks are handed over as they come and not kept (`end` then returns nothing). */
  constructor(onData?: (chunk: Uint8Array) => void) {
    this.output = new Output(onData)
  }

  /** Bytes decoded so far. */
  get size(): number {
    return this.output.size
  }
  private acc = 0
  private bits = 0
  private padded = false
  /** Number of bytes outside the alphabet (whitespace excluded). */
  invalid = 0

  write(input: Uint8Array, start = 0, end = input.length): void {
    if (this.bits === 0 && !this.padded && end - start >= 1024) start = this.fast(input, start, end)
    if (start < end) this.slow(input, start, end)
  }

  /**
   * Decodes the whole quanta of a segment with Node's native decoder, after one cheap validating pass (Node's
   * decoder skips junk like ours, but stops at the first `=`, so padding is only accepted at the very end).
   * Returns where the slow path must continue.
   */
  private fast(input: Uint8Array, start: number, end: number): number {
    const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
    // Node also decodes the URL-safe `-` and `_`, which MIME base64 does not know: leave such input to the slow path.
    const dash = buf.indexOf(45, start)
    const under = buf.indexOf(95, start)
    if ((dash >= 0 && dash < end) || (under >= 0 && under < end)) return start
    // `=` may only end the data: with anything valid after it, take the slow path.
    let stop = end
    const eq = buf.indexOf(61, start)
    if (eq >= 0 && eq < end) {
      if (count(input, eq, end) % INVALID !== 0) return start
      stop = eq
    }
    const sum = count(input, start, stop)
    const valid = sum % INVALID
    let cut = stop
    if (eq < 0 || eq >= end) {
      // Leave the last partial quantum (and what follows it) to the incremental path.
      let rest = valid % 4
      while (rest > 0 && cut > start) {
        cut--
        if ((table[input[cut] ?? 0] ?? -1) >= 0) rest--
      }
    }
    const out = Buffer.from(buf.toString("latin1", start, cut), "base64")
    if (out.length > 0) {
      this.output.put(out)
    }
    this.invalid += Math.floor((sum - count(input, cut, stop)) / INVALID)
    if (eq >= 0 && eq < end) {
      this.padded = true
      return end
    }
    return cut
  }

  private slow(input: Uint8Array, start: number, end: number): void {
    // Output is at most 3/4 of the input: one allocation per chunk, exact for a whole in-memory body.
    const out = new Uint8Array(Math.ceil(((end - start) * 3) / 4) + 2)
    let n = 0
    let acc = this.acc
    let bits = this.bits
    for (let i = start; i < end; i++) {
      const c = input[i] ?? 0
      const v = table[c] ?? -1
      if (v >= 0) {
        if (this.padded) {
          // Data after padding: a concatenation of separately encoded blobs. Keep decoding.
          this.padded = false
          acc = 0
          bits = 0
        }
        acc = ((acc << 6) | v) & 0xffffff
        bits += 6
        if (bits >= 8) {
          bits -= 8
          out[n++] = (acc >> bits) & 0xff
        }
      } else if (c === 61) {
        this.padded = true
        bits = 0
        acc = 0
      } else if (c !== 10 && c !== 13 && c !== 32 && c !== 9) {
        this.invalid++
      }
    }
    this.acc = acc
    this.bits = bits
    if (n > 0) {
      this.output.put(n === out.length ? out : out.subarray(0, n))
    }
  }

  /** Whether the input ended in the middle of a quantum with a lone 6-bit group (which carries no full byte). */
  get truncated(): boolean {
    return this.bits === 6
  }

  end(): Uint8Array {
    return this.output.collected()
  }
}

/** Concatenates chunks without copying when there is only one. */
export { concat } from "./internal/output.ts"

/** Decodes a whole base64 value. */
export const decode = (input: Uint8Array | string): Uint8Array => {
  const decoder = new Decoder()
  decoder.write(typeof input === "string" ? Buffer.from(input, "latin1") : input)
  return decoder.end()
}

/** Encodes bytes as base64 in lines of at most 76 characters separated by CRLF (RFC 2045 §6.8). */
export const encode = (bytes: Uint8Array): string => {
  const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")
  const lines: Array<string> = []
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76))
  return lines.join("\r\n")
}
