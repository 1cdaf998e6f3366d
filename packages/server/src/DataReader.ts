/**
 * Reads the DATA stream of one message as smtp-server hands it over (already dot-unstuffed, the final `.` line
 * removed) and checks it while it streams:
 *
 * - size: once the message exceeds the limit, nothing more is kept (memory stays bounded by the limit) and the
 *   result is `TooBig` (`552 5.3.4`);
 * - line endings: a bare LF or a bare CR anywhere (across chunk boundaries too) gives `BareLf` / `BareCr`, so
 *   nothing that a next hop could read as an end of data (`<LF>.<LF>`, `<CR>.<CR>`…) is ever stored or relayed
 *   (docs/decisions/bare-lf-cr-policy.md);
 * - line length: a line over 998 octets without its CRLF (RFC 5322 §2.1.1) gives `LineTooLong`
 *   (docs/decisions/line-length-998.md).
 *
 * After the first problem the reader stops keeping chunks but goes on counting, so the client can still be answered
 * once it sends the final dot. Chunks are kept as a list and joined once at the end: the only moment the message
 * exists twice is that single `Buffer.concat` (then the chunk list is dropped). Copying also releases the 64 KiB
 * socket buffers the chunks are slices of.
 *
 * Scanning uses `indexOf` for CR and LF, so a large message costs a few native scans, not a JavaScript loop per
 * byte.
 *
 * @since 0.1.0
 */

/** Longest body line, in octets without CRLF (RFC 5322 §2.1.1). */
export const maxBodyLine = 998

/** The outcome of reading a message. */
export type Result =
  | { readonly _tag: "Ok"; readonly raw: Buffer }
  | { readonly _tag: "TooBig"; readonly size: number }
  | { readonly _tag: "BareLf" }
  | { readonly _tag: "BareCr" }
  | { readonly _tag: "LineTooLong" }

type Problem = "BareLf" | "BareCr" | "LineTooLong"

const CR = 13
const LF = 10

/** A streaming reader for one message. */
export class DataReader {
  private chunks: Array<Buffer> = []
  private size = 0
  private problem: Problem | undefined
  /** The previous chunk ended in CR: the next byte must be LF. */
  private pendingCr = false
  /** Octets of the current line so far, a trailing CR included. */
  private lineLength = 0

  constructor(private readonly maxSize: number) {}

  /** Octets received so far. */
  get received(): number {
    return this.size
  }

  /** Feeds the next chunk. */
  push(chunk: Buffer): void {
    this.size += chunk.length
    if (this.problem === undefined) this.scan(chunk)
    if (this.problem !== undefined || this.size > this.maxSize) {
      this.chunks = []
      return
    }
    this.chunks.push(chunk)
  }

  /** Ends the message: the verdict on it, and the bytes when it passed every check. */
  finish(): Result {
    if (this.size > this.maxSize) return { _tag: "TooBig", size: this.size }
    if (this.problem === undefined && this.pendingCr) this.problem = "BareCr"
    if (this.problem !== undefined) return { _tag: this.problem }
    const raw = Buffer.concat(this.chunks, this.size)
    this.chunks = []
    return { _tag: "Ok", raw }
  }

  private fail(problem: Problem): void {
    this.problem = problem
  }

  private scan(chunk: Buffer): void {
    // A CR that ended the previous chunk must be followed by the LF that starts this one.
    if (this.pendingCr && chunk.length > 0 && chunk[0] !== LF) return this.fail("BareCr")
    let pos = 0
    for (;;) {
      const lf = chunk.indexOf(LF, pos)
      const end = lf < 0 ? chunk.length : lf
      // Within [pos, end) a CR is only allowed as the very last byte (before the LF, or pending at chunk end).
      const cr = chunk.indexOf(CR, pos)
      if (cr >= 0 && cr < end - 1) return this.fail("BareCr")
      this.lineLength += end - pos
      if (lf < 0) {
        this.pendingCr = end > pos && chunk[end - 1] === CR
        if (this.lineLength - (this.pendingCr ? 1 : 0) > maxBodyLine) return this.fail("LineTooLong")
        return
      }
      const crBefore = lf > 0 ? chunk[lf - 1] === CR : this.pendingCr
      if (!crBefore) return this.fail("BareLf")
      this.pendingCr = false
      if (this.lineLength - 1 > maxBodyLine) return this.fail("LineTooLong")
      this.lineLength = 0
      pos = lf + 1
    }
  }
}
