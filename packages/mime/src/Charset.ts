/**
 * Charset decoding for text bodies and encoded words, on top of Node's `TextDecoder` (WHATWG encodings, full ICU).
 *
 * Unknown labels do not fail: bytes that are valid UTF-8 are read as UTF-8, anything else as windows-1252 (which
 * maps every byte to a character), and the caller learns that the charset was unknown so it can record a defect.
 *
 * @since 0.1.0
 */
import { TextDecoder } from "node:util"

/** A decoded string and whether the requested charset was honoured. */
export interface Decoded {
  readonly text: string
  readonly known: boolean
}

const decoders = new Map<string, TextDecoder | undefined>()
const aliases: Record<string, string> = {
  "utf8": "utf-8",
  "latin1": "iso-8859-1",
  "latin-1": "iso-8859-1",
  "ansi_x3.4-1968": "us-ascii",
  "ascii": "us-ascii",
  "ks_c_5601": "euc-kr",
  "x-sjis": "shift_jis",
  "sjis": "shift_jis",
  "cp932": "shift_jis",
  "windows-31j": "shift_jis",
  "x-gbk": "gbk",
  "cp936": "gbk",
  "cp949": "euc-kr",
  "iso-8859-8-i": "iso-8859-8",
  "x-user-defined": "windows-1252",
  "default": "utf-8",
  "charset": "utf-8"
}

const decoderFor = (label: string): TextDecoder | undefined => {
  const key = label.trim().replace(/^["']|["']$/g, "").toLowerCase()
  if (decoders.has(key)) return decoders.get(key)
  let decoder: TextDecoder | undefined
  const candidates = [key, aliases[key], key.replace(/^x-/, ""), key.replace(/_/g, "-"), key.replace(/^(cp|win)-?(\d+)$/, "windows-$2")]
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === "") continue
    try {
      decoder = new TextDecoder(candidate)
      break
    } catch {
      // not a label Node knows; try the next spelling
    }
  }
  decoders.set(key, decoder)
  return decoder
}

/** Whether `label` names a charset this module can decode. */
export const isKnown = (label: string): boolean => decoderFor(label) !== undefined || /^(unicode-1-1-)?utf-7$/i.test(label.trim())

const utf8Fatal = new TextDecoder("utf-8", { fatal: true })
const utf8 = new TextDecoder("utf-8")

// Node 20's TextDecoder reads windows-1252 (and the labels WHATWG maps to it: iso-8859-1, us-ascii, ...) as plain
// latin1, leaving C1 controls where senders meant curly quotes, dashes and the euro sign. Map 0x80-0x9F ourselves.
const c1 = "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178"
const windows1252 = {
  decode: (bytes: Uint8Array): string =>
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      .toString("latin1")
      .replace(/[\x80-\x9f]/g, (c) => c1[c.charCodeAt(0) - 0x80] ?? c)
}

/** True when every byte is below 0x80, i.e. the bytes are the same in every ASCII-compatible charset. */
export const isAscii = (bytes: Uint8Array): boolean => {
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] ?? 0) > 0x7f) return false
  return true
}

/**
 * Decodes bytes of unknown charset: as UTF-8 when they are UTF-8 (allowing a few broken sequences, such as a
 * character cut in half by a length limit), otherwise as windows-1252, the usual legacy charset.
 */
export const decodeGuess = (bytes: Uint8Array): string => {
  try {
    return utf8Fatal.decode(bytes)
  } catch {
    const lossy = utf8.decode(bytes)
    let bad = 0
    let good = 0
    for (let i = 0; i < lossy.length; i++) {
      const c = lossy.charCodeAt(i)
      if (c === 0xfffd) bad++
      else if (c > 0x7f) good++
    }
    return good >= 4 * bad ? lossy : windows1252.decode(bytes)
  }
}

/** Decodes `bytes` in `charset`; see the module doc for the fallback. */
export const decode = (bytes: Uint8Array, charset: string | undefined): Decoded => {
  if (charset === undefined || charset === "") return { text: utf8.decode(bytes), known: true }
  if (/^iso-2022-jp/i.test(charset.trim()) && !isAscii(bytes)) {
    // ISO-2022-JP is 7-bit; 8-bit bytes mean the label is wrong. Japanese mail then is UTF-8 or Shift_JIS.
    try {
      return { text: utf8Fatal.decode(bytes), known: true }
    } catch {
      return { text: new TextDecoder("shift_jis").decode(bytes), known: true }
    }
  }
  const decoder = decoderFor(charset)
  if (decoder !== undefined) return { text: (decoder.encoding === "windows-1252" ? windows1252 : decoder).decode(bytes), known: true }
  if (/^(unicode-1-1-)?utf-7$/i.test(charset.trim())) return { text: decodeUtf7(bytes), known: true }
  return { text: decodeGuess(bytes), known: false }
}

const b64 = (c: number): number => {
  if (c >= 65 && c <= 90) return c - 65
  if (c >= 97 && c <= 122) return c - 71
  if (c >= 48 && c <= 57) return c + 4
  if (c === 43) return 62
  if (c === 47) return 63
  return -1
}

/** RFC 2152 UTF-7, which TextDecoder lacks but old mail still uses. */
const decodeUtf7 = (bytes: Uint8Array): string => {
  let out = ""
  let i = 0
  while (i < bytes.length) {
    const c = bytes[i] ?? 0
    if (c !== 43) {
      out += String.fromCharCode(c)
      i++
      continue
    }
    i++
    if (bytes[i] === 45) {
      out += "+"
      i++
      continue
    }
    let bits = 0
    let acc = 0
    const units: Array<number> = []
    while (i < bytes.length) {
      const v = b64(bytes[i] ?? 0)
      if (v < 0) break
      acc = (acc << 6) | v
      bits += 6
      if (bits >= 16) {
        bits -= 16
        units.push((acc >> bits) & 0xffff)
      }
      i++
    }
    if (bytes[i] === 45) i++
    out += String.fromCharCode(...units)
  }
  return out
}
