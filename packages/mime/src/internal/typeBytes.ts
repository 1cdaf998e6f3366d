/**
 * Content-* facts read straight from header bytes, for structure-only parsing: whether a field is Content-Type,
 * whether its value surely names a leaf type, and a multipart's boundary. Each answer is either exactly what
 * `Headers.makeField` followed by `ContentType.parse` would give, or "not sure", and then the caller takes the
 * general path; so reading the bytes never changes a result, it only skips building strings.
 *
 * @internal
 */

const CONTENT_ = Buffer.from("content-")
const CONTENT_TYPE = Buffer.from("content-type")
const TYPE = Buffer.from("type")
const MULTIPART = Buffer.from("multipart")
const MESSAGE = Buffer.from("message")
const BOUNDARY = Buffer.from("boundary")

/** Whether `buf[at, end)` starts with the lowercase ASCII `word`, in any case. */
const startsWithLower = (buf: Buffer, at: number, end: number, word: Buffer): boolean => {
  if (end - at < word.length) return false
  for (let i = 0; i < word.length; i++) {
    const b = buf[at + i] ?? 0
    if ((b >= 65 && b <= 90 ? b + 32 : b) !== word[i]) return false
  }
  return true
}

/**
 * Whether the field name at `p` starts with `content-` in any case, or with a UTF-8 byte order mark and then
 * `content-` (decoding the line as UTF-8 drops a leading BOM, so `Headers` names such a field Content-*). Any field
 * that `Headers.get` could find as Content-Type, -Disposition or -Transfer-Encoding starts so: those names have no
 * letter that another code point lowercases to.
 */
export const isContentPrefix = (buf: Buffer, p: number): boolean =>
  startsWithLower(buf, p, p + 8, CONTENT_) || (buf[p] === 0xef && buf[p + 1] === 0xbb && buf[p + 2] === 0xbf && startsWithLower(buf, p + 3, p + 11, CONTENT_))

/** Whether the 12 bytes at `p` read `content-type` in any case. */
export const isContentType = (buf: Buffer, p: number): boolean => startsWithLower(buf, p, p + 12, CONTENT_TYPE)

/**
 * For a field name at `p` starting with `content-` and ending at `colon`: "type" when `Headers` would name it
 * Content-Type, "other" when it surely would not, "unsure" when that needs decoding (a byte outside printable
 * ASCII before the colon: `trimEnd` might remove it). Only plain SP/HT may follow the name.
 */
export const contentName = (buf: Buffer, p: number, colon: number): "type" | "other" | "unsure" => {
  let end = colon
  while (end > p && (buf[end - 1] === 32 || buf[end - 1] === 9)) end--
  for (let i = p; i < end; i++) {
    const b = buf[i] ?? 0
    if (b <= 32 || b >= 127) return "unsure"
  }
  const at = p + 8
  return end - at === TYPE.length && startsWithLower(buf, at, end, TYPE) ? "type" : "other"
}

