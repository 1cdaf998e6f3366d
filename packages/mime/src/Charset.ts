/**
 * Charset decoding for text bodies and encoded words, on top of Node's `TextDecoder` (WHATWG encodings, full ICU).
 *
 * Unknown labels do not fail: bytes that are valid UTF-8 are read as UTF-8, anything else as windows-1252 (which
 * maps every byte to a character), and the caller learns that the charset was unknown so it can record a defect.
 *
 * @since 0.1.0
 */
import { isUtf8 } from "node:buffer"
import { TextDecoder } from "node:util"

/** A decoded string and whether the requested charset was honoured. */
export interface Decoded {
  readonly text: string
  readonly known: boolean
}

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

/** Most decoders kept: a message names a few charsets, and a hostile one naming thousands must not grow memory. */
export const CACHE_SIZE = 32

/**
 * Decoders by normalised label, least recently used first (a `Map` keeps insertion order; a hit is moved to the
 * end). Only labels that name a decoder are kept: an unknown label is not stored, so new labels cannot grow it.
 */
const decoders = new Map<string, TextDecoder>()
/** The label looked up last, and its decoder: a run of one charset skips the reordering. */
let lastKey = ""
let lastDecoder: TextDecoder | undefined
/** The one unknown label remembered: a message repeating an unknown charset looks it up once. */
let lastUnknown = ""

/**
 * What a label may look like to be tried at all. IANA charset names are at most 40 characters (RFC 2978) of letters,
 * digits and `-_.:+()`; with room for an `x-` or `win` spelling, anything longer or made of other characters cannot
 * name a decoder, and is answered unknown without a try.
 */
const plausible = /^[a-z0-9][a-z0-9_.:+()-]{0,63}$/

/** `new TextDecoder(label)`, or undefined when Node does not know the label. */
const tryDecoder = (label: string): TextDecoder | undefined => {
  // Node throws for an unknown label; without stack traces a failed try costs ~1 µs rather than ~5.
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return new TextDecoder(label)
  } catch {
    return undefined
  } finally {
    Error.stackTraceLimit = limit
  }
}

const decoderFor = (label: string): TextDecoder | undefined => {
  const key = label.trim().replace(/^["']|["']$/g, "").toLowerCase()
  if (key === lastKey) return lastDecoder
  const cached = decoders.get(key)
  if (cached !== undefined) {
    decoders.delete(key)
    decoders.set(key, cached)
  } else if (key === lastUnknown || !plausible.test(key)) return undefined
  let decoder = cached
  if (decoder === undefined) {
    const tried = new Set<string>()
    const candidates = [key, aliases[key], key.replace(/^x-/, ""), key.replace(/_/g, "-"), key.replace(/^(cp|win)-?(\d+)$/, "windows-$2")]
    for (const candidate of candidates) {
      if (candidate === undefined || candidate === "" || tried.has(candidate)) continue
      tried.add(candidate)
      decoder = tryDecoder(candidate)
      if (decoder !== undefined) break
    }
    if (decoder === undefined) {
      lastUnknown = key
      return undefined
    }
    decoders.set(key, decoder)
    if (decoders.size > CACHE_SIZE) {
      const oldest = decoders.keys().next()
      if (oldest.done !== true) decoders.delete(oldest.value)
    }
  }
  lastKey = key
  lastDecoder = decoder
  return decoder
}

/**
 * How many decoders are cached (never more than {@link CACHE_SIZE}).
 *
 * @internal
 */
export const cachedDecoders = (): number => decoders.size

/** Whether `label` names a charset this module can decode. */
export const isKnown = (label: string): boolean => decoderFor(label) !== undefined || /^(unicode-1-1-)?utf-7$/i.test(label.trim())

const utf8 = new TextDecoder("utf-8")

// Node 20's TextDecoder reads windows-1252 (and the labels WHATWG maps to it: iso-8859-1, us-ascii, ...) as plain
// latin1, leaving C1 controls where senders meant curly quotes, dashes and the euro sign. Map 0x80-0x9F ourselves.
const c1 = "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178"
const c1Bytes = /[\x80-\x9f]/

const windows1252 = {
  decode: (bytes: Uint8Array): string => {
    const latin1 = (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString("latin1")
    if (!c1Bytes.test(latin1)) return latin1
    // Mapped through a table rather than a replacement callback per character (a megabyte of them took 200 ms).
    const utf16 = Buffer.allocUnsafe(bytes.length * 2)
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i] ?? 0
      const u = b >= 0x80 && b <= 0x9f ? c1.charCodeAt(b - 0x80) : b
      utf16[2 * i] = u & 0xff
      utf16[2 * i + 1] = u >>> 8
    }
    return utf16.toString("utf16le")
  }
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
  // Checked without decoding: a failed fatal decode throws, which costs microseconds per header line of 8-bit text.
  if (isUtf8(bytes)) return utf8.decode(bytes)
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

/** Decodes `bytes` in `charset`; see the module doc for the fallback. */
export const decode = (bytes: Uint8Array, charset: string | undefined): Decoded => {
  if (charset === undefined || charset === "") return { text: utf8.decode(bytes), known: true }
  if (/^iso-2022-jp/i.test(charset.trim()) && !isAscii(bytes)) {
    // ISO-2022-JP is 7-bit; 8-bit bytes mean the label is wrong. Japanese mail then is UTF-8 or Shift_JIS.
    return { text: isUtf8(bytes) ? utf8.decode(bytes) : (decoderFor("shift_jis") ?? utf8).decode(bytes), known: true }
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

/**
 * RFC 2152 UTF-7, which TextDecoder lacks but old mail still uses. The UTF-16 code units are written as
 * little-endian bytes into one buffer (at most one unit per input byte) and decoded natively: collecting them in an
 * array and spreading it into `String.fromCharCode` overflowed the stack on a long run.
 */
const decodeUtf7 = (bytes: Uint8Array): string => {
  const out = Buffer.allocUnsafe(bytes.length * 2)
  let n = 0
  let i = 0
  while (i < bytes.length) {
    const c = bytes[i] ?? 0
    if (c !== 43) {
      out[n++] = c
      out[n++] = 0
      i++
      continue
    }
    i++
    if (bytes[i] === 45) {
      out[n++] = 43
      out[n++] = 0
      i++
      continue
    }
    let bits = 0
    let acc = 0
    while (i < bytes.length) {
      const v = b64(bytes[i] ?? 0)
      if (v < 0) break
      acc = (acc << 6) | v
      bits += 6
      if (bits >= 16) {
        bits -= 16
        const unit = (acc >> bits) & 0xffff
        out[n++] = unit & 0xff
        out[n++] = unit >>> 8
      }
      i++
    }
    if (bytes[i] === 45) i++
  }
  return out.toString("utf16le", 0, n)
}
