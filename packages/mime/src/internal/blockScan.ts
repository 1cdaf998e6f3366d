/**
 * Structure only: one pass over a header block lying whole in a buffer, checking that the line-by-line path would
 * find nothing special in it and noting its first Content-Type field, without building any field.
 *
 * @internal
 */
import { isHeaderLine } from "./delimiter.ts"
import { contentName, isContentPrefix, isContentType } from "./typeBytes.ts"

/** What {@link scan} found in the block it accepted. */
export interface Scan {
  /** Where the block ends: just after its empty line. */
  end: number
  /** Whether some Content-* name is not plain enough to tell without decoding whether it is Content-Type. */
  unsure: boolean
  /** The first Content-Type field: its start (-1 when there is none), colon, first line's end and field's end. */
  ctStart: number
  ctColon: number
  ctLineEnd: number
  ctEnd: number
  /** Whether that field spans lines. */
  ctFolded: boolean
}

/**
 * A field name at `p` ending at `colon` with a byte outside printable ASCII: "invalid" when it is no field name in
 * a part's header block (`root` false; the general path then decides what the line is), else what `contentName`
 * says of it.
 */
const oddName = (buf: Buffer, p: number, colon: number, root: boolean): "invalid" | "type" | "other" | "unsure" => {
  if (!root && !isHeaderLine(buf, p, colon + 1, false)) return "invalid"
  return colon - p >= 8 && isContentPrefix(buf, p) ? contentName(buf, p, colon) : "other"
}

/**
 * Reads the header block starting at `pos` into `out` and returns true, or returns false when the block needs the
 * line-by-line path: not all in `buf`, or holding anything that path or `Headers.parseBlock` treats specially (a
 * possible delimiter when `delimiters`, a line that is not a field in a part's block (`root` false) or no field at
 * all, a continuation first). NUL bytes are not checked here.
 */
export const scan = (buf: Buffer, pos: number, root: boolean, delimiters: boolean, out: Scan): boolean => {
  let ctStart = -1
  let ctColon = -1
  let ctLineEnd = -1
  let ctEnd = -1
  let ctFolded = false
  let inCt = false
  let unsure = false
  let p = pos
  // Every byte read is first checked to lie in `buf`: one read past the end and V8 compiles every read here to
  // allow for it, which makes this loop markedly slower for good. One search for the line break per line, at a
  // single call site, and the rare cases in helpers called out of line: V8 then keeps inlining the search, however
  // varied the input it has seen.
  const len = buf.length
  for (;;) {
    // A block not ended in `buf` is left to the general path.
    if (p + 1 >= len) return false
    const c0 = buf[p] ?? 0
    const c1 = buf[p + 1] ?? 0
    if (c0 === 10 || (c0 === 13 && c1 === 10)) {
      out.end = c0 === 10 ? p + 1 : p + 2
      out.unsure = unsure
      out.ctStart = ctStart
      out.ctColon = ctColon
      out.ctLineEnd = ctLineEnd
      out.ctEnd = ctEnd
      out.ctFolded = ctFolded
      return true
    }
    let from = p + 1
    let ct = false
    if (c0 === 32 || c0 === 9) {
      if (p === pos) return false
    } else {
      if (c0 === 45 && c1 === 45 && delimiters) return false
      // The name, up to the colon, in the same pass that checks it: a line without a colon is left to the general
      // path, which knows what such a line means here.
      let colon = p
      let plain = true
      for (;;) {
        let b = buf[colon] ?? 0
        // Letters first, in a loop of their own: they make most of a name.
        while (b > 58 && b < 127) {
          if (++colon >= len) return false
          b = buf[colon] ?? 0
        }
        if (b === 58) break
        if (b === 10 || ++colon >= len) return false
        if (b <= 32 || b >= 127) plain = false
      }
      if (colon === p) return false
      inCt = false
      // Only names starting with C can be Content-*. A plain name (printable ASCII up to the colon) is
      // Content-Type exactly when it reads so; any other needs a closer look.
      if (plain) ct = colon - p === 12 && (c0 === 67 || c0 === 99) && isContentType(buf, p)
      else {
        const kind = oddName(buf, p, colon, root)
        if (kind === "invalid") return false
        if (kind === "unsure") unsure = true
        ct = kind === "type"
      }
      if (ct) {
        if (ctStart >= 0) ct = false
        else {
          ctStart = p
          ctColon = colon
          inCt = true
        }
      }
      from = colon + 1
    }
    const nl = buf.indexOf(10, from)
    if (nl < 0) return false
    if (inCt) {
      // The Content-Type field's first line, or a continuation of it: its value runs on (`plainType` checks the
      // folding).
      ctEnd = buf[nl - 1] === 13 ? nl - 1 : nl
      if (ct) ctLineEnd = ctEnd
      else ctFolded = true
    }
    p = nl + 1
  }
}

/** A scratch {@link Scan}: parsing is synchronous and each scan is read before the next one starts. */
export const scratch: Scan = { end: 0, unsure: false, ctStart: -1, ctColon: -1, ctLineEnd: -1, ctEnd: -1, ctFolded: false }
