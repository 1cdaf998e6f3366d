/**
 * Header blocks: parsing (unfolding, raw and decoded values, ordered fields) and rendering (folding at 78 columns).
 *
 * Both directions are synchronous on purpose: the SMTP server calls {@link parse} on the first bytes of a message
 * and {@link fold} to render `Received:` and plugin-added headers, on its hot path.
 *
 * @since 0.1.0
 */
import * as Charset from "./Charset.ts"
import * as Defect from "./Defect.ts"
import * as EncodedWord from "./EncodedWord.ts"
import { isContentPrefix } from "./internal/typeBytes.ts"

/** One header field, in order of appearance. */
export class Field {
  private decodedCache: string | undefined
  constructor(
    /** The field name as written (case preserved). */
    readonly name: string,
    /** The whole field as written, folding included, lines joined by CRLF, without the final line break. */
    readonly raw: string,
    /** The unfolded value after the colon, trimmed; encoded words left as they are. */
    readonly value: string
  ) {}

  /** The value with RFC 2047 encoded words decoded: what a user agent would display. */
  get decoded(): string {
    if (this.decodedCache === undefined) this.decodedCache = EncodedWord.decode(this.value)
    return this.decodedCache
  }
}

const noFields: ReadonlyArray<Field> = []
const noDefects: ReadonlyArray<Defect.Defect> = []

/** An ordered list of header fields with case-insensitive look-up. */
export class Headers {
  private index: Map<string, Array<Field>> | undefined
  private parsed: ReadonlyArray<Field> | undefined
  /** A header block not parsed yet (see {@link lazy}); dropped once parsed. */
  private source: Buffer | undefined
  private sourceStart = 0
  constructor(
    fields: ReadonlyArray<Field>,
    /** Bytes taken by the header block including the empty line that ends it. */
    readonly length: number = 0,
    /** Problems found while reading the block. */
    readonly defects: ReadonlyArray<Defect.Defect> = []
  ) {
    this.parsed = fields
  }

  /**
   * The block in `buf[start, end)`, its fields parsed on first access. Building every field object is most of the
   * cost of reading structure only, and most callers of `parseStructure` read few header blocks, if any. The
   * caller guarantees that parsing the block takes all of it (up to its empty line, or to `end` when it has none)
   * and yields `defects` (none by default), so `length` and `defects` are known without parsing. `buf` is kept,
   * not copied: it must not change.
   *
   * @internal
   */
  static lazy(buf: Buffer, start: number, end: number, defects: ReadonlyArray<Defect.Defect> = noDefects): Headers {
    const h = new Headers(noFields, end - start, defects)
    h.parsed = undefined
    h.source = buf
    h.sourceStart = start
    return h
  }

  /** The fields in order of appearance. */
  get fields(): ReadonlyArray<Field> {
    if (this.parsed === undefined) {
      const source = this.source ?? Buffer.alloc(0)
      this.parsed = parseBlock(source.subarray(this.sourceStart, this.sourceStart + this.length)).fields
      this.source = undefined
    }
    return this.parsed
  }

  /** Serialises as the plain record it held before `fields` became an accessor. */
  toJSON(): { readonly fields: ReadonlyArray<Field>; readonly length: number; readonly defects: ReadonlyArray<Defect.Defect> } {
    return { fields: this.fields, length: this.length, defects: this.defects }
  }

  private lookup(name: string): ReadonlyArray<Field> {
    if (this.index === undefined && this.fields.length <= 24) {
      // Few fields (the usual case): a scan is cheaper than building the index.
      const found: Array<Field> = []
      for (const field of this.fields) {
        if (field.name.length === name.length && field.name.toLowerCase() === name.toLowerCase()) found.push(field)
      }
      return found
    }
    if (this.index === undefined) {
      const index = new Map<string, Array<Field>>()
      for (const field of this.fields) {
        const key = field.name.toLowerCase()
        const list = index.get(key)
        if (list === undefined) index.set(key, [field])
        else list.push(field)
      }
      this.index = index
    }
    return this.index.get(name.toLowerCase()) ?? []
  }

  /** The first field called `name`, if any. */
  get(name: string): Field | undefined {
    return this.lookup(name)[0]
  }

  /** Every field called `name`, in order. */
  getAll(name: string): ReadonlyArray<Field> {
    return this.lookup(name)
  }

  /** Whether a field called `name` exists. */
  has(name: string): boolean {
    return this.lookup(name).length > 0
  }

  /** The decoded value of the first field called `name`. */
  value(name: string): string | undefined {
    return this.get(name)?.decoded
  }
}

/**
 * Trims SP and HTAB (not other Unicode spaces) from both ends. Written out because the regex `[ \t]+$` is
 * quadratic on long blank runs inside a value.
 */
