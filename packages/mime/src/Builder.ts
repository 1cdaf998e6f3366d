/**
 * Composing messages: headers folded at 78 columns, RFC 2047 names and subjects, multipart/alternative for text +
 * HTML, multipart/related for inline parts, multipart/mixed for attachments, Message-ID and Date, and a transfer
 * encoding per part so that the output is 7-bit clean unless 8BITMIME or SMTPUTF8 is allowed. Every line ends
 * with CRLF and is at most 998 octets.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import * as AddressList from "./AddressList.ts"
import * as EncodedWord from "./EncodedWord.ts"
import * as Headers from "./Headers.ts"
import * as MailDate from "./MailDate.ts"
import * as TransferEncoding from "./TransferEncoding.ts"

/** A mailbox to render: an address and an optional display name. */
export interface Mailbox {
  readonly address: string
  readonly name?: string
}

/** An attached or inline file. */
export interface Attachment {
  readonly content: Uint8Array | string
  readonly filename?: string
  /** Defaults to application/octet-stream (text/plain for string content). */
  readonly contentType?: string
  /** For inline (related) parts referenced from HTML as `cid:...`. */
  readonly contentId?: string
}

/** What to build. */
export interface Spec {
  readonly from: Mailbox | string
  readonly to?: ReadonlyArray<Mailbox | string>
  readonly cc?: ReadonlyArray<Mailbox | string>
  readonly replyTo?: ReadonlyArray<Mailbox | string>
  readonly subject?: string
  readonly text?: string
  readonly html?: string
  /** Parts shown with the HTML (multipart/related), referenced by Content-ID. */
  readonly inline?: ReadonlyArray<Attachment>
  readonly attachments?: ReadonlyArray<Attachment>
  /** Extra header fields, rendered after the standard ones in order. */
  readonly headers?: ReadonlyArray<{ readonly name: string; readonly value: string }>
  /** Defaults to now. */
  readonly date?: Date
  /** Without angle brackets; defaults to a random id at the sender's domain. */
  readonly messageId?: string
  readonly inReplyTo?: string
  readonly references?: ReadonlyArray<string>
  /** The next hop accepts 8BITMIME: text may travel as 8bit. */
  readonly allow8bit?: boolean
  /** The next hop accepts SMTPUTF8: headers may carry raw UTF-8 (RFC 6532), text may travel as 8bit. */
  readonly utf8?: boolean
}

const mailbox = (m: Mailbox | string): Mailbox => (typeof m === "string" ? { address: m } : m)

/** A random boundary; its `=_` can never occur in base64 or quoted-printable output. */
export const boundary = (): string => `=_cartero_${randomBytes(12).toString("hex")}`

/** A fresh Message-ID (without angle brackets) at `domain`. */
export const messageId = (domain: string): string => `${Date.now().toString(36)}.${randomBytes(9).toString("hex")}@${domain}`

