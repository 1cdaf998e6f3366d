/**
 * Removing header fields from a message's raw octets, without decoding the header block into a string and back
 * (a field may hold 8-bit octets in any charset; re-encoding would change them, and with them DKIM hashes).
 *
 * The block is scanned line by line, up to the first empty line (or to the end when there is none): a field is a
 * line that does not start with SP or HTAB, plus the continuation lines that follow it. The lines of every field a
 * {@link Rule} matches are cut out; every other octet, the empty line and the body are kept as they are. Fields are
 * read as {@link Headers.parseBlock} reads them, so a rule sees what `Headers` shows and removes what a reader of
 * the result would have seen:
 *
 * - a first line that starts with whitespace but looks like a field (a broken generator) is a field;
 * - a line without a colon that reads `name=value` right after a field is a parameter line whose folding
 *   whitespace was lost: it belongs to that field and goes with it;
 * - any other line without a colon (junk, an mbox `From ` line) is no field and is kept.
 *
 * @since 0.1.0
 */
import * as Charset from "./Charset.ts"
import { Field, makeField } from "./Headers.ts"

/** Which fields to remove: by name (case-insensitive), and among those, the ones whose value `matches`. */
export interface Rule {
  readonly name: string
  /**
   * Called with the field's value as `Headers` gives it (unfolded, trimmed, encoded words decoded); the field is
   * removed when it answers true. Absent: every field of that name is removed.
   */
  readonly matches?: ((value: string) => boolean) | undefined
}

/** The message (or header block) without the removed fields. */
export interface Removed {
  /** The octets left: new memory, the input is not changed. */
  readonly bytes: Uint8Array
  /** How many fields were removed (at least one). */
  readonly count: number
}

const CR = 13
const LF = 10
const SP = 32
const HT = 9
const COLON = 58

/** A field name: printable ASCII but `:`, then optional blanks before the colon (as the parser accepts it). */
const fieldName = /^[\x21-\x39\x3b-\x7e]+[ \t]*$/
/** A parameter line that lost its folding whitespace (`name="x.zip"`). */
const parameterLine = /^[A-Za-z0-9_*-]+=/
const nonAscii = /[\x80-\xff]/

interface Span {
  /** Where the field's first line starts (its leading whitespace included, for a first line that has some). */
  readonly start: number
  /** Where its name starts. */
  readonly nameStart: number
  readonly colon: number
  /** End of its last line's content (before CRLF). */
  contentEnd: number
  /** End of its last line, line break included. */
  end: number
  folded: boolean
  /** Parameter lines joined to it: `[start, contentEnd)` each. */
  readonly parameters: Array<readonly [number, number]>
}

const colonIn = (buf: Buffer, start: number, end: number): number => {
  for (let i = start; i < end; i++) if (buf[i] === COLON) return i
  return -1
}

/** A line's text as the parser reads it: ASCII as is, 8-bit octets as UTF-8 when valid, else windows-1252. */
const text = (buf: Buffer, start: number, end: number): string => {
  const s = buf.toString("latin1", start, end)
  return nonAscii.test(s) ? Charset.decodeGuess(buf.subarray(start, end)) : s
}

/** The field's decoded value, as `Headers` would give it. */
const valueOf = (buf: Buffer, span: Span): string => {
  const field = makeField(buf, span.nameStart, span.contentEnd, span.folded)
  if (span.parameters.length === 0) return field.decoded
  let value = field.value
  for (const [start, end] of span.parameters) value = `${value} ${text(buf, start, end).trim()}`
  return new Field(field.name, field.raw, value).decoded
}

/**
 * Removes the fields of the header block at the start of `bytes` (a whole message, or just its header block) that
 * a rule matches. `undefined` when none does: nothing is copied then.
 */
export const remove = (bytes: Uint8Array, rules: ReadonlyArray<Rule>): Removed | undefined => {
  if (rules.length === 0 || bytes.length === 0) return undefined
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const cuts: Array<readonly [number, number]> = []
  let removed = 0
  const decide = (span: Span): void => {
    const name = buf.toString("latin1", span.nameStart, span.colon).trimEnd().toLowerCase()
    let value: string | undefined
    for (const rule of rules) {
      if (rule.name.length !== name.length || rule.name.toLowerCase() !== name) continue
      if (rule.matches !== undefined && !rule.matches(value ??= valueOf(buf, span))) continue
      removed++
      const last = cuts[cuts.length - 1]
      // Adjacent removed fields become one cut.
      if (last !== undefined && last[1] === span.start) cuts[cuts.length - 1] = [last[0], span.end]
      else cuts.push([span.start, span.end])
      return
    }
  }
  let field: Span | undefined
  let first = true
  let pos = 0
  while (pos < buf.length) {
    const nl = buf.indexOf(LF, pos)
    const lineEnd = nl < 0 ? buf.length : nl
    const contentEnd = lineEnd > pos && buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd
    const next = nl < 0 ? buf.length : nl + 1
    // The empty line ends the block.
    if (contentEnd === pos) break
    const c0 = buf[pos]
    if (c0 === SP || c0 === HT) {
      if (field !== undefined) {
        field.contentEnd = contentEnd
        field.end = next
        field.folded = true
      } else if (first) {
        let p = pos
        while (buf[p] === SP || buf[p] === HT) p++
        const colon = colonIn(buf, p, contentEnd)
        if (colon > p && fieldName.test(buf.toString("latin1", p, colon))) {
          field = { start: pos, nameStart: p, colon, contentEnd, end: next, folded: false, parameters: [] }
        }
      }
    } else {
      const colon = colonIn(buf, pos, contentEnd)
      if (colon < 0 && field !== undefined && parameterLine.test(buf.toString("latin1", pos, Math.min(contentEnd, pos + 80)))) {
        field.parameters.push([pos, contentEnd])
        field.end = next
      } else {
        if (field !== undefined) decide(field)
        field = colon > pos ? { start: pos, nameStart: pos, colon, contentEnd, end: next, folded: false, parameters: [] } : undefined
      }
    }
    first = false
    pos = next
  }
  if (field !== undefined) decide(field)
  if (cuts.length === 0) return undefined
  let size = buf.length
  for (const [start, end] of cuts) size -= end - start
  const out = Buffer.allocUnsafe(size)
  let from = 0
  let at = 0
  for (const [start, end] of cuts) {
    at += buf.copy(out, at, from, start)
    from = end
  }
  buf.copy(out, at, from)
  return { bytes: out, count: removed }
}
