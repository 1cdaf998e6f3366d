/**
 * `format=flowed` text (RFC 3676): soft line breaks (a line ending in a space) are joined, space-stuffing is
 * removed, and with `delsp=yes` the space before a soft break is deleted too. Quote depth is respected: lines of
 * different depth are never joined, and the signature separator `-- ` is never a soft break.
 *
 * @since 0.1.0
 */

/** Decodes flowed text (lines separated by `\n` or `\r\n`); the result uses `\n`. */
export const decode = (text: string, delsp: boolean): string => {
  const lines = text.split(/\r?\n/)
  const out: Array<string> = []
  let current: string | undefined
  let currentDepth = 0
  for (const raw of lines) {
    let depth = 0
    while (raw.charCodeAt(depth) === 62) depth++
    let content = raw.slice(depth)
    if (content.startsWith(" ")) content = content.slice(1)
    if (current !== undefined && depth === currentDepth && current.endsWith(" ") && current !== "-- ") {
      current = (delsp ? current.slice(0, -1) : current) + content
    } else {
      if (current !== undefined) out.push((currentDepth > 0 ? ">".repeat(currentDepth) + (current === "" ? "" : " ") : "") + current)
      current = content
      currentDepth = depth
    }
  }
  if (current !== undefined) out.push((currentDepth > 0 ? ">".repeat(currentDepth) + (current === "" ? "" : " ") : "") + current)
  return out.join("\n")
}
