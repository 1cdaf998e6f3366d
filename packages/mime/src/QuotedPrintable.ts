/**
 * Quoted-printable (RFC 2045 §6.7): an incremental, tolerant decoder and an encoder for text bodies.
 *
 * Decoding accepts lowercase hex, soft breaks with trailing whitespace (`=  \r\n`) and bare-LF soft breaks, and
 * keeps a stray `=` literally (reporting it), which is what every major client does.
 *
 * @since 0.1.0
 */
import { Output } from "./internal/output.ts"

const hex = new Int8Array(256).fill(-1)
for (let i = 0; i < 10; i++) hex[48 + i] = i
for (let i = 0; i < 6; i++) {
  hex[65 + i] = 10 + i
  hex[97 + i] = 10 + i
}

/** Incremental quoted-printable decoder. */
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
  private carry: Uint8Array = new Uint8Array(0)
  private longBlank = false
  /** Number of `=` that were neither an escape nor a soft break. */
  invalid = 0

  write(input: Uint8Array, start = 0, end = input.length): void {
    let src = input
    if (this.carry.length > 0) {
      src = new Uint8Array(this.carry.length + (end - start))
      src.set(this.carry)
      src.set(input.subarray(start, end), this.carry.length)
      start = 0
      end = src.length
      this.carry = new Uint8Array(0)
    }
    this.decode(src, start, end, false)
  }

  private decode(src: Uint8Array, start: number, end: number, final: boolean): void {
    const out = new Uint8Array(end - start)
    let n = 0
    let i = start
    while (i < end) {
      const c = src[i] ?? 0
      if (c === 32 || c === 9) {
        // Trailing whitespace was added in transport and must be dropped (RFC 2045 §6.7 rule 3). A run of 1000 or
        // more blanks is kept as is: deciding would mean buffering it, and the answer must not depend on chunking.
        let j = i + 1
        while (j < end && (src[j] === 32 || src[j] === 9)) j++
        const long = this.longBlank || j - i >= 1000
        if (!long) {
          if (!final && (j >= end || (src[j] === 13 && j + 1 >= end))) {
            this.carry = src.slice(i, end)
            break
          }
          if (j >= end || src[j] === 10 || (src[j] === 13 && src[j + 1] === 10)) {
            i = j
            continue
          }
        }
        while (i < j) out[n++] = src[i++] ?? 32
        this.longBlank = long && j >= end
        continue
      }
      this.longBlank = false
      if (c !== 61) {
        out[n++] = c
        i++
        continue
      }
      // An escape needs two more bytes; a soft break may carry trailing whitespace before the line break.
      if (!final && end - i < 3) {
        this.carry = src.slice(i, end)
        break
      }
      const h = hex[src[i + 1] ?? 0] ?? -1
      const l = hex[src[i + 2] ?? 0] ?? -1
      if (h >= 0 && l >= 0) {
        out[n++] = (h << 4) | l
        i += 3
        continue
      }
      let j = i + 1
      while (j < end && (src[j] === 32 || src[j] === 9)) j++
      if (j - i <= 80) {
        if (j >= end && !final) {
          this.carry = src.slice(i, end)
          break
        }
        if (src[j] === 10) {
          i = j + 1
          continue
        }
        if (src[j] === 13) {
          if (j + 1 >= end && !final) {
            this.carry = src.slice(i, end)
            break
          }
          i = src[j + 1] === 10 ? j + 2 : j + 1
          continue
        }
        if (j >= end) {
          i = end
          continue
        }
      }
      this.invalid++
      out[n++] = 61
      i++
    }
    if (n > 0) {
      this.output.put(out.subarray(0, n))
    }
  }

  end(): Uint8Array {
    if (this.carry.length > 0) {
      const rest = this.carry
      this.carry = new Uint8Array(0)
      this.decode(rest, 0, rest.length, true)
    }
    return this.output.collected()
  }
}

/** Decodes a whole quoted-printable value. */
export const decode = (input: Uint8Array | string): Uint8Array => {
  const decoder = new Decoder()
  decoder.write(typeof input === "string" ? Buffer.from(input, "latin1") : input)
  return decoder.end()
}

const HEX = "0123456789ABCDEF"

/**
 * Encodes bytes as quoted-printable with CRLF line breaks and lines of at most 76 characters. Line breaks in the
 * input (LF or CRLF) become hard CRLF breaks, and the output ends with one only if the input did; trailing whitespace and a leading `.` or `From ` are escaped so the
 * text survives SMTP and mbox hops unchanged.
 */
export const encode = (bytes: Uint8Array): string => {
  const lines: Array<string> = []
  let line = ""
  const flush = (soft: boolean) => {
    lines.push(soft ? line + "=" : line)
    line = ""
  }
  const put = (token: string) => {
    if (line.length + token.length > 75) flush(true)
    line += token
  }
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] ?? 0
    if (c === 13 && bytes[i + 1] === 10) continue
    if (c === 10) {
      flush(false)
      continue
    }
    const next = bytes[i + 1]
    const atLineEnd = next === undefined || next === 10 || (next === 13 && bytes[i + 2] === 10)
    const printable = (c >= 33 && c <= 126 && c !== 61) || ((c === 32 || c === 9) && !atLineEnd)
    const leadingHazard = line.length === 0 && (c === 46 || (c === 70 && bytes[i + 1] === 114 && bytes[i + 2] === 111 && bytes[i + 3] === 109 && bytes[i + 4] === 32))
    put(printable && !leadingHazard ? String.fromCharCode(c) : "=" + HEX[c >> 4] + HEX[c & 15])
  }
  // The result ends with a line break exactly when the input did, so decoding gives the input back.
  const last = bytes[bytes.length - 1]
  if (last === 10) return lines.join("\r\n") + "\r\n"
  lines.push(line)
  return lines.join("\r\n")
}
