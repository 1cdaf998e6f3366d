/**
 * The parser's push state machine (see Parser.ts for the contract).
 *
 * @internal
 */
import * as Base64 from "../Base64.ts"
import * as ContentType from "../ContentType.ts"
import * as Defect from "../Defect.ts"
import * as Headers from "../Headers.ts"
import type * as Part from "../Part.ts"
import * as QuotedPrintable from "../QuotedPrintable.ts"
import { isHeaderLine, isLostParameter, matchDelimiter, type Match, undecidedLength } from "./delimiter.ts"
import { dispositionOf, type Frame, Node, Raw, type Sink, transferEncodingOf } from "./node.ts"
import { scan, scratch } from "./blockScan.ts"
import { isContentPrefix, multipartBoundary, plainType } from "./typeBytes.ts"
import type { Options, PushParser } from "../Parser.ts"

const NL_DASH_DASH = Buffer.from("\n--")
const empty = Buffer.alloc(0)

/** Stands for a block with no Content-* field. */
const noFields = new Headers.Headers([])

/**
 * The Content-* fields of a block that `lazyHeaders` accepted (every line a field or a continuation), built as
 * `Headers.parseBlock` builds them, for the eager decisions of containers and unusual types.
 */
const contentFields = (buf: Buffer, pos: number, end: number): Headers.Headers => {
  const fields: Array<Headers.Field> = []
  let start = -1
  let fieldEnd = -1
  let folded = false
  for (let p = pos; p < end; ) {
    const nl = buf.indexOf(10, p)
    const contentEnd = nl > p && buf[nl - 1] === 13 ? nl - 1 : nl
    const c0 = buf[p]
    if (c0 === 32 || c0 === 9) {
      fieldEnd = contentEnd
      folded = true
    } else {
      if (start >= 0) fields.push(Headers.makeField(buf, start, fieldEnd, folded))
      start = contentEnd > p && isContentPrefix(buf, p) ? p : -1
      fieldEnd = contentEnd
      folded = false
    }
    p = nl + 1
  }
  return fields.length === 0 ? noFields : new Headers.Headers(fields)
}

const toBuffer = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength))

export class Machine implements PushParser {
  private readonly decode: boolean
  private readonly onBody: ((part: Part.Part, chunk: Uint8Array) => void) | undefined
  private readonly maxDepth: number
  private readonly root: Node
  private readonly frames: Array<Frame> = []
  /** Open nodes from the root to the one being read; closed ones get their body length on the way out. */
  private readonly open: Array<Node> = []
  private mode: "header" | "body" | "skip" = "header"
  private bodyKind: "leaf" | "other" = "leaf"
  private cur: Node
  private headerLines: Array<Buffer> = []
  private seg: Buffer | undefined
  private segStart = 0
  private segEnd = 0
  private headerStart = 0
  private lineParts: Array<Buffer> = []
  private carry: Buffer = empty
  private offset = 0
  private bol = true
  private sink: Sink | undefined
  /** The delimiter whose line is being skipped (mode "skip"), applied where the line ends. */
  private afterSkip: { readonly close: boolean; readonly frame: Frame; readonly index: number } | undefined
  private crOnly: boolean | undefined
  private pendingCr = false
  private ended = false
  /**
   * When the input so far ended inside a line that may yet be a delimiter (the carry holds it), the carry length up
   * to which more input cannot decide it (see `undecidedLength`), else 0. Until that line ends or outgrows this, new
   * input is only gathered (copied, as the caller may reuse its chunks), not matched again from the line's start
   * with every chunk, which was quadratic in the line's length when chunks were small.
   */
  private undecided = 0
  private gathered: Array<Buffer> = []
  private gatheredLength = 0
  /** Whether header blocks may be kept as views of the input (see {@link lazyHeaders}). */
  private readonly views: boolean
  /** The next NUL at or after the last search in `nulBuf`, or -1 (see {@link lazyHeaders}). */
  private nulBuf: Buffer | undefined
  private nulAt = -1