export const trimBlanks = (s: string): string => {
  let start = 0
  let end = s.length
  while (start < end && (s.charCodeAt(start) === 32 || s.charCodeAt(start) === 9)) start++
  while (end > start && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--
  return s.slice(start, end)
}

const nonAscii = /[\x80-\xff]/

/** A header line's text: ASCII as is, 8-bit bytes as UTF-8 when valid (RFC 6532), else windows-1252. */
const text = (buf: Buffer, start: number, end: number): string => {
  const s = buf.toString("latin1", start, end)
  return nonAscii.test(s) ? Charset.decodeGuess(buf.subarray(start, end)) : s
}

/** Index of the first `:` in [start, end), or -1; bounded by the line so junk lines stay linear. */
const colonIn = (buf: Buffer, start: number, end: number): number => {
  for (let i = start; i < end; i++) if (buf[i] === 58) return i
  return -1
}

/**
 * The field written in `buf[start, end)` (a name, a colon, the value; `folded` when it spans lines; no final line
 * break). Shared by {@link parseBlock} and the parser's structure-only path, so both read a field identically.
 *
 * @internal
 */
export const makeField = (buf: Buffer, start: number, end: number, folded: boolean): Field => {
  const line = text(buf, start, end)
  const raw = folded ? line.replace(/\r?\n/g, "\r\n") : line
  const c = raw.indexOf(":")
  const name = raw.slice(0, c).trimEnd()
  // Only WSP is trimmed: a value may begin with other Unicode spaces (RFC 6532).
  const value = trimBlanks(folded ? raw.slice(c + 1).replace(/\r\n/g, "") : raw.slice(c + 1))
  return new Field(name, raw, value)
}

/**
 * Builds the field in `buf[start, end)` into `fields`, unless only Content-* fields are wanted and it is not one;
 * says whether it did. A function of its own rather than a closure in {@link readBlock}, which runs for every part:
 * a closure made per call costs more than an empty block's parsing.
 */
const build = (fields: Array<Field>, buf: Buffer, start: number, end: number, folded: boolean, contentOnly: boolean): boolean => {
  const built = !contentOnly || isContentPrefix(buf, start)
  if (built) fields.push(makeField(buf, start, end, folded))
  return built
}

/**
 * Parses a header block. `bytes` may be the whole message: parsing stops at the first empty line, and
 * {@link Headers.length} says where the body starts. `offset` is added to defect offsets (for nested parts).
 */
export const parseBlock = (bytes: Uint8Array, offset = 0): Headers => readBlock(bytes, offset, false)

/**
 * {@link parseBlock}, building only the fields whose name starts with `content-` when `contentOnly` (the rest are
 * read and checked alike, so `length` and `defects` are the same): what the structure-only parser needs now of a
 * block it must check line by line, the other fields being built on first access (see {@link Headers.lazy}). The
 * Content-* fields come out as in the whole list, in order, a lost parameter line joined to one of them included.
 *
 * @internal
 */
export const readBlock = (bytes: Uint8Array, offset: number, contentOnly: boolean): Headers => {
  const fields: Array<Field> = []
  // Fields read, built or not, and whether the last one read was built (a lost parameter line joins it).
  let count = 0
  let lastBuilt = false
  const defects: Array<Defect.Defect> = []
  let pos = 0
  let fieldStart = -1
  let fieldEnd = -1
  let colon = -1
  let sawNul = false
  // A Buffer is used as it is: making a view of it allocates, and this runs for every part of a message.
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  // Searched once and moved forward only: per-line searches to the end of `bytes` would be quadratic.
  let nextNul = buf.indexOf(0)
  let folded = false
  let length = bytes.length
  let first = true
  while (pos < bytes.length) {
    const nl = buf.indexOf(10, pos)
    const lineEnd = nl < 0 ? bytes.length : nl
    const contentEnd = lineEnd > pos && bytes[lineEnd - 1] === 13 ? lineEnd - 1 : lineEnd
    const next = nl < 0 ? bytes.length : nl + 1
    if (contentEnd === pos) {
      length = next
      if (fieldStart >= 0) build(fields, buf, fieldStart, fieldEnd, folded, contentOnly)
      return new Headers(fields, length, defects)
    }
    if (!sawNul && nextNul >= 0 && nextNul < pos) nextNul = buf.indexOf(0, pos)
    if (!sawNul && nextNul >= 0 && nextNul < lineEnd) {
      sawNul = true
      defects.push(Defect.make("NulInHeader", offset + nextNul, "NUL byte in header block"))
    }
    const c0 = bytes[pos]
    if ((c0 === 32 || c0 === 9) && first) {
      // Leading whitespace before the very first field: a broken generator, not a continuation.
      let p = pos
      while (bytes[p] === 32 || bytes[p] === 9) p++
      colon = colonIn(buf, p, contentEnd)
      if (colon > p && /^[\x21-\x39\x3b-\x7e]+[ \t]*$/.test(buf.toString("latin1", p, colon))) {
        defects.push(Defect.make("FirstHeaderLineIsContinuation", offset + pos, "whitespace before the first field"))
        fieldStart = p
        fieldEnd = contentEnd
      }
    } else if (c0 === 32 || c0 === 9) {
      if (fieldStart >= 0) {
        fieldEnd = contentEnd
        folded = true
      } else if (!first) defects.push(Defect.make("FirstHeaderLineIsContinuation", offset + pos, "continuation line without a field"))
    } else {
      if (fieldStart >= 0) {
        count++
        lastBuilt = build(fields, buf, fieldStart, fieldEnd, folded, contentOnly)
        fieldStart = -1
        folded = false
      }
      colon = colonIn(buf, pos, contentEnd)
      if (colon > pos) {
        fieldStart = pos
        fieldEnd = contentEnd
      } else if (count > 0 && /^[A-Za-z0-9_*-]+=/.test(buf.toString("latin1", pos, Math.min(contentEnd, pos + 80)))) {
        // `name="x.zip"` with the folding whitespace lost: continue the previous field (as enmime and mail clients do).
        const last = lastBuilt ? fields.pop() : undefined
        if (last !== undefined) {
          fields.push(new Field(last.name, `${last.raw}\r\n ${text(buf, pos, contentEnd)}`, `${last.value} ${text(buf, pos, contentEnd).trim()}`))
        }
        defects.push(Defect.make("HeaderWithoutColon", offset + pos, "parameter line without folding whitespace, joined to the previous field"))
      } else if (!(first && buf.toString("latin1", pos, Math.min(contentEnd, pos + 5)) === "From ")) {
        // Junk among the fields: skipped, so the fields after it still count (what user agents show).
        defects.push(Defect.make("HeaderWithoutColon", offset + pos, `header line without a colon: ${JSON.stringify(buf.toString("latin1", pos, Math.min(contentEnd, pos + 40)))}`))
      }
    }
    first = false
    pos = next
  }
  if (fieldStart >= 0) build(fields, buf, fieldStart, fieldEnd, folded, contentOnly)
  const missing = Defect.make("MissingHeaderBodySeparator", offset + bytes.length, "header block not ended by an empty line")
  // Made to size when it is the only defect (a part with no header block at all: there may be thousands of them).
  if (defects.length === 0) return new Headers(fields.length === 0 ? noFields : fields, length, [missing])
  defects.push(missing)
  return new Headers(fields, length, defects)
}

/**
 * Parses the header block at the start of `message` (bytes or a string). Synchronous and allocation-light: meant
 * for the SMTP server's DATA phase.
 */
export const parse = (message: Uint8Array | string): Headers =>
  parseBlock(typeof message === "string" ? Buffer.from(message, "utf8") : message)

/** Read access to a header block, decoded: what `@cartero/core`'s `Message.headers` promises hooks. */
export interface View {
  /** The first field's decoded value, or undefined. Names are case-insensitive. */
  readonly get: (name: string) => string | undefined
  /** All fields of that name, decoded, in order. */
  readonly getAll: (name: string) => ReadonlyArray<string>
}

/**
 * A {@link View} of the header block at the start of `message`, parsed on the first `get`/`getAll` (the parser
 * stops at the first empty line): a caller that never reads a header (a plain relay) never pays for it.
 */
export const view = (message: Uint8Array | string): View => {
  let parsed: Headers | undefined
  const headers = (): Headers => (parsed ??= parse(message))
  return {
    get: (name) => headers().value(name),
    getAll: (name) => headers().getAll(name).map((field) => field.decoded)
  }
}

const MAX_LINE = 78
const HARD_LINE = 998

/**
 * Renders one header field, folded at whitespace so that lines stay within 78 characters where possible (and
 * always within 998), each ended by CRLF. CR, LF and NUL in `value` become spaces: a value can never inject a field
 * or end the header block. The value is written as given (no RFC 2047 encoding; see {@link format}).
 */
export const fold = (name: string, value: string): string => {
  // Whitespace inside the value is kept as is (it may sit in a quoted string); only the ends are trimmed.
  const clean = trimBlanks(value.replace(/[\r\n\u0000]+/g, " "))
  const lines: Array<string> = []
  let line = `${name}:`
  let bytes = Buffer.byteLength(line)
  let content = false
  for (const word of clean.split(" ")) {
    const size = Buffer.byteLength(word)
    // Break before the space that precedes `word`; unfolding (removing the CRLF) restores the value exactly.
    if (content && word !== "" && bytes + 1 + size > MAX_LINE) {
      lines.push(line)
      line = ""
      bytes = 0
    }
    line += " " + word
    bytes += 1 + size
    content = content || word !== ""
    if (bytes > HARD_LINE) {
      // A word too long for even a line of its own: split it hard rather than break the 998-octet rule.
      let piece = ""
      let pieceBytes = 0
      for (const ch of line) {
        const n = Buffer.byteLength(ch)
        if (pieceBytes + n > HARD_LINE - 4) {
          lines.push(piece)
          piece = " "
          pieceBytes = 1
        }
        piece += ch
        pieceBytes += n
      }
      line = piece
      bytes = pieceBytes
    }
  }
  lines.push(line)
  return lines.join("\r\n") + "\r\n"
}

/**
 * Renders an unstructured field (Subject, Comments, a plugin's `X-` header): non-ASCII text is RFC 2047 encoded
 * unless `utf8` (SMTPUTF8 / RFC 6532) is allowed, then folded by {@link fold}.
 */
export const format = (name: string, value: string, options?: { readonly utf8?: boolean }): string =>
  fold(name, options?.utf8 === true ? value : EncodedWord.encode(value))
