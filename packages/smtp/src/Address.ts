/**
 * RFC 5321 mailboxes (`local-part@domain`) and reverse paths, with RFC 6531 internationalised addresses.
 *
 * Parsing is strict where RFC 5321 is strict (no comments, no source routes kept, no control characters) and
 * produces a normalised value: domains are lower-cased and, when internationalised, NFC-normalised with their
 * ASCII (A-label) form available through {@link asciiDomain}. UTF-8 in the local part or domain is only accepted
 * when the client asked for SMTPUTF8 (`smtpUtf8: true`). Length limits: local part 64 octets, domain 255 octets,
 * path 256 octets (RFC 5321 §4.5.3.1).
 *
 * @since 0.1.0
 */
import { Data, Result } from "effect"
import { domainToASCII } from "node:url"

/** A mailbox. `localPart` is kept as given (case preserved, quotes removed); `domain` is normalised. */
export interface Address {
  readonly localPart: string
  /** Lower-cased domain name (U-labels for IDNs), or an address literal such as `[127.0.0.1]`. */
  readonly domain: string
}

/** Why an address was refused. */
export type AddressErrorReason =
  | "Empty"
  | "Syntax"
  | "LocalPartTooLong"
  | "DomainTooLong"
  | "PathTooLong"
  | "ControlCharacter"
  | "Utf8NotAllowed"
  | "InvalidDomain"
  | "InvalidAddressLiteral"

/** A malformed address. The server answers `501 5.1.3` (recipients) or `501 5.1.7` (senders). */
export class AddressError extends Data.TaggedError("AddressError")<{
  readonly input: string
  readonly reason: AddressErrorReason
  readonly detail: string
}> {
  override get message(): string {
    return `invalid address: ${this.detail}`
  }
}

/** Options for parsing. */
export interface ParseOptions {
  /** The client announced SMTPUTF8 for this transaction (RFC 6531): UTF-8 is allowed. */
  readonly smtpUtf8?: boolean
}

/**
 * UTF-8 length of a string without encoding it (three checks per MAIL/RCPT path: `TextEncoder.encode` allocated a
 * buffer each time and was ≈ 9 % of the pipeline's CPU in docs/benchmarks.md "Round 3"). A lone surrogate counts
 * 3 octets, as `TextEncoder` writes it as U+FFFD.
 */
const octets = (s: string): number => {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) {
      n += 1
    } else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // a surrogate pair: two UTF-16 units, four octets
      n += 2
      i++
    } else {
      n += 2
    }
  }
  return n
}

const controls = /[\u0000-\u001f\u007f-\u009f]/
// Invisible formatting characters: zero-width space, direction marks and overrides, word joiner, BOM. They have no
// place in an address and make look-alike ones (smtp-server refuses the same). Zero-width (non-)joiners are kept:
// some scripts need them in IDNs.
const invisible = /[\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/
const nonAscii = /[^\u0000-\u007f]/
// Labels of letters, digits and hyphens, 1–63 long, no hyphen at either end, dot-separated.
const ldhDomain = /^(?!-)[a-z0-9-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/

const fail = (input: string, reason: AddressErrorReason, detail: string) =>
  Result.fail(new AddressError({ input, reason, detail }))

// Dot-atoms of RFC 5321 atext plus, under RFC 6531, any non-ASCII character; one pattern each rather than a split
// into atoms (every address of every message goes through here).
const dotAtomAscii = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/
const dotAtomUtf8 =
  /^(?:[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]|[^\u0000-\u007f])+(?:\.(?:[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]|[^\u0000-\u007f])+)*$/u

const isDotAtom = (s: string, utf8: boolean): boolean => (utf8 ? dotAtomUtf8 : dotAtomAscii).test(s)

/** Parses a quoted string body (between the quotes), returning the unescaped text or undefined. */
const unquote = (body: string, utf8: boolean): string | undefined => {
  let out = ""
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] ?? ""
    if (ch === "\\") {
      const nextCh = body[i + 1]
      // quoted-pairSMTP = %d92 %d32-126
      if (nextCh === undefined || nextCh < " " || nextCh > "~") return undefined
      out += nextCh
      i++
    } else if (ch === "\"") {
      return undefined
    } else if ((ch >= " " && ch <= "~") || (utf8 && nonAscii.test(ch))) {
      out += ch
    } else {
      return undefined
    }
  }
  return out
}

