/**
 * The parsed tree: a {@link Part} is a header block plus either a leaf body, child parts (multipart/*) or an
 * encapsulated message (message/rfc822). Offsets and sizes refer to the raw input, so a caller that asked for
 * structure only can still locate every body in the original bytes.
 *
 * @since 0.1.0
 */
import * as Charset from "./Charset.ts"
import type * as ContentType from "./ContentType.ts"
import type * as Defect from "./Defect.ts"
import * as Flowed from "./Flowed.ts"
import type * as Headers from "./Headers.ts"

/** One node of a parsed message. */
export interface Part {
  readonly headers: Headers.Headers
  /** The effective Content-Type (the RFC 2045 default when absent or invalid). */
  readonly contentType: ContentType.ContentType
  readonly disposition: ContentType.Disposition | undefined
  /** Lowercase Content-Transfer-Encoding, `7bit` when absent. */
  readonly transferEncoding: string
  /** Nesting depth: 0 for the top-level message. */
  readonly depth: number
  /** Byte offset of the first header byte in the input. */
  readonly offset: number
  /** Byte offset of the first body byte in the input. */
  readonly bodyOffset: number
  /** Length of the raw (still encoded) body in bytes; for multiparts this spans preamble to epilogue. */
  readonly bodyLength: number
  /** Decoded content of a leaf part; `undefined` for containers and when parsing structure only. */
  readonly body: Uint8Array | undefined
  /** Children of a multipart. */
  readonly parts: ReadonlyArray<Part>
  /** The encapsulated message of a message/rfc822 (or message/global) part. */
  readonly message: Part | undefined
  /** Problems found in this part (not in its children). */
  readonly defects: ReadonlyArray<Defect.Defect>
}

/** Whether a part is a multipart container. */
export const isMultipart = (part: Part): boolean => part.contentType.type === "multipart" && part.body === undefined

/** The file name from Content-Disposition `filename` or Content-Type `name`, if any. */
export const filename = (part: Part): string | undefined => {
  const name = part.disposition?.params["filename"] || part.contentType.params["name"]
  return name === undefined || name === "" ? undefined : name
}

/** The charset parameter, lowercased. */
export const charset = (part: Part): string | undefined => part.contentType.params["charset"]?.toLowerCase()

const textTypes = new Set(["text/plain", "text/html", "message/delivery-status"])

/**
 * Whether a leaf is message text: text/plain, text/html or message/delivery-status with no disposition or
 * `inline` (the rule mail clients and mailparser use).
 */
export const isText = (part: Part): boolean => {
  const d = part.disposition?.type
  return textTypes.has(part.contentType.mediaType) && (d === undefined || d === "" || d === "inline")
}

/** Whether a part is an attachment: a leaf that is not message text, or an encapsulated message. */
export const isAttachment = (part: Part): boolean =>
  part.message !== undefined || (part.parts.length === 0 && !isMultipart(part) && !isText(part))

/**
 * Decodes a text part's body to a string with its declared charset (see {@link Charset.decode} for fallbacks),
 * undoing `format=flowed` (RFC 3676) for text/plain.
 */
export const text = (part: Part): string => {
  if (part.body === undefined) return ""
  const cs = charset(part)
  // 8-bit bytes labelled us-ascii (or not labelled) are mislabelled: guess UTF-8, else windows-1252.
  const decoded = cs === undefined || cs === "us-ascii" || cs === "ascii" ? Charset.decodeGuess(part.body) : Charset.decode(part.body, cs).text
  const params = part.contentType.params
  return part.contentType.mediaType === "text/plain" && params["format"]?.toLowerCase() === "flowed"
    ? Flowed.decode(decoded, params["delsp"]?.toLowerCase() === "yes")
    : decoded
}

/** Every part of the tree in document order (pre-order), encapsulated messages included. Iterative: deep trees are safe. */
export function* walk(root: Part): Generator<Part> {
  const stack: Array<Part> = [root]
  while (stack.length > 0) {
    const part = stack.pop()
    if (part === undefined) break
    yield part
    if (part.message !== undefined) stack.push(part.message)
    for (let i = part.parts.length - 1; i >= 0; i--) {
      const child = part.parts[i]
      if (child !== undefined) stack.push(child)
    }
  }
}

/** Defects of the whole tree. */
export const defects = (root: Part): Array<Defect.Defect> => {
  const out: Array<Defect.Defect> = []
  for (const part of walk(root)) for (const d of part.defects) out.push(d)
  return out
}
