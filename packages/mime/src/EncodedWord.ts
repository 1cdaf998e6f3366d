/**
 * RFC 2047 encoded words (`=?charset?B|Q?text?=`) in header values: decoding for display and encoding of
 * non-ASCII text for 7-bit transport.
 *
 * Decoding joins the bytes of adjacent words in the same charset before converting them, because many senders
 * split a multi-byte character across two words; whitespace between adjacent encoded words is dropped (§6.2).
 *
 * Decoding is bounded: the charset may change at most {@link MAX_CHARSET_CHANGES} times between the encoded words of
 * one value; from the word that would change it once more, the rest of the value is left as written. Looking up a
 * charset is what costs (an unknown label is tried under several spellings), and a run of words in one charset
 * looks it up once, so a field with thousands of words each naming another charset costs no more than a hundred.
 *
 * @since 0.1.0
 */
import * as Base64 from "./Base64.ts"
import * as Charset from "./Charset.ts"

const word = /=\?([^?\s]+?)\?([BbQq])\?([^?]*?)\?=/g

const hex = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1)

/**
 * The bytes of a run of adjacent words in one charset, in one growing buffer: not an array per word, which a subject
 * of tens of thousands of words would hold until the run ends.
 */
class Run {
  private buf = new Uint8Array(64)
  size = 0

  private room(n: number): void {
    if (this.size + n <= this.buf.length) return
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.size + n))
    bigger.set(this.buf.subarray(0, this.size))
    this.buf = bigger
  }

  push(b: number): void {
    this.room(1)
    this.buf[this.size++] = b
  }

  pushAll(bytes: Uint8Array): void {
    this.room(bytes.length)
    this.buf.set(bytes, this.size)
    this.size += bytes.length
  }

  /** The bytes so far, as a view: decode them before the run is cleared. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.size)
  }
}

/** Appends the bytes of Q-encoded `text` (RFC 2047 §4.2) to `run`. */
const qBytes = (text: string, run: Run): void => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 95) run.push(32)
    else if (c === 61 && hex(text.charCodeAt(i + 1)) >= 0 && hex(text.charCodeAt(i + 2)) >= 0) {
      run.push(hex(text.charCodeAt(i + 1)) * 16 + hex(text.charCodeAt(i + 2)))
      i += 2
    } else if (c < 0x80) run.push(c)
    else run.pushAll(Buffer.from(text[i] ?? "", "utf8"))
  }
}

/** Whether `value` contains at least one encoded word. */
export const has = (value: string): boolean => value.includes("=?")

/**
 * Most charsets looked up in one value: the first word's, then one per change of charset from a word to the next.
 * Real values use one or two (a subject of 3,302 UTF-8 words, in the corpus, uses one); more than a hundred changes
 * is an attack on the lookup.
 */
export const MAX_CHARSET_CHANGES = 100

/**
 * Decodes the encoded words in `value` (up to the {@link MAX_CHARSET_CHANGES} limit; what follows is left as it is);
 * text outside encoded words is returned unchanged.
 */
export const decode = (value: string): string => {
  if (!value.includes("=?")) return value
  let out = ""
  let last = 0
  let pendingCharset: string | undefined
  const run = new Run()
  const flush = () => {
    if (pendingCharset !== undefined) out += Charset.decode(run.view(), pendingCharset).text
    pendingCharset = undefined
    run.size = 0
  }
  let changes = 0
  let previous: string | undefined
  for (const m of value.matchAll(word)) {
    // `charset*language` (RFC 2231 §5) carries a language we do not need.
    const charset = (m[1] ?? "").split("*")[0] ?? ""
    const label = charset.toLowerCase()
    if (label !== previous && ++changes > MAX_CHARSET_CHANGES) break
    previous = label
    const gap = value.slice(last, m.index)
    const adjacent = pendingCharset !== undefined && /^[ \t\r\n]*$/.test(gap)
    if (!adjacent) {
      flush()
      out += gap
    }
    // Bytes of adjacent words are joined so a character split across words survives, except for stateful
    // ISO-2022 charsets whose words each end by switching back to ASCII.
    if (pendingCharset !== undefined && (pendingCharset.toLowerCase() !== label || /^iso-2022/i.test(charset))) flush()
    pendingCharset = charset
    const text = m[3] ?? ""
    if ((m[2] ?? "").toUpperCase() === "B") run.pushAll(Base64.decode(text))
    else qBytes(text, run)
    last = m.index + m[0].length
  }
  flush()
  return out + value.slice(last)
}

const nonAscii = /[^\x00-\x7f]/

/** Whether `text` needs encoding to travel in a 7-bit header. */
export const needsEncoding = (text: string): boolean => nonAscii.test(text) || /=\?[^?]*\?[BbQq]\?/.test(text)

const qSafe = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 33 || c === 42 || c === 43 || c === 45 || c === 47

const HEX = "0123456789ABCDEF"

/**
 * Encodes `text` as one or more UTF-8 encoded words of at most 75 characters each, separated by single spaces
 * (which decoders drop). Uses Q when most characters are ASCII, B otherwise. Safe in phrases (display names).
 */
export const encodeWords = (text: string): string => {
  // Q keeps mostly-ASCII text readable; B is shorter once a third of the characters are not ASCII.
  let high = 0
  let chars = 0
  for (const ch of text) {
    chars++
    if (ch.charCodeAt(0) > 0x7f) high++
  }
  const useB = high * 3 > chars
  const words: Array<string> = []
  let chunk: Array<number> = []
  let chunkLen = 0
  const limit = 75 - "=?UTF-8?Q??=".length
  const emit = () => {
    if (chunk.length === 0) return
    const payload = useB
      ? Buffer.from(chunk).toString("base64")
      : chunk.map((c) => (c === 32 ? "_" : qSafe(c) ? String.fromCharCode(c) : "=" + HEX[c >> 4] + HEX[c & 15])).join("")
    words.push(`=?UTF-8?${useB ? "B" : "Q"}?${payload}?=`)
    chunk = []
    chunkLen = 0
  }
  for (const ch of text) {
    const cb = Array.from(Buffer.from(ch, "utf8"))
    const cost = useB ? 0 : cb.reduce((n, c) => n + (c === 32 || qSafe(c) ? 1 : 3), 0)
    const next = useB ? Math.ceil((chunk.length + cb.length) / 3) * 4 : chunkLen + cost
    if (next > limit) emit()
    for (const c of cb) chunk.push(c)
    chunkLen += cost
  }
  emit()
  return words.join(" ")
}

/**
 * Encodes unstructured text (a Subject, a comment) for a 7-bit header: ASCII words stay readable and only the
 * span from the first to the last word needing it is encoded.
 */
export const encode = (text: string): string => {
  if (!needsEncoding(text)) return text
  // Only ASCII blanks separate words: other Unicode spaces are text to encode.
  const parts = text.split(/([ \t]+)/)
  let first = -1
  let last = -1
  parts.forEach((p, i) => {
    if (i % 2 === 0 && needsEncoding(p)) {
      if (first < 0) first = i
      last = i
    }
  })
  const head = parts.slice(0, first).join("")
  const tail = parts.slice(last + 1).join("")
  return head + encodeWords(parts.slice(first, last + 1).join("")) + tail
}