const parseIPv4 = (s: string): boolean => {
  const parts = s.split(".")
  return parts.length === 4 && parts.every((p) => /^(?:0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)
}

const parseIPv6 = (s: string): boolean => {
  // IPv6-addr = full / comp / v4-full / v4-comp (RFC 5321 §4.1.3)
  let body = s
  let groupsNeeded = 8
  const lastColon = s.lastIndexOf(":")
  const tail = s.slice(lastColon + 1)
  if (tail.includes(".")) {
    if (!parseIPv4(tail)) return false
    body = s.slice(0, lastColon + 1) + "0:0"
  }
  if (body.includes(":::")) return false
  const doubles = body.split("::").length - 1
  if (doubles > 1) return false
  const hex = /^[0-9a-fA-F]{1,4}$/
  if (doubles === 1) {
    const [left = "", right = ""] = body.split("::")
    const l = left === "" ? [] : left.split(":")
    const r = right === "" ? [] : right.split(":")
    return [...l, ...r].every((g) => hex.test(g)) && l.length + r.length <= groupsNeeded - 1
  }
  const groups = body.split(":")
  groupsNeeded = 8
  return groups.length === groupsNeeded && groups.every((g) => hex.test(g))
}

/** Normalises and validates a domain: lower case, NFC, each label LDH in its A-label form. */
const normaliseDomain = (input: string, domain: string, utf8: boolean): Result.Result<string, AddressError> => {
  if (domain.startsWith("[")) {
    if (!domain.endsWith("]")) return fail(input, "InvalidAddressLiteral", "unterminated address literal")
    const inner = domain.slice(1, -1)
    if (parseIPv4(inner)) return Result.succeed(domain)
    if (/^ipv6:/i.test(inner) && parseIPv6(inner.slice(5))) return Result.succeed(`[IPv6:${inner.slice(5).toLowerCase()}]`)
    return fail(input, "InvalidAddressLiteral", `unsupported address literal ${domain}`)
  }
  if (domain.length === 0) return fail(input, "InvalidDomain", "empty domain")
  if (nonAscii.test(domain) && !utf8) {
    return fail(input, "Utf8NotAllowed", "internationalised domain without SMTPUTF8")
  }
  const international = nonAscii.test(domain)
  const lower = international ? domain.normalize("NFC").toLowerCase() : domain.toLowerCase()
  const ascii = international ? domainToASCII(lower) : lower
  if (ascii === "") return fail(input, "InvalidDomain", `domain ${JSON.stringify(domain)} is not a valid IDN`)
  if (octets(ascii) > 255) return fail(input, "DomainTooLong", "domain longer than 255 octets")
  if (!ldhDomain.test(ascii)) return fail(input, "InvalidDomain", `invalid domain ${JSON.stringify(domain)}`)
  return Result.succeed(lower)
}

/**
 * Parses a mailbox `local@domain` (no angle brackets). Accepts dot-atom and quoted-string local parts, domain
 * names and address literals.
 */
export const parseMailbox = (input: string, options?: ParseOptions): Result.Result<Address, AddressError> => {
  const utf8 = options?.smtpUtf8 === true
  if (input.length === 0) return fail(input, "Empty", "empty address")
  if (controls.test(input)) return fail(input, "ControlCharacter", "address contains a control character")
  if (invisible.test(input)) return fail(input, "ControlCharacter", "address contains an invisible formatting character")
  if (!utf8 && nonAscii.test(input)) return fail(input, "Utf8NotAllowed", "non-ASCII address without SMTPUTF8")
  let localPart: string
  let rest: string
  if (input.startsWith("\"")) {
    // find the closing quote, honouring backslash escapes
    let i = 1
    for (; i < input.length; i++) {
      if (input[i] === "\\") i++
      else if (input[i] === "\"") break
    }
    if (i >= input.length) return fail(input, "Syntax", "unterminated quoted local part")
    const unq = unquote(input.slice(1, i), utf8)
    if (unq === undefined) return fail(input, "Syntax", "invalid quoted local part")
    localPart = unq
    rest = input.slice(i + 1)
    if (!rest.startsWith("@")) return fail(input, "Syntax", "expected @ after quoted local part")
    rest = rest.slice(1)
  } else {
    const at = input.lastIndexOf("@")
    if (at <= 0) return fail(input, "Syntax", at === 0 ? "empty local part" : "missing @")
    localPart = input.slice(0, at)
    rest = input.slice(at + 1)
    if (!isDotAtom(localPart, utf8)) return fail(input, "Syntax", `invalid local part ${JSON.stringify(localPart)}`)
  }
  if (octets(localPart) > 64) return fail(input, "LocalPartTooLong", "local part longer than 64 octets")
  const domain = normaliseDomain(input, rest, utf8)
  if (Result.isFailure(domain)) return Result.fail(domain.failure)
  const address: Address = { localPart, domain: domain.success }
  if (octets(format(address)) + 2 > 256) return fail(input, "PathTooLong", "path longer than 256 octets")
  return Result.succeed(address)
}

/**
 * Parses a path as it appears after `MAIL FROM:` or `RCPT TO:` (with angle brackets; a source route
 * `@a,@b:` is accepted and ignored as RFC 5321 §4.1.1.3 requires). `<>` is the null reverse path, returned as
 * `null` only when `allowNull` is set (senders).
 */
export const parsePath = (
  input: string,
  options?: ParseOptions & { readonly allowNull?: boolean }
): Result.Result<Address | null, AddressError> => {
  const trimmed = input.trim()
  if (!trimmed.startsWith("<") || !trimmed.endsWith(">")) return fail(input, "Syntax", "path must be enclosed in <>")
  let inner = trimmed.slice(1, -1)
  if (inner === "") {
    return options?.allowNull === true ? Result.succeed(null) : fail(input, "Empty", "empty path")
  }
  const sourceRoute = /^@[^:]*:/.exec(inner)
  if (sourceRoute !== null) inner = inner.slice(sourceRoute[0].length)
  return parseMailbox(inner, options)
}

/** A path and the text after it, as {@link splitPath} finds them. */
export interface PathSplit {
  /** The path, `<` to `>` included (or the first word, when the argument does not start with `<`). */
  readonly path: string
  /** What follows the path: the ESMTP parameters. */
  readonly rest: string
}

/**
 * Finds the path at the start of the argument of `MAIL FROM:` / `RCPT TO:` (the text after the colon): `<` up to the
 * `>` that is not inside a quoted local part (`<"a>b c"@example.com>`), and the parameters after it. An argument
 * that does not start with `<` gives its first word (for {@link parsePath} to refuse); a `<` that is never closed
 * gives `undefined`.
 */
export const splitPath = (argument: string): PathSplit | undefined => {
  if (!argument.startsWith("<")) {
    const end = argument.search(/\s/)
    return end < 0 ? { path: argument, rest: "" } : { path: argument.slice(0, end), rest: argument.slice(end) }
  }
  if (!argument.includes("\"")) {
    const end = argument.indexOf(">")
    return end < 0 ? undefined : { path: argument.slice(0, end + 1), rest: argument.slice(end + 1) }
  }
  let quoted = false
  for (let i = 1; i < argument.length; i++) {
    const c = argument.charCodeAt(i)
    if (quoted) {
      if (c === 92) i++
      else if (c === 34) quoted = false
    } else if (c === 34) {
      quoted = true
    } else if (c === 62) {
      return { path: argument.slice(0, i + 1), rest: argument.slice(i + 1) }
    }
  }
  return undefined
}

const needsQuoting = (local: string): boolean => !isDotAtom(local, true)

/** Renders the local part, quoting it when it is not a dot-atom. */
export const formatLocalPart = (local: string): string =>
  needsQuoting(local) ? `"${local.replace(/(["\\])/g, "\\$1")}"` : local

/** Renders the mailbox as `local@domain`. `format(parse(x))` is a fixed point. */
export const format = (address: Address): string => `${formatLocalPart(address.localPart)}@${address.domain}`

/** Renders a reverse or forward path with angle brackets (`<>` for the null reverse path). */
export const formatPath = (address: Address | null): string => (address === null ? "<>" : `<${format(address)}>`)

/** The domain in ASCII (A-label) form, for DNS. Address literals are returned unchanged. */
export const asciiDomain = (address: Address): string =>
  address.domain.startsWith("[") || !nonAscii.test(address.domain) ? address.domain : domainToASCII(address.domain)

/** Whether the address needs SMTPUTF8 to be transmitted (non-ASCII local part or domain). */
export const isInternational = (address: Address): boolean => nonAscii.test(address.localPart) || nonAscii.test(address.domain)

/** Builds an address from parts already known to be valid (e.g. configuration checked elsewhere). */
export const make = (localPart: string, domain: string): Address => ({ localPart, domain: domain.toLowerCase() })

/** Case-insensitive domain comparison, ASCII form. */
export const sameDomain = (a: string, b: string): boolean =>
  (nonAscii.test(a) ? domainToASCII(a.toLowerCase()) : a.toLowerCase()) === (nonAscii.test(b) ? domainToASCII(b.toLowerCase()) : b.toLowerCase())
