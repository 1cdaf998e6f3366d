/**
 * Content-Type and Content-Disposition values (RFC 2045 §5, RFC 2183) with parameters, including RFC 2231
 * continuations (`name*0=`, `name*1=`) and charsets (`name*=utf-8''%E2%82%AC`), and the common non-standard RFC 2047
 * encoded words inside quoted parameter values.
 *
 * @since 0.1.0
 */
import * as Charset from "./Charset.ts"
import * as EncodedWord from "./EncodedWord.ts"
import { stripComments } from "./internal/comments.ts"

/** Parameters by lowercase name. */
export type Params = Readonly<Record<string, string>>

/** A parsed Content-Type. */
export interface ContentType {
  /** Lowercase top-level type, e.g. `text`. */
  readonly type: string
  /** Lowercase subtype, e.g. `plain`. */
  readonly subtype: string
  /** `type/subtype`. */
  readonly mediaType: string
  readonly params: Params
  /** False when the header was absent or unusable and the RFC 2045 default was applied. */
  readonly valid: boolean
}

/** A parsed Content-Disposition. */
export interface Disposition {
  /** Lowercase disposition, e.g. `attachment` or `inline`. */
  readonly type: string
  readonly params: Params
}

/** Splits at `;` outside quoted strings; segments keep their quotes so that quoted spaces survive trimming. */
const splitParams = (s: string): Array<string> => {
  if (!s.includes('"')) return s.split(";")
  const parts: Array<string> = []
  let start = 0
  let quoted = false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (quoted) {
      if (c === 92) i++
      else if (c === 34) quoted = false
    } else if (c === 34) quoted = true
    else if (c === 59) {
      parts.push(s.slice(start, i))
      start = i + 1
    }
  }
  parts.push(s.slice(start))
  return parts
}

/** A parameter value: a token, or a quoted string with its escapes removed (an unterminated one runs to the end). */
const unquote = (v: string): string => {
  if (!v.startsWith('"')) return v
  const close = v.indexOf('"', 1)
  if (close > 0 && !v.includes("\\")) return v.slice(1, close)
  let out = ""
  for (let i = 1; i < v.length; i++) {
    const c = v[i] ?? ""
    if (c === "\\" && i + 1 < v.length) out += v[++i] ?? ""
    else if (c === '"') break
    else out += c
  }
  return out
}

const pctDecode = (s: string): Array<number> => {
  const out: Array<number> = []
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 37 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16))
      i += 2
    } else if (c < 0x80) out.push(c)
    else for (const b of Buffer.from(s[i] ?? "", "utf8")) out.push(b)
  }
  return out
}

/**
 * Common parameter names, each mapped to itself. Storing a freshly sliced string as a new key of a null-prototype
 * object is slow in V8 (several hundred ns: the key goes through the runtime to be internalised), and this runs
 * for every part; looking the name up here first hands the store an already internalised string.
 */
const knownNames: Readonly<Record<string, string>> = Object.assign(
  Object.create(null),
  Object.fromEntries(
    ["boundary", "charset", "name", "filename", "format", "delsp", "type", "start", "protocol", "micalg", "report-type", "smime-type", "size", "creation-date", "modification-date", "read-date", "method", "id", "number", "total", "access-type", "differences"].map((n) => [n, n])
  )
)

/** Parses `value; a=b; c="d"` into a lowercase head and its parameters. */
export const parseParams = (value: string): { readonly head: string; readonly params: Params } => {
  // Indexed loops and a map made only when needed: this runs for every part, and destructuring with a rest
  // element, iterating and an unused Map cost more than the parsing itself on a typical one-parameter value.
  const items = splitParams(stripComments(value, ""))
  const head = items[0] ?? ""
  const simple: Record<string, string> = Object.create(null)
  let encoded = false
  let continued: Map<string, Array<{ index: number; value: string; extended: boolean }>> | undefined
  for (let k = 1; k < items.length; k++) {
    const item = items[k] ?? ""
    const eq = item.indexOf("=")
    if (eq < 0) continue
    const sliced = item.slice(0, eq).trim().toLowerCase()
    const key = knownNames[sliced] ?? sliced
    const val = unquote(item.slice(eq + 1).trim())
    // Only RFC 2231 names contain `*`; the common plain name skips the regex.
    const m = key.includes("*") ? /^([^*]+)\*(\d+)?\*?$/.exec(key) : null
    if (m !== null) {
      const name = m[1] ?? key
      const index = Number(m[2] ?? 0)
      const extended = key.endsWith("*")
      continued ??= new Map()
      const list = continued.get(name) ?? []
      list.push({ index, value: val, extended })
      continued.set(name, list)
    } else if (!(key in simple)) {
      simple[key] = val
      if (EncodedWord.has(val)) encoded = true
    }
  }
  if (continued !== undefined) for (const [name, list] of continued) {
    list.sort((a, b) => a.index - b.index)
    let charset: string | undefined
    const bytes: Array<number> = []
    for (const seg of list) {
      let v = seg.value
      if (seg.extended) {
        if (seg.index === 0 || charset === undefined) {
          const q = /^([^']*)'[^']*'(.*)$/s.exec(v)
          if (q !== null) {
            charset = q[1] === "" ? undefined : q[1]
            v = q[2] ?? ""
          }
        }
        for (const b of pctDecode(v)) bytes.push(b)
      } else for (const b of Buffer.from(v, "utf8")) bytes.push(b)
    }
    const text = Charset.decode(Uint8Array.from(bytes), charset ?? "utf-8").text
    simple[name] = text
    if (EncodedWord.has(text)) encoded = true
  }
  // Enumerating a null-prototype object's keys is slow; most values hold no encoded word, so skip it then.
  if (encoded) for (const key of Object.keys(simple)) {
    const v = simple[key] ?? ""
    if (EncodedWord.has(v)) simple[key] = EncodedWord.decode(v)
  }
  return { head: head.trim().toLowerCase(), params: simple }
}

const textDefault: ContentType = Object.freeze({ type: "text", subtype: "plain", mediaType: "text/plain", params: Object.freeze({ charset: "us-ascii" }), valid: false })
const digestDefault: ContentType = Object.freeze({ type: "message", subtype: "rfc822", mediaType: "message/rfc822", params: Object.freeze({}), valid: false })

/**
 * The RFC 2045 §5.2 default, or `message/rfc822` inside multipart/digest (RFC 2046 §5.1.5). One frozen value each,
 * shared by every part that takes it: a message of many bare parts would otherwise hold one per part.
 */
export const defaultFor = (parentSubtype?: string): ContentType => (parentSubtype === "digest" ? digestDefault : textDefault)

/** Parses a Content-Type value; `undefined` when it has no usable `type/subtype`. */
export const parse = (value: string): ContentType | undefined => {
  const { head, params } = parseParams(value)
  const m = /^([a-z0-9!#$&^_.+-]+)\s*\/\s*([a-z0-9!#$&^_.+-]+)$/.exec(head)
  if (m === null) return undefined
  const type = m[1] ?? ""
  const subtype = m[2] ?? ""
  return { type, subtype, mediaType: `${type}/${subtype}`, params, valid: true }
}

/** Parses a Content-Disposition value. */
export const parseDisposition = (value: string): Disposition => {
  const { head, params } = parseParams(value)
  return { type: head, params }
}
