/**
 * Where a recipient's mail lives: `<root>/<domain>/<local>/Maildir`, with names that are safe on any POSIX file
 * system whatever the address contains.
 *
 * - The domain is used in its ASCII (A-label) form, lower case, so one domain has one directory.
 * - The local part is case-folded (NFC, then lower case): `Alice@` and `alice@` share a mailbox, which is what
 *   operators and senders expect (see docs/decisions/local-part-case.md).
 * - Both are then escaped: every character outside a conservative set (letters, digits, non-ASCII letters and
 *   `! # $ & ' * + - = ? ^ _ \` { | } ~ .`) becomes `%XX` (its UTF-8 octets), `%` included, so the mapping is
 *   injective and never yields `/`, NUL or another control character; a leading `.` is escaped too, so a name is
 *   never `.`, `..` or a hidden (Maildir++ folder-like) entry. An empty local part (`""@domain`) becomes a lone `%`, which no escaped name can be.
 *
 * @since 0.1.0
 */
import { Address } from "@cartero/smtp"
import * as Path from "node:path"

const safe = /^[\p{L}\p{N}!#$&'*+\-=?^_`{|}~.]$/u
const encoder = new TextEncoder()

const loneSurrogate = /^[\uD800-\uDFFF]$/

// A lone UTF-16 surrogate has no UTF-8 form (TextEncoder would turn every one into U+FFFD, and two different names
// into the same one), so it gets its own `%uXXXX` form, which no `%XX` escape can produce.
const escape = (char: string): string =>
  loneSurrogate.test(char)
    ? `%u${char.charCodeAt(0).toString(16).toUpperCase()}`
    : Array.from(encoder.encode(char), (b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("")

/** Escapes one path segment (see the module documentation). Never returns `""`, `.`, `..` or a name with `/`. */
export const segment = (text: string): string => {
  let out = ""
  for (const char of text) out += safe.test(char) ? char : escape(char)
  if (out.startsWith(".")) out = `%2E${out.slice(1)}`
  return out === "" ? "%" : out
}

/** Case folding of local parts; the same as the local-domains plugin's, so both agree on who a user is. */
export const foldLocalPart = (localPart: string): string => localPart.normalize("NFC").toLowerCase()

/** The relative directory of the recipient's mailbox: `<domain>/<local>/Maildir`. */
export const relativeDir = (address: Address.Address): string =>
  Path.join(segment(Address.asciiDomain(address).toLowerCase()), segment(foldLocalPart(address.localPart)), "Maildir")

/** The absolute directory of the recipient's mailbox under `root`. */
export const dir = (root: string, address: Address.Address): string => Path.join(Path.resolve(root), relativeDir(address))

const escapeSequence = /%u([0-9A-F]{4})|((?:%[0-9A-F]{2})+)|%/g
const decoder = new TextDecoder("utf-8", { fatal: true })

/**
 * The inverse of {@link segment}: the text a directory name stands for, or `undefined` when the name is not one
 * {@link segment} can produce (a foreign directory, hand-made or from another tool), so readers skip it.
 */
export const unsegment = (name: string): string | undefined => {
  if (name === "%") return ""
  let bad = false
  const text = name.replace(escapeSequence, (whole, surrogate: string | undefined, octets: string | undefined) => {
    if (surrogate !== undefined) return String.fromCharCode(Number.parseInt(surrogate, 16))
    if (octets === undefined) {
      bad = true
      return whole
    }
    const bytes = Uint8Array.from(octets.slice(1).split("%"), (h) => Number.parseInt(h, 16))
    try {
      return decoder.decode(bytes)
    } catch {
      bad = true
      return whole
    }
  })
  return bad || segment(text) !== name ? undefined : text
}
