/**
 * RFC 5322 comments (`(...)`, nested, with quoted-pairs) removed from a structured field value in one pass.
 *
 * One scanner for every structured value we read (Content-Type and Content-Disposition, Content-Transfer-Encoding,
 * dates) because the regexes it replaces (`\(.*?\)`, `\([^)]*\)`) restart their search at every `(`: a value of
 * many `(` took quadratic time (64 KiB of them: seconds), and they did not nest.
 *
 * @internal
 */

/**
 * `s` with every comment outside quoted strings replaced by `replacement`. Inside a comment `(` and `)` nest and a
 * backslash takes the next character literally (RFC 5322 §3.2.2); inside a quoted string a backslash does the same
 * and `(` is text. A comment left open runs to the end of the value. Kept text is copied a run at a time, never
 * character by character, and every character is looked at once.
 */
export const stripComments = (s: string, replacement: string): string => {
  if (!s.includes("(")) return s
  let out = ""
  // Where the run being kept started (meaningful at depth 0).
  let from = 0
  let depth = 0
  let quoted = false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (depth > 0) {
      if (c === 92) i++
      else if (c === 40) depth++
      else if (c === 41 && --depth === 0) from = i + 1
    } else if (quoted) {
      // A backslash keeps the next character as it is, whatever it is.
      if (c === 92) i++
      else if (c === 34) quoted = false
    } else if (c === 34) quoted = true
    else if (c === 40) {
      out += s.slice(from, i) + replacement
      depth = 1
    }
  }
  return depth === 0 ? out + s.slice(from) : out
}
