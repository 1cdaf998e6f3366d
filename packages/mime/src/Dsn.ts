/**
 * Delivery status notifications (RFC 3464, RFC 3462 multipart/report): the bounce a delivery worker sends to the
 * envelope sender when recipients fail (or are delayed).
 *
 * Everything that came from elsewhere (remote reply text, remote host names, recipient addresses, the original
 * envelope id) is sanitised before it is placed in a field: CR, LF, NUL and other controls become spaces and
 * non-ASCII becomes `\x{HHHH}` (RFC 6533 §3), so a hostile remote server cannot inject fields or parts.
 *
 * {@link read} goes the other way, for bounces that arrive: it finds the delivery-status part of a message and
 * reads its field groups. It takes whatever the network sends, so it never throws and its work is linear in the
 * message (each group is read once, by the header parser).
 *
 * @since 0.1.0
 */
import * as AddressList from "./AddressList.ts"
import * as Builder from "./Builder.ts"
import * as Headers from "./Headers.ts"
import { stripComments } from "./internal/comments.ts"
import * as MailDate from "./MailDate.ts"
import * as Parser from "./Parser.ts"
import * as Part from "./Part.ts"

/** What happened to one recipient (RFC 3464 §2.3.3). */
export type Action = "failed" | "delayed" | "delivered" | "relayed" | "expanded"

/** Per-recipient fields. */
export interface Recipient {
  /** The recipient address the report is about (Final-Recipient). */
  readonly finalRecipient: string
  /** The address as originally given (the decoded address of ORCPT), when the sender gave one. */
  readonly originalRecipient?: string
  /** The address type of ORCPT (`rfc822` when not given). */
  readonly originalRecipientType?: string
  readonly action: Action
  /** RFC 3463 enhanced status code, e.g. `5.1.1`. */
  readonly status: string
  /** The remote server's reply, e.g. `550 5.1.1 No such user`; sent as `smtp; <text>`. */
  readonly diagnosticCode?: string
  /** The host that gave the reply. */
  readonly remoteMta?: string
  readonly lastAttemptDate?: Date
  readonly willRetryUntil?: Date
}

/** A DSN to build. */
export interface Spec {
  /** Our host name (Reporting-MTA). */
  readonly reportingMta: string
  /** Sender of the DSN, usually `MAILER-DAEMON@<reportingMta>`. */
  readonly from: string
  /** The envelope sender of the original message. */
  readonly to: string
  readonly recipients: ReadonlyArray<Recipient>
  /** The original message (headers and body, as queued). */
  readonly original: Uint8Array
  /**
   * RET from MAIL FROM: `HDRS` (default) returns the header block only, `FULL` the whole message. Callers pass it
   * for failure reports only: success and delay reports return the headers (as Postfix does; RFC 3461 §4.3 asks
   * for RET in failed DSNs).
   */
  readonly ret?: "HDRS" | "FULL"
  readonly originalEnvelopeId?: string
  readonly arrivalDate?: Date
  readonly date?: Date
  readonly messageId?: string
  /** The next hop accepts 8BITMIME, so an 8-bit original may be returned whole. */
  readonly allow8bit?: boolean
}

/** Makes untrusted text safe for a field value: one line, printable ASCII. */
export const sanitize = (text: string): string =>
  text
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/[^\x20-\x7e]/gu, (c) => `\\x{${(c.codePointAt(0) ?? 0).toString(16).toUpperCase()}}`)
    .replace(/ +/g, " ")
    .trim()

const typed = (kind: string, value: string): string => `${kind}; ${sanitize(value)}`

const headerBlock = (original: Uint8Array): Uint8Array => {
  const buf = Buffer.from(original.buffer, original.byteOffset, original.byteLength)
  const crlf = buf.indexOf("\r\n\r\n")
  const lf = buf.indexOf("\n\n")
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 2 : lf >= 0 ? lf + 1 : buf.length
  return buf.subarray(0, end)
}

/** Bare LF or CR become CRLF so that the report itself is clean. */
const crlf = (bytes: Uint8Array): Buffer => Buffer.from(Buffer.from(bytes).toString("latin1").replace(/\r\n|\r|\n/g, "\r\n"), "latin1")

const longLine = (bytes: Uint8Array): boolean => {
  let line = 0
  for (const b of bytes) {
    if (b === 10) line = 0
    else if (++line > 999) return true
  }
  return false
}

/** Breaks header lines over 998 octets (folding where a break is legal would need parsing; this only keeps the report valid). */
const wrapLongLines = (bytes: Buffer): Buffer => {
  if (!longLine(bytes)) return bytes
  const text = bytes.toString("latin1")
  return Buffer.from(text.split("\r\n").map((line) => (line.length <= 998 ? line : (line.match(/[\s\S]{1,990}/g) ?? []).join("\r\n "))).join("\r\n"), "latin1")
}

