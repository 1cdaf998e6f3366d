/**
 * What the API shows of one message, computed from its bytes with `@cartero/mime`: the summary of a listing and the
 * full view (headers, text, sanitised HTML, parts). Pure functions; reading the file is `Mailboxes`' job.
 *
 * Parts are the leaves of the MIME tree in document order (an encapsulated message/rfc822 is one leaf: it is not
 * opened); a part's `index` is its position in that order, and is how it is downloaded.
 *
 * @since 0.1.0
 */
import { AddressList, Headers, MailDate, Parser, Part } from "@cartero/mime"
import * as Sanitise from "./Sanitise.ts"

/** A listing's line. */
export interface Summary {
  readonly from: string
  readonly to: ReadonlyArray<string>
  readonly subject: string
  /** The Date header, or the arrival when it is missing or unreadable. */
  readonly date: Date
  readonly attachments: number
  readonly snippet: string
}

/** One leaf part. */
export interface PartInfo {
  readonly index: number
  readonly contentType: string
  readonly filename?: string
  /** Decoded size in octets. */
  readonly size: number
  readonly disposition: "inline" | "attachment"
  readonly contentId?: string
}

/** The body of a message as shown. */
export interface Body {
  readonly cc: ReadonlyArray<string>
  readonly headers: ReadonlyArray<{ readonly name: string; readonly value: string }>
  readonly text?: string
  readonly html?: string
  readonly parts: ReadonlyArray<PartInfo>
  /** True when text or HTML was cut at the limit, or the file was only read in part. */
  readonly truncated: boolean
}

/** Limits of what is shown. */
export interface Limits {
  /** Longest text (and HTML) shown, in characters; longer is cut. */
  readonly maxTextChars: number
  readonly snippetChars: number
}

export const defaultLimits: Limits = { maxTextChars: 1_000_000, snippetChars: 160 }

/** A mailbox as display text: `Name <address>`, or the bare address, or the name. */
export const display = (m: AddressList.Mailbox): string =>
  m.name === "" ? m.address : m.address === "" ? m.name : `${m.name} <${m.address}>`

const mailboxesOf = (headers: Headers.Headers, name: string): Array<string> => {
  const fields = name === "from" ? headers.getAll(name).slice(0, 1) : headers.getAll(name)
  return fields.flatMap((f) => AddressList.mailboxes(AddressList.parseList(f.value))).map(display)
}

/** The leaves of a tree, in document order; encapsulated messages are leaves. */
export const leaves = (root: Part.Part): Array<Part.Part> => {
  const out: Array<Part.Part> = []
  const stack: Array<Part.Part> = [root]
  while (stack.length > 0) {
    const part = stack.pop()
    if (part === undefined) break
    if (part.message === undefined && part.parts.length > 0) {
      for (let i = part.parts.length - 1; i >= 0; i--) {
        const child = part.parts[i]
        if (child !== undefined) stack.push(child)
      }
    } else if (part.message !== undefined || !Part.isMultipart(part)) out.push(part)
  }
  return out
}

const contentIdOf = (part: Part.Part): string | undefined => {
  const value = part.headers.get("content-id")?.value.trim().replace(/^<|>$/g, "")
  return value === undefined || value === "" ? undefined : value
}

/** Whether a leaf is shown as message text rather than listed as an attachment. */
const isShownText = (part: Part.Part): boolean => part.message === undefined && Part.isText(part) && part.contentType.mediaType !== "message/delivery-status"

// A non-text part with a Content-ID is referenced by the HTML (an embedded image) unless it says otherwise.
const isAttachment = (part: Part.Part): boolean =>
  part.disposition?.type === "attachment" || (!isShownText(part) && contentIdOf(part) === undefined)

/** Decoded bytes of a leaf; for an encapsulated message, its raw bytes in `source`. */
export const bytesOf = (part: Part.Part, source: Uint8Array): Uint8Array =>
  part.message !== undefined ? source.subarray(part.bodyOffset, part.bodyOffset + part.bodyLength) : (part.body ?? new Uint8Array(0))