/** Whether `b` may appear in a type or subtype (the token of `ContentType.parse`, before lowercasing). */
const isTypeByte = (b: number): boolean =>
  (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b === 33 || b === 35 || b === 36 || b === 38 || b === 94 || b === 95 || b === 46 || b === 43 || b === 45

/** {@link isTypeByte} as a table, 1 for a type byte: one load per byte instead of up to a dozen comparisons. */
const typeBytes = Uint8Array.from({ length: 256 }, (_, b) => (isTypeByte(b) ? 1 : 0))

const skipBlanks = (buf: Buffer, start: number, end: number): number => {
  let i = start
  while (i < end && (buf[i] === 32 || buf[i] === 9)) i++
  return i
}

/** Like {@link skipBlanks}, also over the CR and LF of folding (a value unfolds by dropping them). */
const skipSpace = (buf: Buffer, start: number, end: number): number => {
  let i = start
  for (; i < end; i++) {
    const b = buf[i]
    if (b !== 32 && b !== 9 && b !== 13 && b !== 10) break
  }
  return i
}

const skipToken = (buf: Buffer, start: number, end: number): number => {
  let i = start
  while (i < end && typeBytes[buf[i] ?? 0] === 1) i++
  return i
}

const RFC822 = Buffer.from("rfc822")
const GLOBAL = Buffer.from("global")
const NEWS = Buffer.from("news")

/** Whether `buf[start, end)` is `word` in any case. */
const isWord = (buf: Buffer, start: number, end: number, word: Buffer): boolean => end - start === word.length && startsWithLower(buf, start, end, word)

/**
 * What the Content-Type value in `buf[start, end)` (its first line ending at `lineEnd`) makes of a part, read from
 * the bytes without decoding, when `ContentType.parse` surely accepts it: "multipart", "message" (an encapsulated
 * message: message/rfc822, /global or /news) or "leaf" (any other type). The value must be `SP* type SP* / SP*
 * subtype SP*` on the first line, then the end of the field or a `;`. What follows the `;` cannot change the type:
 * comments are removed and quotes honoured from the start of the value, and the type and subtype hold neither `(`
 * nor `"`, so the head of the value always ends at that `;`. Anything else, including what `parse` might still
 * accept, answers undefined and takes the general path.
 */
export const plainType = (buf: Buffer, start: number, lineEnd: number, end: number): "leaf" | "multipart" | "message" | undefined => {
  // Straight-line code, no inner helpers: closures made per call cost more than the scan (and tsx/esbuild's
  // keepNames wraps each in a defineProperty call).
  let i = skipBlanks(buf, start, lineEnd)
  const typeStart = i
  i = skipToken(buf, i, lineEnd)
  const typeEnd = i
  if (typeEnd === typeStart) return undefined
  i = skipBlanks(buf, i, lineEnd)
  if (i >= lineEnd || buf[i] !== 47) return undefined
  i = skipBlanks(buf, i + 1, lineEnd)
  const subtypeStart = i
  i = skipToken(buf, i, lineEnd)
  const subtypeEnd = i
  if (subtypeEnd === subtypeStart) return undefined
  i = skipBlanks(buf, i, lineEnd)
  // A folded value must have its `;` on the first line: unfolding would otherwise join the next line to the type.
  if (i < lineEnd ? buf[i] !== 59 : end !== lineEnd) return undefined
  if (isWord(buf, typeStart, typeEnd, MULTIPART)) return "multipart"
  if (!isWord(buf, typeStart, typeEnd, MESSAGE)) return "leaf"
  return isWord(buf, subtypeStart, subtypeEnd, RFC822) || isWord(buf, subtypeStart, subtypeEnd, GLOBAL) || isWord(buf, subtypeStart, subtypeEnd, NEWS) ? "message" : "leaf"
}

/**
 * Bytes `multipartBoundary` leaves to the general path: 1 for those outside printable ASCII, SP, HT and LF, or a
 * `(` (a comment) or `\\` (an escape); 2 for CR, allowed only before LF.
 */
const badBytes = Uint8Array.from({ length: 256 }, (_, b) => (b === 13 ? 2 : b >= 127 || b === 40 || b === 92 || (b < 32 && b !== 9 && b !== 10) ? 1 : 0))

const isBadByte = (buf: Buffer, at: number): boolean => {
  const kind = badBytes[buf[at] ?? 0]
  return kind === 1 || (kind === 2 && buf[at + 1] !== 10)
}

/** A multipart's boundary (a view of the header bytes) and its lowercase subtype. */
export interface Multipart {
  readonly boundary: Buffer
  readonly subtype: string
}

/** Subtypes seen in almost every message, so that reading one makes no string. */
const knownSubtypes = ["mixed", "alternative", "related", "report", "signed", "encrypted", "digest"].map((s) => [Buffer.from(s), s] as const)

const subtypeOf = (buf: Buffer, start: number, end: number): string => {
  for (const [bytes, name] of knownSubtypes) if (end - start === bytes.length && startsWithLower(buf, start, end, bytes)) return name
  return buf.toString("latin1", start, end).toLowerCase()
}

/**
 * The boundary of the Content-Type value in `buf[start, end)` (after the colon, continuation lines included) when
 * `ContentType.parse` would surely read it as a multipart with a non-empty boundary; otherwise undefined, also for
 * whatever is merely unusual. What is accepted: printable ASCII, SP and HT, CR and LF only as the line breaks of
 * folding (which unfolding drops: as every continuation line starts with a blank, they act as blanks); no comment,
 * no backslash; `multipart/subtype` then `;`-separated parameters (quotes honoured), the first `boundary` one a
 * token or a closed quoted string holding no line break and no encoded word, and no RFC 2231 `name*` parameter
 * (one could override it).
 */
export const multipartBoundary = (buf: Buffer, start: number, end: number): Multipart | undefined => {
  // Every byte of the value is checked to be allowed (see `badBytes`) before an answer is given: those up to the
  // parameters here, the rest in the loop reading them, so that the value is read once.
  let i = skipSpace(buf, start, end)
  const typeStart = i
  i = skipToken(buf, i, end)
  if (i - typeStart !== MULTIPART.length || !startsWithLower(buf, typeStart, i, MULTIPART)) return undefined
  i = skipSpace(buf, i, end)
  if (buf[i] !== 47 || i >= end) return undefined
  i = skipSpace(buf, i + 1, end)
  const subtypeStart = i
  i = skipToken(buf, i, end)
  const subtypeEnd = i
  if (subtypeEnd === subtypeStart) return undefined
  i = skipSpace(buf, i, end)
  for (let k = start; k < i; k++) if (isBadByte(buf, k)) return undefined
  let boundaryStart = -1
  let boundaryEnd = -1
  // Each turn reads one parameter, from the `;` before it to the next `;` outside quotes.
  while (i < end) {
    if (buf[i] !== 59) return undefined
    const itemStart = i + 1
    let eq = -1
    let quoted = false
    let j = itemStart
    for (; j < end; j++) {
      const b = buf[j] ?? 0
      if (badBytes[b] !== 0 && isBadByte(buf, j)) return undefined
      // `parseParams` takes the first `=` of the item, quoted or not.
      if (b === 61 && eq < 0) eq = j
      if (quoted) {
        if (b === 34) quoted = false
      } else if (b === 34) quoted = true
      else if (b === 59) break
    }
    if (eq >= 0) {
      for (let k = itemStart; k < eq; k++) if (buf[k] === 42) return undefined
      const keyStart = skipSpace(buf, itemStart, eq)
      let keyEnd = eq
      while (keyEnd > keyStart && isSpace(buf[keyEnd - 1] ?? 0)) keyEnd--
      if (boundaryStart < 0 && keyEnd - keyStart === BOUNDARY.length && startsWithLower(buf, keyStart, keyEnd, BOUNDARY)) {
        let valueStart = skipSpace(buf, eq + 1, j)
        let valueEnd = j
        while (valueEnd > valueStart && isSpace(buf[valueEnd - 1] ?? 0)) valueEnd--
        if (buf[valueStart] === 34 && valueStart < valueEnd) {
          // `unquote`: the text up to the next quote; an unterminated one is left to the general path.
          let close = valueStart + 1
          while (close < valueEnd && buf[close] !== 34) close++
          if (close >= valueEnd) return undefined
          valueStart++
          valueEnd = close
        }
        if (valueEnd <= valueStart) return undefined
        for (let k = valueStart; k < valueEnd; k++) {
          const b = buf[k]
          if (b === 13 || b === 10 || (b === 61 && buf[k + 1] === 63)) return undefined
        }
        boundaryStart = valueStart
        boundaryEnd = valueEnd
      }
    }
    i = j
  }
  if (boundaryStart < 0) return undefined
  return { boundary: buf.subarray(boundaryStart, boundaryEnd), subtype: subtypeOf(buf, subtypeStart, subtypeEnd) }
}

const isSpace = (b: number): boolean => b === 32 || b === 9 || b === 13 || b === 10
