/**
 * Recognising lines: delimiter lines of multipart bodies (RFC 2046 §5.1.1) and header lines.
 *
 * @internal
 */

const MAX_PADDING = 998

/**
 * How long a line (from its first `-`) may grow, without a line break, and still be answered "more" by
 * {@link matchDelimiter}: `--`, the longest boundary, `--`, the most padding, and a CR. Past this, it is decided.
 */
export const undecidedLength = (frames: ReadonlyArray<{ readonly boundary: Buffer }>): number => {
  let longest = 0
  for (const frame of frames) longest = Math.max(longest, frame.boundary.length)
  return 2 + longest + 2 + MAX_PADDING + 2
}

/** A delimiter found: which frame's boundary, whether it closes the multipart, where the next line starts. */
export type Match = { readonly frame: number; readonly close: boolean; readonly next: number }

/** A field (`name:`, obsolete spaces before the colon allowed), a continuation, or a leading mbox `From ` line. */
export const isHeaderLine = (line: Buffer, start: number, end: number, first: boolean): boolean => {
  const c = line[start]
  if (c === 32 || c === 9) return true
  if (first && end - start > 5 && line.toString("latin1", start, start + 5) === "From ") return true
  // A BOM before the first field is tolerated.
  let i = first && c === 0xef && line[start + 1] === 0xbb && line[start + 2] === 0xbf ? start + 3 : start
  const nameStart = i
  while (i < end) {
    const b = line[i] ?? 0
    if (b === 58) return i > nameStart
    if (b <= 32 || b === 127) {
      while (line[i] === 32 || line[i] === 9) i++
      return line[i] === 58 && i > nameStart
    }
    i++
  }
  return false
}

/** `name="x.zip"` at the start of a line: a parameter whose folding lost its leading whitespace. */
export const isLostParameter = (line: Buffer, start: number, end: number): boolean =>
  /^[A-Za-z0-9_*-]+=/.test(line.toString("latin1", start, Math.min(end, start + 80)))

/**
 * Whether `buf` holds `b` at `at` (the caller checked the length). A loop rather than `Buffer.compare` for the usual
 * short boundary, where most candidates differ early and the native call's fixed cost would dominate; the native
 * call for a long one (up to thousands of bytes in the wild), which a JavaScript loop would read byte by byte.
 */
const sameBytes = (buf: Buffer, at: number, b: Buffer): boolean => {
  if (b.length > 128) return buf.compare(b, 0, b.length, at, at + b.length) === 0
  for (let i = 0; i < b.length; i++) if (buf[at + i] !== b[i]) return false
  return true
}

/**
 * Checks for a delimiter line of one of `frames` (outermost first) starting at `ls`, innermost boundary first.
 * "more" means the bytes so far could still become a delimiter line: the caller must wait for more input.
 */
export const matchDelimiter = (frames: ReadonlyArray<{ readonly boundary: Buffer }>, buf: Buffer, ls: number, final: boolean): Match | "more" | undefined => {
  const len = buf.length
  if (buf[ls] !== 45 || ls >= len) return undefined
  if (ls + 1 >= len) return final ? undefined : "more"
  if (buf[ls + 1] !== 45) return undefined
  let partial = false
  for (let i = frames.length - 1; i >= 0; i--) {
    const b = frames[i]?.boundary
    if (b === undefined) continue
    const s = ls + 2
    if (len - s < b.length) {
      if (!final && (len <= s || buf.compare(b, 0, len - s, s, len) === 0)) partial = true
      continue
    }
    if (!sameBytes(buf, s, b)) continue
    let q = s + b.length
    let close = false
    if (buf[q] === 45) {
      if (q + 1 >= len && !final) {
        partial = true
        continue
      }
      if (buf[q + 1] !== 45) continue
      close = true
      q += 2
    }
    // RFC 2046 §5.1.1 allows trailing whitespace; like mailsplit we cap it at 998 bytes so that an undecided
    // line stays small to carry and the answer does not depend on chunking.
    const padStart = q
    while (q < len && q - padStart <= MAX_PADDING && (buf[q] === 32 || buf[q] === 9 || buf[q] === 13)) q++
    if (q - padStart > MAX_PADDING) continue
    if (q >= len && !final) {
      // The line is not complete: it may still grow into a longer boundary, a close, or junk.
      partial = true
      continue
    }
    if (q < len && buf[q] !== 10) continue
    return { frame: i, close, next: q < len ? q + 1 : -1 }
  }
  return partial ? "more" : undefined
}