const humanText = (spec: Spec): string => {
  const failed = spec.recipients.filter((r) => r.action === "failed")
  const delayed = spec.recipients.filter((r) => r.action === "delayed")
  const lines = [`This is the mail system at host ${sanitize(spec.reportingMta)}.`, ""]
  if (failed.length > 0) lines.push("Your message could not be delivered to one or more recipients. It's attached below.", "")
  else if (delayed.length > 0) lines.push("Delivery of your message has been delayed. The mail system will keep trying.", "")
  else if (spec.recipients.some((r) => r.action === "relayed")) {
    lines.push(
      "Your message was delivered to the recipients listed below, or relayed to a mail system that sends no",
      "delivery notifications (so this is the last one you will get for them).",
      ""
    )
  } else if (spec.recipients.length > 0 && spec.recipients.every((r) => r.action === "delivered")) {
    lines.push("Your message was successfully delivered to the recipients listed below.", "")
  } else lines.push("This is a delivery status notification for your message.", "")
  for (const r of spec.recipients) {
    lines.push(`<${sanitize(r.finalRecipient)}>: ${r.action} (${sanitize(r.status)})`)
    if (r.remoteMta !== undefined) lines.push(`    host ${sanitize(r.remoteMta)} said:`)
    if (r.diagnosticCode !== undefined) lines.push(`    ${sanitize(r.diagnosticCode)}`)
  }
  return lines.join("\r\n") + "\r\n"
}

const statusBody = (spec: Spec): string => {
  const f: Array<string> = [Headers.fold("Reporting-MTA", typed("dns", spec.reportingMta))]
  if (spec.originalEnvelopeId !== undefined) f.push(Headers.fold("Original-Envelope-Id", sanitize(spec.originalEnvelopeId)))
  if (spec.arrivalDate !== undefined) f.push(Headers.fold("Arrival-Date", MailDate.format(spec.arrivalDate)))
  for (const r of spec.recipients) {
    f.push("\r\n")
    if (r.originalRecipient !== undefined) {
      const type = r.originalRecipientType !== undefined && /^[A-Za-z0-9-]{1,32}$/.test(r.originalRecipientType) ? r.originalRecipientType : "rfc822"
      f.push(Headers.fold("Original-Recipient", typed(type, r.originalRecipient)))
    }
    f.push(Headers.fold("Final-Recipient", typed("rfc822", r.finalRecipient)))
    f.push(Headers.fold("Action", r.action))
    const fallback = r.action === "failed" ? "5.0.0" : r.action === "delayed" ? "4.0.0" : "2.0.0"
    f.push(Headers.fold("Status", /^[245]\.\d{1,3}\.\d{1,3}$/.test(r.status) ? r.status : fallback))
    if (r.remoteMta !== undefined) f.push(Headers.fold("Remote-MTA", typed("dns", r.remoteMta)))
    if (r.diagnosticCode !== undefined) f.push(Headers.fold("Diagnostic-Code", typed("smtp", r.diagnosticCode)))
    if (r.lastAttemptDate !== undefined) f.push(Headers.fold("Last-Attempt-Date", MailDate.format(r.lastAttemptDate)))
    if (r.willRetryUntil !== undefined) f.push(Headers.fold("Will-Retry-Until", MailDate.format(r.willRetryUntil)))
  }
  return f.join("")
}

/** Builds the DSN message (bytes, CRLF lines of at most 998 octets). */
export const make = (spec: Spec): Uint8Array => {
  const b = Builder.boundary()
  const anyFailed = spec.recipients.some((r) => r.action === "failed")
  const anyDelayed = spec.recipients.some((r) => r.action === "delayed")
  const success = !anyFailed && !anyDelayed && spec.recipients.length > 0
  const subject = anyFailed
    ? "Undelivered Mail Returned to Sender"
    : anyDelayed
    ? "Delayed Mail (still being retried)"
    : success
    ? "Successful Mail Delivery Report"
    : "Delivery Status Notification"
  const domain = spec.reportingMta
  const original = crlf(spec.original)
  const is8bit = original.some((c) => c > 0x7f)
  // message/rfc822 may only be 7bit/8bit/binary (RFC 2046 §5.2.1): fall back to the headers when the whole
  // message cannot travel unencoded.
  const full = spec.ret === "FULL" && !longLine(original) && (!is8bit || spec.allow8bit === true)
  const returned = full ? original : wrapLongLines(crlf(headerBlock(spec.original)))
  const returnedIs8bit = returned.some((c) => c > 0x7f)
  const head = [
    Headers.fold("Date", MailDate.format(spec.date ?? new Date())),
    Headers.fold("Message-ID", `<${(spec.messageId ?? Builder.messageId(domain)).replace(/^<|>$/g, "")}>`),
    Headers.fold("From", AddressList.formatMailbox({ name: "Mail Delivery System", address: sanitize(spec.from) })),
    Headers.fold("To", `<${sanitize(spec.to)}>`),
    Headers.fold("Subject", subject),
    Headers.fold("Auto-Submitted", "auto-replied"),
    "MIME-Version: 1.0\r\n",
    Headers.fold("Content-Type", `multipart/report; report-type=delivery-status; boundary="${b}"`),
    "\r\n",
    "This is a MIME-encapsulated delivery status notification.\r\n",
    `\r\n--${b}\r\n`,
    "Content-Type: text/plain; charset=us-ascii\r\nContent-Description: Notification\r\nContent-Transfer-Encoding: 7bit\r\n\r\n",
    humanText(spec),
    `\r\n--${b}\r\n`,
    "Content-Type: message/delivery-status\r\nContent-Description: Delivery report\r\nContent-Transfer-Encoding: 7bit\r\n\r\n",
    statusBody(spec),
    `\r\n--${b}\r\n`,
    `Content-Type: ${full ? "message/rfc822" : "text/rfc822-headers"}\r\n`,
    `Content-Description: ${success ? (full ? "Delivered message" : "Message headers") : full ? "Undelivered message" : "Undelivered message headers"}\r\n`,
    `Content-Transfer-Encoding: ${returnedIs8bit ? "8bit" : "7bit"}\r\n\r\n`
  ].join("")
  const tail = `\r\n--${b}--\r\n`
  return Buffer.concat([Buffer.from(head, "latin1"), returned, Buffer.from(tail, "latin1")])
}

