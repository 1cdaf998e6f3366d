/**
 * Builds the MAIL FROM and RCPT TO command lines, with only the ESMTP parameters the server advertised.
 *
 * Nothing from an envelope can add a line or a parameter: addresses are rendered by `Address.formatPath`, DSN values
 * (ENVID, ORCPT) are stored decoded (as the server's `DsnParams` reads them) and always encoded as xtext here
 * (RFC 3461 §4: `QQ+1` goes out as `QQ+2B1`, the same octets the sender meant), and a final check refuses any
 * command containing CR, LF or NUL (a defect: the envelope codec should have prevented it).
 *
 * @since 0.1.0
 */
import { Address, type Envelope } from "@cartero/smtp"
import type { Capabilities } from "./Capabilities.ts"

/** What a transaction needs from the server, derived from its envelope and message. */
export interface Requirements {
  /** The message has octets above 127 (BODY=8BITMIME, or implied by SMTPUTF8). */
  readonly eightBit: boolean
  /** An address or header needs SMTPUTF8 (RFC 6531). */
  readonly smtpUtf8: boolean
  /** Message size in octets, when known (for SIZE=). */
  readonly size: number | undefined
  /** A `BODY=BINARYMIME` message (RFC 3030 §3): sent with that parameter, by BDAT only. */
  readonly binaryMime?: boolean
}

/** Encodes `value` as xtext (octets outside the safe range as `+XX`). */
export const xtext = (value: string): string => {
  let out = ""
  for (const b of Buffer.from(value, "utf8")) {
    out += b >= 0x21 && b <= 0x7e && b !== 0x2b && b !== 0x3d ? String.fromCharCode(b) : `+${b.toString(16).toUpperCase().padStart(2, "0")}`
  }
  return out
}

/**
 * ORCPT is `addr-type ";" xtext` (e.g. `rfc822;bob@example.org`); the envelope holds the address decoded. A value
 * without a type gets `rfc822`.
 */
const orcptParam = (orcpt: string): string => {
  const semi = orcpt.indexOf(";")
  const type = semi > 0 ? orcpt.slice(0, semi) : "rfc822"
  const addr = semi > 0 ? orcpt.slice(semi + 1) : orcpt
  const cleanType = /^[A-Za-z0-9-]+$/.test(type) ? type : "rfc822"
  return `${cleanType};${xtext(addr)}`
}

const assertSingleLine = (line: string): string => {
  if (/[\r\n\u0000]/.test(line)) throw new Error(`refusing to send a command with CR, LF or NUL: ${JSON.stringify(line)}`)
  return line
}

/**
 * The path as sent: with SMTPUTF8 in use, as stored (U-labels); otherwise an internationalised *domain* goes out in
 * its A-label form (RFC 6531 §3.2 leaves that to the client), which every server understands. A non-ASCII local part
 * has no ASCII form: {@link envelopeNeedsUtf8} makes such a transaction require SMTPUTF8.
 */
export const path = (address: Address.Address | null, utf8: boolean): string =>
  address === null || utf8 ? Address.formatPath(address) : Address.formatPath({ ...address, domain: Address.asciiDomain(address) })

/** Whether this transaction is sent with the SMTPUTF8 parameter. */
export const usesUtf8 = (req: Requirements, caps: Capabilities): boolean => caps.smtpUtf8 && req.smtpUtf8

/** `MAIL FROM:<…>` with SIZE, BODY (BINARYMIME only when the caller checked it is offered), SMTPUTF8, REQUIRETLS, RET and ENVID when advertised and relevant. */
export const mailFrom = (envelope: Envelope.Envelope, req: Requirements, caps: Capabilities): string => {
  const params: Array<string> = []
  if (caps.size !== undefined && req.size !== undefined) params.push(`SIZE=${req.size}`)
  if (req.binaryMime === true) params.push("BODY=BINARYMIME")
  else if (caps.eightBitMime && req.eightBit) params.push("BODY=8BITMIME")
  if (usesUtf8(req, caps)) params.push("SMTPUTF8")
  if (envelope.params.requireTls === true && caps.keywords.has("REQUIRETLS")) params.push("REQUIRETLS")
  if (caps.dsn) {
    if (envelope.params.ret !== undefined) params.push(`RET=${envelope.params.ret}`)
    if (envelope.params.envid !== undefined) params.push(`ENVID=${xtext(envelope.params.envid)}`)
  }
  const from = path(envelope.mailFrom, usesUtf8(req, caps))
  return assertSingleLine(params.length === 0 ? `MAIL FROM:${from}` : `MAIL FROM:${from} ${params.join(" ")}`)
}

/** `RCPT TO:<…>` with NOTIFY and ORCPT when DSN is advertised. `utf8`: see {@link usesUtf8}. */
export const rcptTo = (recipient: Envelope.Recipient, caps: Capabilities, utf8 = false): string => {
  const params: Array<string> = []
  if (caps.dsn) {
    if (recipient.notify !== undefined && recipient.notify.length > 0) {
      // NEVER excludes the others (RFC 3461 §4.1); keep the envelope's order otherwise.
      const notify = recipient.notify.includes("NEVER") ? ["NEVER"] : [...new Set(recipient.notify)]
      params.push(`NOTIFY=${notify.join(",")}`)
    }
    if (recipient.orcpt !== undefined) params.push(`ORCPT=${orcptParam(recipient.orcpt)}`)
  }
  const to = path(recipient.address, utf8)
  return assertSingleLine(params.length === 0 ? `RCPT TO:${to}` : `RCPT TO:${to} ${params.join(" ")}`)
}

const nonAscii = /[^\u0000-\u007f]/

/** Whether the envelope's addresses need SMTPUTF8: a non-ASCII local part (IDN domains have an A-label form). */
export const envelopeNeedsUtf8 = (envelope: Envelope.Envelope): boolean =>
  (envelope.mailFrom !== null && nonAscii.test(envelope.mailFrom.localPart)) ||
  envelope.recipients.some((r) => nonAscii.test(r.address.localPart))
