/**
 * The reader's view of a parsed message: subject, addresses, date, the text and HTML bodies and the attachments,
 * derived from a {@link Part.Part} tree with the rules mail clients (and mailparser) use:
 *
 * - a leaf is message text when it is text/plain, text/html or message/delivery-status and its disposition is
 *   absent or `inline`; every other leaf is an attachment;
 * - text parts are joined with `\n`, HTML parts with `<br/>\n`; line breaks in text become `\n`;
 * - an encapsulated message (message/rfc822) is one attachment (its raw bytes, when the source is given), not
 *   merged into the outer message's text.
 *
 * @since 0.1.0
 */
import * as AddressList from "./AddressList.ts"
import type * as Defect from "./Defect.ts"
import type * as Headers from "./Headers.ts"
import * as MailDate from "./MailDate.ts"
import * as Parser from "./Parser.ts"
import * as Part from "./Part.ts"

/** An attachment (or an inline non-text part, such as an embedded image). */
export interface Attachment {
  readonly filename: string | undefined
  /** Lowercase `type/subtype`. */
  readonly contentType: string
  readonly disposition: string | undefined
  /** Content-ID without angle brackets. */
  readonly contentId: string | undefined
  /** Decoded content; empty when the message was parsed for structure only. */
  readonly content: Uint8Array
  readonly part: Part.Part
}

/** A parsed message, summarised. */
export interface Message {
  readonly root: Part.Part
  readonly headers: Headers.Headers
  readonly subject: string | undefined
  readonly from: ReadonlyArray<AddressList.Mailbox>
  readonly to: ReadonlyArray<AddressList.Mailbox>
  readonly cc: ReadonlyArray<AddressList.Mailbox>
  readonly replyTo: ReadonlyArray<AddressList.Mailbox>
  readonly date: Date | undefined
  readonly messageId: string | undefined
  readonly text: string | undefined
  readonly html: string | undefined
  readonly attachments: ReadonlyArray<Attachment>
  /** Defects of the whole tree. */
  readonly defects: ReadonlyArray<Defect.Defect>
}

/** Whether a leaf counts as message text rather than an attachment (see the module doc). */
export const isText = Part.isText

// RFC 5322 §3.6 allows one of each field. A repeated From is usually a duplicate, so only the first counts; repeated
// recipient fields are merged so that no recipient is hidden.
const addresses = (headers: Headers.Headers, name: string): Array<AddressList.Mailbox> => {
  const fields = name === "from" ? headers.getAll(name).slice(0, 1) : headers.getAll(name)
  return fields.flatMap((f) => AddressList.mailboxes(AddressList.parseList(f.value)))
}

/** Summarises a parsed tree; pass the `source` bytes to get the content of encapsulated messages. */
export const fromPart = (root: Part.Part, source?: Uint8Array): Message => {
  const text: Array<string> = []
  const html: Array<string> = []
  const attachments: Array<Attachment> = []
  const stack: Array<Part.Part> = [root]
  while (stack.length > 0) {
    const part = stack.pop()
    if (part === undefined) break
    if (part.parts.length > 0 || (Part.isMultipart(part) && part.message === undefined)) {
      for (let i = part.parts.length - 1; i >= 0; i--) {
        const child = part.parts[i]
        if (child !== undefined) stack.push(child)
      }
      continue
    }
    if (part.message !== undefined || !isText(part)) {
      const content =
        part.message !== undefined
          ? (source?.subarray(part.bodyOffset, part.bodyOffset + part.bodyLength) ?? new Uint8Array(0))
          : (part.body ?? new Uint8Array(0))
      const cid = part.headers.get("content-id")?.value.replace(/^\s*<|>\s*$/g, "")
      attachments.push({ filename: Part.filename(part), contentType: part.contentType.mediaType, disposition: part.disposition?.type, contentId: cid, content, part })
      continue
    }
    const t = Part.text(part).replace(/\r\n?/g, "\n")
    if (part.contentType.mediaType === "text/html") html.push(t)
    else text.push(t)
  }
  const h = root.headers
  const date = h.get("date")
  return {
    root,
    headers: h,
    subject: h.get("subject")?.decoded,
    from: addresses(h, "from"),
    to: addresses(h, "to"),
    cc: addresses(h, "cc"),
    replyTo: addresses(h, "reply-to"),
    date: date === undefined ? undefined : MailDate.parse(date.value),
    messageId: h.get("message-id")?.value,
    text: text.length > 0 ? text.join("\n") : undefined,
    html: html.length > 0 ? html.join("<br/>\n") : undefined,
    attachments,
    defects: Part.defects(root)
  }
}

/** Parses and summarises a whole message held in memory. */
export const parse = (message: Uint8Array | string, options?: Parser.Options): Message => {
  const bytes = typeof message === "string" ? Buffer.from(message, "utf8") : message
  return fromPart(Parser.parse(bytes, options), bytes)
}