const tspecials = /[()<>@,;:\\"/[\]?=\s]/

/** Renders one MIME parameter: plain, quoted, or RFC 2231 (`name*=utf-8''...`, continued when long). */
export const param = (name: string, value: string): string => {
  if (!/[^\x20-\x7e]/.test(value)) {
    const quote = (v: string) => (tspecials.test(v) || v === "" ? `"${v.replace(/(["\\])/g, "\\$1")}"` : v)
    if (value.length <= 60) return `${name}=${quote(value)}`
    // Long values are split into RFC 2231 continuations so that folding never has to cut inside one.
    const pieces = value.match(/[\s\S]{1,60}/g) ?? []
    return pieces.map((p, i) => `${name}*${i}=${quote(p)}`).join("; ")
  }
  const encoded = Array.from(Buffer.from(value, "utf8"))
    .map((b) => (/[A-Za-z0-9!#$&+\-.^_`|~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : "%" + b.toString(16).toUpperCase().padStart(2, "0")))
    .join("")
  if (encoded.length <= 60) return `${name}*=utf-8''${encoded}`
  const pieces: Array<string> = []
  let rest = encoded
  while (rest.length > 0) {
    let cut = Math.min(60, rest.length)
    // Never split a %XX escape.
    if (rest[cut - 1] === "%") cut -= 1
    else if (rest[cut - 2] === "%") cut -= 2
    pieces.push(rest.slice(0, cut))
    rest = rest.slice(cut)
  }
  return pieces.map((p, i) => `${name}*${i}*=${i === 0 ? "utf-8''" : ""}${p}`).join("; ")
}

/** A node of the MIME tree being built. */
interface Node {
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly body: string | ReadonlyArray<Node>
  readonly subtype?: string
  readonly encoding?: TransferEncoding.Encoding
}

const leaf = (bytes: Uint8Array, contentType: string, isText: boolean, allow8bit: boolean, extra: ReadonlyArray<readonly [string, string]>): Node => {
  const encoding = TransferEncoding.choose(bytes, { text: isText, allow8bit })
  return {
    headers: [["Content-Type", contentType], ["Content-Transfer-Encoding", encoding], ...extra],
    body: TransferEncoding.encode(bytes, encoding),
    encoding
  }
}

const textLeaf = (text: string, subtype: string, allow8bit: boolean): Node =>
  leaf(Buffer.from(TransferEncoding.toCrlf(text), "utf8"), `text/${subtype}; charset=utf-8`, true, allow8bit, [])

const attachmentLeaf = (a: Attachment, disposition: "attachment" | "inline", allow8bit: boolean): Node => {
  const isString = typeof a.content === "string"
  const bytes = typeof a.content === "string" ? Buffer.from(a.content, "utf8") : a.content
  const type = a.contentType ?? (isString ? "text/plain; charset=utf-8" : "application/octet-stream")
  const typeWithName = a.filename === undefined ? type : `${type}; ${param("name", a.filename)}`
  const extra: Array<readonly [string, string]> = [
    ["Content-Disposition", a.filename === undefined ? disposition : `${disposition}; ${param("filename", a.filename)}`]
  ]
  if (a.contentId !== undefined) extra.push(["Content-ID", `<${a.contentId.replace(/^<|>$/g, "")}>`])
  // Raw bytes may be in any charset; only text we encoded as UTF-8 ourselves may travel as 8bit.
  return leaf(bytes, typeWithName, type.startsWith("text/"), allow8bit && isString, extra)
}

const multipart = (subtype: string, children: ReadonlyArray<Node>): Node => ({ headers: [], body: children, subtype })

/** Renders a node; its content ends without the CRLF that the enclosing delimiter (or the caller) adds. */
const render = (node: Node, out: Array<string>): void => {
  for (const [name, value] of node.headers) out.push(Headers.fold(name, value))
  if (typeof node.body === "string") {
    out.push("\r\n", node.body)
    return
  }
  const b = boundary()
  out.push(Headers.fold("Content-Type", `multipart/${node.subtype ?? "mixed"}; boundary="${b}"`), "\r\n")
  for (const child of node.body) {
    out.push(`--${b}\r\n`)
    render(child, out)
    // RFC 2046 §5.1.1: the CRLF before a delimiter is part of the delimiter, not of the part.
    out.push("\r\n")
  }
  out.push(`--${b}--`)
}

/** Builds the MIME body tree for a spec (without the top-level message headers). */
const tree = (spec: Spec, allow8bit: boolean): Node => {
  const text = spec.text === undefined ? undefined : textLeaf(spec.text, "plain", allow8bit)
  let html = spec.html === undefined ? undefined : textLeaf(spec.html, "html", allow8bit)
  if (html !== undefined && spec.inline !== undefined && spec.inline.length > 0) {
    html = multipart("related", [html, ...spec.inline.map((a) => attachmentLeaf(a, "inline", allow8bit))])
  }
  let body: Node = text !== undefined && html !== undefined ? multipart("alternative", [text, html]) : (html ?? text ?? textLeaf("", "plain", allow8bit))
  if (spec.attachments !== undefined && spec.attachments.length > 0) {
    body = multipart("mixed", [body, ...spec.attachments.map((a) => attachmentLeaf(a, "attachment", allow8bit))])
  }
  return body
}

/** Renders the message as a string of CRLF lines (ASCII unless 8-bit transport was allowed). */
export const format = (spec: Spec): string => {
  const utf8 = spec.utf8 === true
  const allow8bit = utf8 || spec.allow8bit === true
  const from = mailbox(spec.from)
  const domain = from.address.includes("@") ? from.address.slice(from.address.lastIndexOf("@") + 1) : "localhost"
  const out: Array<string> = []
  const opts = { utf8 }
  out.push(Headers.fold("Date", MailDate.format(spec.date ?? new Date())))
  out.push(Headers.fold("Message-ID", `<${(spec.messageId ?? messageId(domain)).replace(/^<|>$/g, "")}>`))
  out.push(Headers.fold("From", AddressList.formatMailbox(from, opts)))
  const lists: ReadonlyArray<readonly [string, ReadonlyArray<Mailbox | string> | undefined]> = [["To", spec.to], ["Cc", spec.cc], ["Reply-To", spec.replyTo]]
  for (const [name, list] of lists) {
    if (list !== undefined && list.length > 0) out.push(Headers.fold(name, AddressList.format(list.map(mailbox), opts)))
  }
  if (spec.subject !== undefined) out.push(Headers.fold("Subject", utf8 ? spec.subject : EncodedWord.encode(spec.subject)))
  if (spec.inReplyTo !== undefined) out.push(Headers.fold("In-Reply-To", `<${spec.inReplyTo.replace(/^<|>$/g, "")}>`))
  if (spec.references !== undefined && spec.references.length > 0) {
    out.push(Headers.fold("References", spec.references.map((r) => `<${r.replace(/^<|>$/g, "")}>`).join(" ")))
  }
  for (const h of spec.headers ?? []) out.push(Headers.format(h.name, h.value, opts))
  out.push("MIME-Version: 1.0\r\n")
  const body = tree(spec, allow8bit)
  render(body, out)
  const last = out.pop() ?? ""
  out.push(typeof body.body === "string" ? TransferEncoding.terminate(last, body.encoding ?? "7bit") : last + "\r\n")
  return out.join("")
}

/** Builds a message as bytes. Synchronous and pure apart from the random boundary and default Date/Message-ID. */
export const build = (spec: Spec): Uint8Array => Buffer.from(format(spec), "utf8")