/** One recipient's fields as read from a report; typed values (`rfc822; a@b`) without their type. */
export interface ReportedRecipient {
  readonly finalRecipient: string
  readonly originalRecipient: string | undefined
  /** Lowercase, as written (not checked against {@link Action}). */
  readonly action: string
  readonly status: string
  readonly diagnosticCode: string | undefined
  readonly remoteMta: string | undefined
  readonly lastAttemptDate: Date | undefined
  readonly willRetryUntil: Date | undefined
}

/** A delivery status report as read: the per-message fields and one entry per recipient group. */
export interface Report {
  readonly reportingMta: string | undefined
  readonly originalEnvelopeId: string | undefined
  readonly arrivalDate: Date | undefined
  readonly recipients: ReadonlyArray<ReportedRecipient>
}

/** The value of a typed field (`type; value`) without its type; a value with no `;` is taken whole. */
const untyped = (value: string | undefined): string | undefined => {
  if (value === undefined) return undefined
  const semi = value.indexOf(";")
  return (semi < 0 ? value : value.slice(semi + 1)).trim()
}

const dateOf = (value: string | undefined): Date | undefined => (value === undefined ? undefined : MailDate.parse(value))

/**
 * Reads the body of a message/delivery-status part (RFC 3464 §2): groups of fields separated by empty lines, the
 * first about the message, each of the others about one recipient. Never throws; what is missing is undefined.
 */
export const readStatus = (body: Uint8Array | string): Report => {
  const buf = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  const groups: Array<Headers.Headers> = []
  // Each group is cut out first (up to and including its empty line) and parsed alone: handing the header parser
  // the rest of the body would have it search all of it for a NUL, group after group (quadratic). Empty lines
  // between groups make groups with no fields, skipped.
  for (let pos = 0; pos < buf.length; ) {
    let end = pos
    for (;;) {
      const nl = buf.indexOf(10, end)
      const lineEnd = nl < 0 ? buf.length : nl
      const empty = lineEnd === end || (lineEnd === end + 1 && buf[end] === 13)
      end = nl < 0 ? buf.length : nl + 1
      if (empty || nl < 0) break
    }
    const group = Headers.parseBlock(buf.subarray(pos, end))
    if (group.fields.length > 0) groups.push(group)
    pos = end
  }
  const [head, ...rest] = groups
  return {
    reportingMta: untyped(head?.get("reporting-mta")?.value),
    originalEnvelopeId: head?.get("original-envelope-id")?.value,
    arrivalDate: dateOf(head?.get("arrival-date")?.value),
    recipients: rest.map((g) => ({
      finalRecipient: untyped(g.get("final-recipient")?.value) ?? "",
      originalRecipient: untyped(g.get("original-recipient")?.value),
      action: stripComments(g.get("action")?.value ?? "", "").trim().toLowerCase(),
      status: stripComments(g.get("status")?.value ?? "", "").trim(),
      diagnosticCode: untyped(g.get("diagnostic-code")?.value),
      remoteMta: untyped(g.get("remote-mta")?.value),
      lastAttemptDate: dateOf(g.get("last-attempt-date")?.value),
      willRetryUntil: dateOf(g.get("will-retry-until")?.value)
    }))
  }
}

const statusTypes: ReadonlySet<string> = new Set(["message/delivery-status", "message/global-delivery-status"])

/**
 * Reads a DSN: the first message/delivery-status (or RFC 6533 message/global-delivery-status) part of `message`,
 * wherever it sits in the tree. `undefined` when there is none. Never throws on malformed input.
 */
export const read = (message: Uint8Array | string): Report | undefined => {
  for (const part of Part.walk(Parser.parse(message))) {
    if (part.body !== undefined && statusTypes.has(part.contentType.mediaType)) return readStatus(part.body)
  }
  return undefined
}
