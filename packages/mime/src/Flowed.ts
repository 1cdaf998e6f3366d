/**
 * `format=flowed` text (RFC 3676): soft line breaks (a line ending in a space) are joined, space-stuffing is
 * removed, and with `delsp=yes` the space before a soft break is deleted too. Quote depth is respected: lines of
 * different depth are never joined, and the signature separator `-- ` is never a soft break.
 *
 * Linear in the text: a paragraph being joined is kept as a list of ranges of the text with its length tracked,
 * never as one growing string that is read back after each line (that was quadratic: 896 KiB of soft breaks took
 * 39 s).
 *
 * @since 0.1.0
 */

/** Decodes flowed text (lines separated by `\n` or `\r\n`); the result uses `\n`. */
export const decode = (text: string, delsp: boolean): string => {
  const out: Array<string> = []
  // The logical line being joined, as [start, end) ranges of `text` (none empty; numbers, not strings, so that a
  // paragraph of a million soft breaks holds no million strings), with its length and quote depth; `started` once a
  // line began it.
  let ranges: Array<number> = []
  let length = 0
  let started = false
  let currentDepth = 0
  const joined = (): string => {
    if (ranges.length <= 2) return text.slice(ranges[0] ?? 0, ranges[1] ?? 0)
    // Copied as UTF-16 code units into one buffer: no string per range.
    const utf16 = Buffer.allocUnsafe(length * 2)
    let n = 0
    for (let k = 0; k < ranges.length; k += 2) {
      for (let i = ranges[k] ?? 0, end = ranges[k + 1] ?? 0; i < end; i++) {
        const c = text.charCodeAt(i)
        utf16[n++] = c & 0xff
        utf16[n++] = c >>> 8
      }
    }
    return utf16.toString("utf16le", 0, n)
  }
  const flush = (): void => {
    const current = joined()
    out.push((currentDepth > 0 ? ">".repeat(currentDepth) + (current === "" ? "" : " ") : "") + current)
  }
  // Lines are read in place (no split): each line's content is one range of `text`.
  for (let at = 0; at <= text.length; ) {
    const nl = text.indexOf("\n", at)
    const next = nl < 0 ? text.length + 1 : nl + 1
    const lineEnd = nl < 0 ? text.length : nl > at && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl
    let start = at
    while (start < lineEnd && text.charCodeAt(start) === 62) start++
    const depth = start - at
    if (text.charCodeAt(start) === 32 && start < lineEnd) start++
    at = next
    // A soft break: the line so far ends in a space and is not the signature separator.
    const end = ranges[ranges.length - 1] ?? 0
    const soft = started && depth === currentDepth && ranges.length > 0 && text.charCodeAt(end - 1) === 32 && !(length === 3 && joined() === "-- ")
    if (soft) {
      if (delsp) {
        // Drop the space before the break: the last character of the last range.
        length--
        ranges[ranges.length - 1] = end - 1
        if (ranges[ranges.length - 2] === end - 1) ranges.length -= 2
      }
    } else {
      if (started) flush()
      ranges = []
      length = 0
      started = true
      currentDepth = depth
    }
    if (lineEnd > start) {
      ranges.push(start, lineEnd)
      length += lineEnd - start
    }
  }
  if (started) flush()
  return out.join("\n")
}