  constructor(options?: Options, views = false) {
    this.views = views
    this.decode = options?.bodies !== "none"
    this.onBody = options?.onBody
    this.maxDepth = options?.maxDepth ?? 256
    this.root = new Node(0, 0, undefined)
    this.cur = this.root
    this.open.push(this.root)
  }

  write(chunk: Uint8Array): void {
    if (this.ended || chunk.length === 0) return
    let input = toBuffer(chunk)
    if (this.pendingCr) {
      input = Buffer.concat([Buffer.from([13]), input])
      this.pendingCr = false
    }
    if (this.crOnly === undefined) {
      // CR-only (classic Mac) input is recognised by its first line break being a CR not followed by LF. A CR
      // ending the chunk waits for the next byte, so the decision never depends on how the input is chunked.
      // With an LF, the first line break is a bare CR exactly when a CR lies before that LF other than right before
      // it; searched back from the LF, so that LF-only input is not searched to its end for a CR.
      const nl = input.indexOf(10)
      if (nl >= 0) this.crOnly = nl >= 2 && input.lastIndexOf(13, nl - 2) >= 0
      else {
        // No LF: a CR is a bare one, unless it ends the chunk.
        const cr = input.indexOf(13)
        if (cr === input.length - 1) {
          this.pendingCr = true
          input = input.subarray(0, cr)
        } else if (cr >= 0) this.crOnly = true
      }
      if (this.crOnly === true) this.root.defects.push(Defect.make("BareCarriageReturns", 0, "bare CR line endings read as LF"))
    }
    if (this.crOnly === true) {
      input = Buffer.from(input)
      for (let i = input.indexOf(13); i >= 0; i = input.indexOf(13, i + 1)) input[i] = 10
    }
    if (this.undecided > 0) {
      this.gathered.push(Buffer.from(input))
      this.gatheredLength += input.length
      if (input.indexOf(10) < 0 && this.carry.length + this.gatheredLength <= this.undecided) return
      input = this.takeGathered()
    }
    let buf = input
    if (this.carry.length > 0) {
      buf = Buffer.concat([this.carry, input])
      this.offset -= this.carry.length
      this.carry = empty
    }
    this.run(buf, false)
  }

