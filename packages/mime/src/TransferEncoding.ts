/**
 * Choosing a Content-Transfer-Encoding for a body (RFC 2045 §6, RFC 6152): the lightest encoding that keeps the
 * output within what the next hop accepts.
 *
 * - `7bit` when every byte is ASCII (no NUL, no bare CR/LF) and every line is at most 998 octets;
 * - `8bit` for such text with 8-bit bytes, only when 8BITMIME (or SMTPUTF8) is allowed;
 * - `quoted-printable` for mostly-ASCII text (it stays readable);
 * - `base64` for everything else, binary in particular.
 *
 * @since 0.1.0
 */
import * as Base64 from "./Base64.ts"
import * as QuotedPrintable from "./QuotedPrintable.ts"

export type Encoding = "7bit" | "8bit" | "quoted-printable" | "base64"

interface Stats {
  readonly high: number
  /** High bytes that start a character (not UTF-8 continuation bytes). */
  readonly highChars: number
  /** CR or LF not in a CRLF pair: fine in text (normalised), fatal for binary content in 7bit/8bit. */
  readonly bareBreaks: number
  readonly control: number
  readonly longLine: boolean
}

const stats = (bytes: Uint8Array): Stats => {
  let high = 0
  let highChars = 0
  let bareBreaks = 0
  let control = 0
  let line = 0
  let longLine = false
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] ?? 0
    if (c === 10) {
      if (bytes[i - 1] !== 13) bareBreaks++
      line = 0
      continue
    }
    if (c === 13 && bytes[i + 1] === 10) continue
    if (++line > 998) longLine = true
    if (c > 0x7f) {
      high++
      if (c >= 0xc0 || c < 0x80) highChars++
    }
    else if (c === 0 || c === 13 || (c < 32 && c !== 9) || c === 127) control++
  }
  return { high, highChars, bareBreaks, control, longLine }
}

/**
 * Picks the encoding for `bytes`. `text` says whether line breaks are meaningful (text/* bodies); binary content
 * is always base64 unless it happens to be 7-bit clean text.
 */
export const choose = (bytes: Uint8Array, options: { readonly text: boolean; readonly allow8bit?: boolean }): Encoding => {
  const s = stats(bytes)
  if (s.control > 0 || (!options.text && s.bareBreaks > 0)) return "base64"
  if (!s.longLine && s.high === 0) return "7bit"
  if (!options.text) return "base64"
  if (!s.longLine && options.allow8bit === true) return "8bit"
  // "Mostly ASCII" by characters, not bytes: a UTF-8 character counts once however many bytes it takes.
  return s.highChars * 4 <= bytes.length - (s.high - s.highChars) ? "quoted-printable" : "base64"
}

/** Normalises line breaks to CRLF (text bodies only). */
export const toCrlf = (text: string): string => text.replace(/\r\n|\r|\n/g, "\r\n")

/**
 * Encodes `bytes` with `encoding`. The result decodes to exactly `bytes` (line breaks as CRLF) and ends with a
 * line break only if the content does: inside a multipart, the CRLF before a delimiter belongs to the delimiter.
 */
export const encode = (bytes: Uint8Array, encoding: Encoding): string => {
  switch (encoding) {
    case "base64":
      return Base64.encode(bytes)
    case "quoted-printable":
      return QuotedPrintable.encode(bytes)
    default:
      return toCrlf(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(encoding === "7bit" ? "latin1" : "utf8"))
  }
}

/**
 * Ends an encoded body that closes a message with CRLF, changing the content as little as the encoding allows:
 * a quoted-printable soft break adds nothing, base64 ignores line breaks, and 7bit/8bit text gains a final newline.
 */
export const terminate = (encoded: string, encoding: Encoding): string =>
  encoded === "" || encoded.endsWith("\r\n") ? encoded : encoded + (encoding === "quoted-printable" ? "=\r\n" : "\r\n")