const infoOf = (part: Part.Part, index: number, content: Uint8Array): PartInfo => {
  const filename = Part.filename(part)
  const contentId = contentIdOf(part)
  return {
    index,
    contentType: part.message !== undefined ? "message/rfc822" : part.contentType.mediaType,
    ...(filename === undefined ? {} : { filename }),
    size: content.byteLength,
    disposition: isAttachment(part) ? "attachment" : "inline",
    ...(contentId === undefined ? {} : { contentId })
  }
}

const collapse = (text: string): string => text.replace(/\s+/g, " ").trim()

const cut = (text: string, max: number): { readonly text: string; readonly cut: boolean } =>
  text.length > max ? { text: text.slice(0, max), cut: true } : { text, cut: false }

/** Text of an HTML fragment for a snippet (tags dropped; never rendered, so no sanitising needed). */
const htmlToText = (html: string): string =>
  html.replace(/<(script|style|head)[\s\S]*?<\/\1\s*>/gi, " ").replace(/<[^>]*>/g, " ").replace(/&nbsp;/gi, " ").replace(/&amp;/gi, "&").replace(/&lt;/gi, "<").replace(/&gt;/gi, ">")

/** The summary of a message's bytes; `arrival` stands in for a missing Date. */
export const summary = (bytes: Uint8Array, arrival: Date, limits: Limits = defaultLimits): Summary => {
  const root = Parser.parse(bytes)
  const h = root.headers
  const all = leaves(root)
  const dateField = h.get("date")
  const date = dateField === undefined ? undefined : MailDate.parse(dateField.value)
  const firstText = all.find((p) => isShownText(p) && p.contentType.mediaType === "text/plain") ?? all.find(isShownText)
  const raw = firstText === undefined ? "" : cut(Part.text(firstText), limits.snippetChars * 20).text
  const plain = firstText?.contentType.mediaType === "text/html" ? htmlToText(raw) : raw
  return {
    from: mailboxesOf(h, "from")[0] ?? "",
    to: mailboxesOf(h, "to"),
    subject: collapse(h.get("subject")?.decoded ?? ""),
    date: date ?? arrival,
    attachments: all.filter(isAttachment).length,
    snippet: collapse(plain).slice(0, limits.snippetChars)
  }
}

/** The full view of a message's bytes; `partUrl` makes the URL of a part (for `cid:` images). */
export const body = (bytes: Uint8Array, partUrl: (index: number) => string, limits: Limits = defaultLimits): Body => {
  const root = Parser.parse(bytes)
  const h = root.headers
  const all = leaves(root)
  const parts = all.map((part, index) => infoOf(part, index, bytesOf(part, bytes)))
  const byCid = new Map<string, number>()
  for (const p of parts) if (p.contentId !== undefined) byCid.set(p.contentId, p.index)
  const texts: Array<string> = []
  const htmls: Array<string> = []
  all.forEach((part) => {
    if (!isShownText(part)) return
    const decoded = Part.text(part).replace(/\r\n?/g, "\n")
    if (part.contentType.mediaType === "text/html") htmls.push(decoded)
    else texts.push(decoded)
  })
  const text = cut(texts.join("\n"), limits.maxTextChars)
  const rawHtml = cut(htmls.join("<br/>\n"), limits.maxTextChars)
  const html = htmls.length === 0 ? undefined : Sanitise.html(rawHtml.text, (cid) => {
    const index = byCid.get(cid)
    return index === undefined ? undefined : partUrl(index)
  })
  return {
    cc: mailboxesOf(h, "cc"),
    headers: h.fields.map((f) => ({ name: f.name, value: f.decoded })),
    ...(texts.length === 0 ? {} : { text: text.text }),
    ...(html === undefined ? {} : { html }),
    parts,
    truncated: text.cut || rawHtml.cut
  }
}

/** The leaf `index` of a message's bytes with its decoded content, or `undefined` when there is no such part. */
export const part = (bytes: Uint8Array, index: number): { readonly info: PartInfo; readonly content: Uint8Array; readonly charset: string | undefined } | undefined => {
  const root = Parser.parse(bytes)
  const leaf = leaves(root)[index]
  if (leaf === undefined) return undefined
  const content = bytesOf(leaf, bytes)
  return {
    info: infoOf(leaf, index, content),
    content,
    charset: Part.charset(leaf)
  }
}