  end(): Part.Part {
    if (this.ended) return this.root
    if (this.pendingCr) {
      // The first line break is a CR that ends the input: not followed by LF, so CR-only.
      this.pendingCr = false
      this.crOnly = true
      this.root.defects.push(Defect.make("BareCarriageReturns", 0, "bare CR line endings read as LF"))
      this.write(Buffer.from([10]))
    }
    this.ended = true
    if (this.undecided > 0) {
      // The input ended inside the undecided line: joined to the carry, whose bytes `offset` already counts.
      const rest = this.takeGathered()
      this.carry = Buffer.concat([this.carry, rest])
      this.offset += rest.length
    }
    for (let guard = 0; this.carry.length > 0 && guard < 3; guard++) {
      const buf = this.carry
      this.carry = empty
      this.offset -= buf.length
      this.run(buf, true)
    }
    const at = this.offset
    if (this.mode === "skip") {
      // The input ended on a delimiter line: apply it.
      const next = this.afterSkip
      this.afterSkip = undefined
      this.mode = "body"
      if (next !== undefined) this.afterDelimiter(next.close, next.frame, next.index, at)
    }
    if (this.mode === "header") {
      const line = Buffer.concat(this.lineParts)
      this.lineParts = []
      if (line.length > 0) this.headerLines.push(line)
      this.finishHeaders(at, true)
    }
    this.closeBody(at)
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const frame = this.frames[i]
      if (frame !== undefined) this.unclosed(frame, at)
    }
    // Setting an array's length is a runtime call even when nothing changes: only truncate when needed.
    if (this.frames.length > 0) this.frames.length = 0
    while (this.open.length > 0) this.closeNode(at)
    return this.root
  }

  /** The input gathered while a line was undecided, as one buffer; nothing is undecided any more. */
  private takeGathered(): Buffer {
    const all = this.gathered.length === 1 ? (this.gathered[0] ?? empty) : Buffer.concat(this.gathered, this.gatheredLength)
    this.gathered = []
    this.gatheredLength = 0
    this.undecided = 0
    return all
  }

  /** Runs the machine over `buf`, whose first byte is at `this.offset`; leaves `this.offset` at its end. */
  private run(input: Buffer, final: boolean): void {
    let buf = input
    let pos = 0
    while (pos < buf.length) {
      if (this.carry.length > 0) {
        this.flushSeg()
        // A step handed bytes back (they end at `pos`): read them again, then the rest.
        this.offset += pos - this.carry.length
        buf = Buffer.concat([this.carry, buf.subarray(pos)])
        this.carry = empty
        pos = 0
      }
      if (this.mode === "header") pos = this.headerStep(buf, pos)
      else if (this.mode === "skip") {
        const nl = buf.indexOf(10, pos)
        if (nl < 0) break
        pos = nl + 1
        this.mode = "body"
        const next = this.afterSkip
        this.afterSkip = undefined
        if (next !== undefined) this.afterDelimiter(next.close, next.frame, next.index, this.offset + pos)
      } else pos = this.bodyStep(buf, pos, final)
    }
    this.flushSeg()
    this.offset += buf.length
  }

  /** Adds a header line; consecutive lines of one buffer are kept as one slice, made only when needed. */
  private addLine(buf: Buffer, start: number, end: number): void {
    if (this.seg === buf && this.segEnd === start) {
      this.segEnd = end
      return
    }
    this.flushSeg()
    this.seg = buf
    this.segStart = start
    this.segEnd = end
  }

  private flushSeg(): void {
    if (this.seg === undefined) return
    this.headerLines.push(this.seg.subarray(this.segStart, this.segEnd))
    this.seg = undefined
  }

  private headerStep(buf: Buffer, pos: number): number {
    if (!this.decode && this.seg === undefined && this.lineParts.length === 0 && this.headerLines.length === 0) {
      const next = this.lazyHeaders(buf, pos)
      if (next >= 0) return next
    }
    const nl = buf.indexOf(10, pos)
    if (nl < 0) {
      this.flushSeg()
      this.lineParts.push(buf.subarray(pos))
      return buf.length
    }
    let line = buf
    let start = pos
    let end = nl + 1
    if (this.lineParts.length > 0) {
      this.lineParts.push(buf.subarray(pos, nl + 1))
      line = Buffer.concat(this.lineParts)
      this.lineParts = []
      start = 0
      end = line.length
    }
    const length = end - start
    const lineStart = this.offset + nl + 1 - length
    if (length === 1 || (length === 2 && line[start] === 13)) {
      this.addLine(line, start, end)
      this.finishHeaders(this.offset + nl + 1, false)
      return nl + 1
    }
    if (line[start] === 45 && line[start + 1] === 45 && this.frames.length > 0) {
      const m = matchDelimiter(this.frames, line, start, true)
      if (m !== undefined && m !== "more") {
        // A delimiter before the empty line: the part has headers only (or nothing at all).
        this.finishHeaders(lineStart, true)
        this.delimiter({ frame: m.frame, close: m.close, next: nl + 1 }, lineStart, lineStart)
        return nl + 1
      }
    }
    if (
      this.cur !== this.root && !isHeaderLine(line, start, end, false) &&
      !((this.headerLines.length > 0 || this.seg !== undefined) && isLostParameter(line, start, end))
    ) {
      // Text where a field should be: the part's empty line is missing and the body starts here (as Python reads
      // it). In the top-level header block junk lines are skipped instead (Headers.parseBlock), so the fields
      // after them, which matter most there, are kept.
      this.finishHeaders(lineStart, true)
      this.cur.defects.push(Defect.make("HeaderWithoutColon", lineStart, "a line that is not a header field ended the header block"))
      // An encapsulated message started by that block has no header block either.
      while (this.mode === "header") this.finishHeaders(lineStart, true)
      if (line === buf) return pos
      // The line began in an earlier chunk: hand it back to be read again as body, before the rest of `buf`.
      this.carry = line
      return nl + 1
    }
    this.addLine(line, start, end)
    return nl + 1
  }

  private bodyStep(buf: Buffer, pos: number, final: boolean): number {
    const len = buf.length
    if (this.frames.length === 0) {
      this.emit(buf, pos, len)
      this.bol = false
      return len
    }
    const from = pos
    // At the start of a body the delimiter needs no preceding line break: that break ended the previous line.
    let lineStart = this.bol && buf[pos] === 45 ? pos : -1
    this.bol = false
    let search = pos
    for (;;) {
      let ls: number
      if (lineStart >= 0) {
        ls = lineStart
        lineStart = -1
      } else {
        const hit = buf.indexOf(NL_DASH_DASH, search)
        if (hit < 0) {
          let keep = 0
          if (!final) {
            if (buf[len - 1] === 45 && buf[len - 2] === 10) keep = 2
            else if (buf[len - 1] === 10) keep = 1
            if (buf[len - 1 - keep] === 13) keep++
            keep = Math.min(keep, len - from)
          }
          this.emit(buf, from, len - keep)
          if (keep > 0) this.carry = Buffer.from(buf.subarray(len - keep))
          return len
        }
        ls = hit + 1
      }
      const m = matchDelimiter(this.frames, buf, ls, final)
      if (m === undefined) {
        search = ls
        continue
      }
      // The line break in front of a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
      let bodyEnd = ls
      if (bodyEnd > from && buf[bodyEnd - 1] === 10) bodyEnd--
      if (bodyEnd > from && buf[bodyEnd - 1] === 13) bodyEnd--
      this.emit(buf, from, bodyEnd)
      if (m === "more") {
        this.carry = Buffer.from(buf.subarray(bodyEnd))
        this.bol = bodyEnd === ls
        if (!final) this.undecided = ls - bodyEnd + undecidedLength(this.frames)
        return len
      }
      this.delimiter(m, this.offset + bodyEnd, this.offset + ls)
      return m.next < 0 ? len : m.next
    }
  }

  private emit(buf: Buffer, start: number, end: number): void {
    if (end <= start) return
    if (this.bodyKind === "leaf" && this.sink !== undefined) this.sink.write(buf, start, end)
  }

  /** Ends the body being read at absolute offset `at`. */
  private closeBody(at: number): void {
    if (this.bodyKind === "leaf" && this.mode !== "header") {
      const node = this.cur
      node.bodyLength = at - node.bodyOffset
      if (this.sink !== undefined) {
        const body = this.sink.end()
        if (this.onBody === undefined) node.body = body
        if (this.sink instanceof Base64.Decoder && (this.sink.invalid > 0 || this.sink.truncated)) {
          node.defects.push(Defect.make("InvalidBase64", node.bodyOffset, `${this.sink.invalid} invalid character(s)${this.sink.truncated ? ", truncated final quantum" : ""}`))
        } else if (this.sink instanceof QuotedPrintable.Decoder && this.sink.invalid > 0) {
          node.defects.push(Defect.make("InvalidQuotedPrintable", node.bodyOffset, `${this.sink.invalid} invalid escape(s)`))
        }
      }
    }
    this.sink = undefined
  }

  private closeNode(at: number): void {
    const node = this.open.pop()
    if (node !== undefined && node.body === undefined) node.bodyLength = Math.max(0, at - node.bodyOffset)
  }

  private unclosed(frame: Frame, at: number): void {
    frame.node.defects.push(
      frame.sawDelimiter
        ? Defect.make("MissingFinalBoundary", at, `no closing delimiter for boundary ${JSON.stringify(frame.boundary.toString("latin1"))}`)
        : Defect.make("BoundaryNotFound", at, `boundary ${JSON.stringify(frame.boundary.toString("latin1"))} never found`)
    )
  }

  /** Handles a delimiter of frame `m.frame`; `bodyEnd` is where the preceding body ends, `lineStart` the line itself. */
  private delimiter(m: Match, bodyEnd: number, lineStart: number): void {
    this.closeBody(bodyEnd)
    for (let i = this.frames.length - 1; i > m.frame; i--) {
      const frame = this.frames[i]
      if (frame !== undefined) this.unclosed(frame, lineStart)
    }
    if (this.frames.length > m.frame + 1) this.frames.length = m.frame + 1
    const frame = this.frames[m.frame]
    if (frame === undefined) return
    while (this.open.length > 0 && this.open[this.open.length - 1] !== frame.node) this.closeNode(bodyEnd)
    frame.sawDelimiter = true
    if (m.next < 0) {
      this.mode = "skip"
      this.afterSkip = { close: m.close, frame, index: m.frame }
    } else this.afterDelimiter(m.close, frame, m.frame, this.offset + m.next)
  }

  /** After a delimiter line of `frame` (at `index`) ending at `lineEnd`: the epilogue, or the next part's headers. */
  private afterDelimiter(close: boolean, frame: Frame, index: number, lineEnd: number): void {
    if (close) {
      // Epilogue: still inside the multipart node, searching the outer boundaries only.
      if (this.frames.length > index) this.frames.length = index
      this.cur = frame.node
      this.mode = "body"
      this.bodyKind = "other"
      this.bol = true
    } else {
      const child = new Node(frame.node.depth + 1, lineEnd, frame.subtype)
      frame.node.parts.push(child)
      this.open.push(child)
      this.startHeaders(child, child.offset)
    }
  }

  /** Opens the message encapsulated in `node`, starting at `at`: its header block comes next. */
  private encapsulate(node: Node, at: number): void {
    const child = new Node(node.depth + 1, at, undefined)
    node.message = child
    this.open.push(child)
    this.startHeaders(child, at)
  }

  private startHeaders(node: Node, at: number): void {
    this.cur = node
    this.mode = "header"
    this.headerLines = []
    this.headerStart = at
  }

  private finishHeaders(bodyStart: number, unterminated: boolean): void {
    this.flushSeg()
    const node = this.cur
    const single = this.headerLines.length === 1
    // No line at all (a delimiter right after a delimiter): no new buffer, which would cost more than the part.
    const block = single ? (this.headerLines[0] ?? empty) : this.headerLines.length === 0 ? empty : Buffer.concat(this.headerLines)
    this.headerLines = []
    // Structure only: the block is checked in full now (its defects and end, which the tree depends on), but of its
    // fields only the Content-* ones are built, for applyHeaders; the whole list is built on first access. When
    // streaming, a block that is one slice of the caller's chunk is copied (see lazyBlock); several slices were
    // joined into a copy already.
    const headers = Headers.readBlock(block, this.headerStart, !this.decode)
    node.headers = this.decode
      ? headers
      : Headers.Headers.lazy(single && !this.views ? Buffer.from(block) : block, 0, headers.length, headers.defects)
    for (const d of headers.defects) if (!(unterminated && d.kind === "MissingHeaderBodySeparator" && block.length === 0)) node.defects.push(d)
    this.applyHeaders(headers, bodyStart)
  }

  /**
   * Structure only: reads a whole header block lying in `buf` from `pos` without building its fields. Returns where
   * the body starts, or -1 when the block needs the line-by-line path (not all in `buf`, or anything that path or
   * `Headers.parseBlock` treats specially: a possible delimiter, a line that is not a field, a NUL, a block that
   * would yield defects). Taking this path or not never changes the result: a block is accepted only when parsing
   * it later gives exactly what the eager path would have stored, so the fields are parsed on first access and
   * only the Content-* fields, which drive the structure, are built now.
   */
  private lazyHeaders(buf: Buffer, pos: number): number {
    const found = scratch
    if (!scan(buf, pos, this.cur === this.root, this.frames.length > 0, found)) return -1
    return this.lazyBlock(buf, pos, found.end, found.unsure, found.ctStart, found.ctColon, found.ctLineEnd, found.ctEnd, found.ctFolded)
  }

  /**
   * The end of {@link lazyHeaders}: the block `buf[pos, end)` holds only fields, with its first Content-Type at
   * `ctStart` (or none). Returns where the body starts, or -1 for the general path.
   */
  private lazyBlock(buf: Buffer, pos: number, end: number, unsure: boolean, ctStart: number, ctColon: number, ctLineEnd: number, ctEnd: number, ctFolded: boolean): number {
    if (buf.length - end > 65536) {
      // Much more input follows (a large body): search the block alone rather than run to the end of it.
      if (buf.subarray(pos, end).indexOf(0) >= 0) return -1
    } else {
      if (this.nulBuf !== buf || (this.nulAt >= 0 && this.nulAt < pos)) {
        // One forward-moving search per buffer, not one to the end of the buffer per block (quadratic).
        this.nulBuf = buf
        this.nulAt = buf.indexOf(0, pos)
      }
      if (this.nulAt >= 0 && this.nulAt < end) return -1
    }
    const node = this.cur
    // A view when the caller handed over the whole message (like leaf bodies); a copy when streaming, so that a
    // small header block does not keep a whole chunk alive.
    node.headers = this.views ? Headers.Headers.lazy(buf, pos, end) : Headers.Headers.lazy(Buffer.from(buf.subarray(pos, end)), 0, end - pos)
    // Absent, the type is the default: message/rfc822 in a digest, text/plain elsewhere.
    const kind = unsure ? undefined : ctStart < 0 ? (node.parentSubtype === "digest" ? "message" : "leaf") : plainType(buf, ctColon + 1, ctLineEnd, ctEnd)
    if (kind === "leaf") {
      // A leaf whose Content-Type is absent or valid: nothing about the structure, and no defect, depends on
      // its fields, so even its Content-* values wait until they are read.
      node.defer(node.headers)
      this.openBody(node, this.offset + end, "leaf")
      return end
    }
    const tooDeep = node.depth >= this.maxDepth
    let fields: Headers.Headers | undefined
    if (kind === "message" && !tooDeep) {
      // An encapsulated message, unless its transfer encoding makes it an opaque leaf (with a defect): only that
      // field is needed now.
      fields = contentFields(buf, pos, end)
      const te = transferEncodingOf(fields)
      if (te !== "base64" && te !== "quoted-printable") {
        node.defer(node.headers)
        this.openBody(node, this.offset + end, "other")
        this.encapsulate(node, this.offset + end)
        return end
      }
    }
    if (!unsure && kind !== "message" && ctStart >= 0 && !tooDeep) {
      // A container: only the boundary is needed now, read from the bytes when they are plain (even the
      // Content-Type then waits until it is read), else from the parsed field. When it is a usable multipart, do
      // what applyHeaders would, with the rest left for first access.
      const plain = multipartBoundary(buf, ctColon + 1, ctEnd)
      if (plain !== undefined) {
        node.defer(node.headers)
        this.openBody(node, this.offset + end, "other")
        // The frame outlives this call: when streaming, the chunk holding the bytes is the caller's to reuse.
        this.frames.push({ node, boundary: this.views ? plain.boundary : Buffer.from(plain.boundary), subtype: plain.subtype, sawDelimiter: false })
        return end
      }
      const contentType = ContentType.parse(Headers.makeField(buf, ctStart, ctEnd, ctFolded).value)
      const boundary = contentType?.type === "multipart" ? contentType.params["boundary"] : undefined
      if (contentType !== undefined && boundary !== undefined && boundary !== "") {
        node.defer(node.headers, contentType)
        this.openBody(node, this.offset + end, "other")
        this.frames.push({ node, boundary: Buffer.from(boundary, "utf8"), subtype: contentType.subtype, sawDelimiter: false })
        return end
      }
    }
    this.applyHeaders(fields ?? contentFields(buf, pos, end), this.offset + end)
    return end
  }

  private openBody(node: Node, bodyOffset: number, kind: "leaf" | "other"): void {
    node.bodyOffset = bodyOffset
    this.mode = "body"
    this.bol = true
    this.bodyKind = kind
    this.sink = undefined
  }

  /**
   * Sets the node's content type, disposition and transfer encoding from `headers`, and opens its body. When parsing
   * structure only, the disposition and transfer encoding decide nothing but whether an encapsulated message is
   * opened, so for any other part they wait until first read.
   */
  private applyHeaders(headers: Headers.Headers, bodyStart: number): void {
    const node = this.cur
    node.bodyOffset = bodyStart
    const ctField = headers.get("content-type")
    const parsed = ctField === undefined ? undefined : ContentType.parse(ctField.value)
    if (ctField !== undefined && parsed === undefined) {
      node.defects.push(Defect.make("InvalidContentType", this.headerStart, `unusable Content-Type ${JSON.stringify(ctField.value.slice(0, 80))}`))
    }
    let ct = parsed ?? ContentType.defaultFor(node.parentSubtype)
    this.mode = "body"
    this.bol = true
    this.bodyKind = "other"
    const tooDeep = node.depth >= this.maxDepth
    let boundary: string | undefined
    if (ct.type === "multipart") {
      boundary = ct.params["boundary"]
      if (boundary === undefined || boundary === "") {
        node.defects.push(Defect.make("MissingBoundaryParameter", this.headerStart, "multipart without a boundary parameter; read as text/plain"))
        ct = ContentType.defaultFor()
        boundary = undefined
      } else if (tooDeep) {
        node.defects.push(Defect.make("NestingTooDeep", this.headerStart, `nesting deeper than ${this.maxDepth}`))
        boundary = undefined
      }
    }
    const encapsulates = ct.type === "message" && (ct.subtype === "rfc822" || ct.subtype === "global" || ct.subtype === "news")
    if (this.decode || encapsulates) {
      node.contentType = ct
      node.disposition = dispositionOf(headers)
      node.transferEncoding = transferEncodingOf(headers)
    } else node.defer(headers, ct)
    if (boundary !== undefined) {
      this.frames.push({ node, boundary: Buffer.from(boundary, "utf8"), subtype: ct.subtype, sawDelimiter: false })
      return
    }
    if (encapsulates) {
      if (node.transferEncoding === "base64" || node.transferEncoding === "quoted-printable") {
        node.defects.push(Defect.make("EncodedMessage", this.headerStart, `message/${ct.subtype} with ${node.transferEncoding} encoding kept as a leaf`))
      } else if (tooDeep) {
        node.defects.push(Defect.make("NestingTooDeep", this.headerStart, `nesting deeper than ${this.maxDepth}`))
      } else {
        this.encapsulate(node, bodyStart)
        return
      }
    }
    this.bodyKind = "leaf"
    if (!this.decode) {
      this.sink = undefined
      return
    }
    const te = node.transferEncoding
    const onBody = this.onBody
    const onData = onBody === undefined ? undefined : (chunk: Uint8Array) => onBody(node, chunk)
    if (te === "base64") this.sink = new Base64.Decoder(onData)
    else if (te === "quoted-printable") this.sink = new QuotedPrintable.Decoder(onData)
    else {
      if (te !== "7bit" && te !== "8bit" && te !== "binary" && !te.startsWith("x-")) {
        node.defects.push(Defect.make("UnknownTransferEncoding", this.headerStart, `unknown Content-Transfer-Encoding ${JSON.stringify(te)}`))
      }
      this.sink = new Raw(onData)
    }
  }
}
