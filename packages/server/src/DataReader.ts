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
 * Memory per message is bounded by the spill threshold (docs/decisions/spill-to-disk.md): once the message grows
 * past it, the chunks so far and every later one go to a file in the spill directory (0600, created exclusively),
 * and only the header block stays in memory. {@link DataReader.push} then says when the caller should stop reading
 * the socket until the file caught up ({@link DataReader.drained}), so a fast client cannot queue the message in
 * memory in front of a slow disk. A header block that does not end within the threshold is refused
 * (`HeaderTooBig`, as Postfix bounds a header with `header_size_limit`).
 *
 * Scanning uses `indexOf` for CR and LF, so a large message costs a few native scans, not a JavaScript loop per
 * byte.
 *
 * @since 0.1.0
 */

import type { Message } from "@cartero/core"
import { randomUUID } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"

/** Longest body line, in octets without CRLF (RFC 5322 §2.1.1). */
export const maxBodyLine = 998

/** The outcome of reading a message. */
export type Result =
  | {
    readonly _tag: "Ok"
    /** The message, in memory or spilled. */
    readonly data: Message.Data
    /** The header block (the whole message when it is in memory): what headers are parsed and hops counted from. */
    readonly head: Buffer
  }
  | { readonly _tag: "TooBig"; readonly size: number }
  | { readonly _tag: "BareLf" }
  | { readonly _tag: "BareCr" }
  | { readonly _tag: "LineTooLong" }
  | { readonly _tag: "HeaderTooBig" }
  | { readonly _tag: "SpillFailed"; readonly cause: unknown }

/** Where and beyond which size a message goes to disk. */
export interface Spill {
  /** Octets kept in memory; a larger message is written to a file. */
  readonly threshold: number
  /** An existing directory only we can read (the server makes one per run). */
  readonly dir: string
}

/** The offset just past the empty line that ends the header block in `bytes`, or -1 when it does not end there. */
const headerEnd = (bytes: Buffer): number => {
  if (bytes.length >= 2 && bytes[0] === CR && bytes[1] === LF) return 2
  const at = bytes.indexOf("\r\n\r\n")
  return at < 0 ? -1 : at + 4
}

type Problem = "BareLf" | "BareCr" | "LineTooLong" | "HeaderTooBig"

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

  /** The spill file, once the message outgrew the threshold. */
  private file: { readonly path: string; readonly stream: Fs.WriteStream; error: unknown } | undefined
  private head: Buffer | undefined

  /**
   * `binary`: a `BODY=BINARYMIME` message (RFC 3030 §3, received by BDAT only): any octet may appear anywhere, so
   * neither line endings nor line lengths are checked; the size limit and the spill file apply as always.
   */
  constructor(private readonly maxSize: number, private readonly spill?: Spill, private readonly binary = false) {}

  /**
   * The check the message already failed, before it ended (BDAT answers each chunk, so a refusal need not wait for
   * the last one). A bare CR at the very end of what arrived so far is not a failure yet: its LF may come next.
   */
  get failed(): Exclude<Result, { _tag: "Ok" | "SpillFailed" }>["_tag"] | undefined {
    return this.size > this.maxSize ? "TooBig" : this.problem
  }

  /** Octets received so far. */
  get received(): number {
    return this.size
  }

  /**
   * Feeds the next chunk. `false`: the spill file is behind; stop reading until {@link drained} resolves (the chunk
   * was taken either way).
   */
  push(chunk: Buffer): boolean {
    this.size += chunk.length
    if (this.problem === undefined && !this.binary) this.scan(chunk)
    if (this.problem !== undefined || this.size > this.maxSize) {
      this.chunks = []
      this.dropFile()
      return true
    }
    if (this.file !== undefined) return this.file.stream.write(chunk)
    this.chunks.push(chunk)
    if (this.spill !== undefined && this.size > this.spill.threshold) return this.startSpill(this.spill)
    return true
  }

  /** Resolves once the spill file took what it was given (at once when nothing is pending). */
  drained(): Promise<void> {
    const file = this.file
    if (file === undefined || !file.stream.writableNeedDrain || file.stream.destroyed) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        file.stream.off("drain", done)
        file.stream.off("close", done)
        resolve()
      }
      file.stream.once("drain", done)
      file.stream.once("close", done)
    })
  }

  /** Ends the message: the verdict on it, and the message when it passed every check. */
  async finish(): Promise<Result> {
    if (this.size > this.maxSize) return { _tag: "TooBig", size: this.size }
    if (this.problem === undefined && this.pendingCr) this.problem = "BareCr"
    if (this.problem !== undefined) return { _tag: this.problem }
    const file = this.file
    if (file === undefined) {
      const raw = Buffer.concat(this.chunks, this.size)
      this.chunks = []
      return { _tag: "Ok", data: { _tag: "InMemory", bytes: raw }, head: raw }
    }
    await new Promise<void>((resolve) => {
      if (file.stream.destroyed) return resolve()
      file.stream.end(() => resolve())
      file.stream.once("error", () => resolve())
    })
    if (file.error !== undefined) {
      this.dropFile()
      return { _tag: "SpillFailed", cause: file.error }
    }
    return { _tag: "Ok", data: { _tag: "Spilled", path: file.path, size: this.size }, head: this.head ?? Buffer.alloc(0) }
  }

  /** Removes the spill file, if any (the transaction was answered, or the client went away). Never throws. */
  async discard(): Promise<void> {
    const file = this.file
    this.file = undefined
    if (file === undefined) return
    file.stream.destroy()
    await Fs.promises.rm(file.path, { force: true }).catch(() => undefined)
  }

  private dropFile(): void {
    if (this.file !== undefined) void this.discard()
  }

  private startSpill(spill: Spill): boolean {
    const prefix = Buffer.concat(this.chunks, this.size)
    this.chunks = []
    const end = headerEnd(prefix)
    if (end < 0 || end > spill.threshold) {
      this.fail("HeaderTooBig")
      return true
    }
    // A copy, so that the rest of the prefix is not kept alive by a view of it.
    this.head = Buffer.from(prefix.subarray(0, end))
    const path = Path.join(spill.dir, `${randomUUID()}.eml`)
    const stream = Fs.createWriteStream(path, { flags: "wx", mode: 0o600, highWaterMark: 256 * 1024 })
    const file = { path, stream, error: undefined as unknown }
    stream.on("error", (cause) => {
      file.error ??= cause
    })
    this.file = file
    return stream.write(prefix)
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
