/**
 * The differential-test harness: the same summary of a message computed by Cartero and by mailparser (the
 * dev-only oracle), so the two can be compared field by field.
 */
import { createHash } from "node:crypto"
import { simpleParser, type AddressObject, type EmailAddress } from "mailparser"
import * as AddressList from "../../src/AddressList.ts"
import * as Message from "../../src/Message.ts"
import * as Parser from "../../src/Parser.ts"
import * as Part from "../../src/Part.ts"

export interface Summary {
  readonly subject: string | undefined
  readonly from: ReadonlyArray<string>
  readonly to: ReadonlyArray<string>
  readonly text: string | undefined
  readonly html: string | undefined
  readonly attachments: ReadonlyArray<string>
}

const sha = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex").slice(0, 16)

/**
 * An attachment as name, size and hash. Line breaks at the end of an encapsulated message are dropped on both
 * sides: mailparser cuts the embedded message's final line break along with the delimiter's, while we keep it
 * (RFC 2046 §5.1.1 gives only the CRLF right before the delimiter to the delimiter).
 */
const att = (name: string | undefined, content: Uint8Array, type: string): string => {
  let end = content.length
  if (type === "message/rfc822" || type === "message/global") while (end > 0 && (content[end - 1] === 10 || content[end - 1] === 13)) end--
  const c = content.subarray(0, end)
  return `${name ?? "-"}|${c.length}|${sha(c)}`
}

const flat = (list: ReadonlyArray<EmailAddress>): Array<string> =>
  list.flatMap((a) => (a.group !== undefined ? flat(a.group) : [a.address ?? ""])).filter((a) => a !== "")

const oracleAddresses = (v: AddressObject | ReadonlyArray<AddressObject> | undefined): Array<string> =>
  v === undefined ? [] : (Array.isArray(v) ? v : [v as AddressObject]).flatMap((o) => flat(o.value))

/** mailparser's view. */
export const oracle = async (bytes: Buffer): Promise<Summary> => {
  const m = await simpleParser(bytes, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, keepDeliveryStatus: false })
  return {
    subject: m.subject,
    from: oracleAddresses(m.from),
    to: oracleAddresses(m.to),
    text: typeof m.text === "string" && m.text !== "" ? m.text : undefined,
    html: typeof m.html === "string" && m.html !== "" ? m.html : undefined,
    attachments: m.attachments.map((a) => att(a.filename, a.content, a.contentType))
  }
}

/**
 * Ours, projected the way mailparser presents a message (its `processNode`): text parts are joined with `\n`,
 * HTML parts with `<br/>\n`, and outside multipart/alternative each text part also contributes an empty HTML
 * entry (and each HTML part an empty text entry), which is what mailparser emits with its conversions turned off.
 * Encapsulated messages are attachments holding their raw bytes, as in both parsers.
 */
export const ours = (bytes: Buffer): Summary => {
  const root = Parser.parse(bytes)
  const m = Message.fromPart(root, bytes)
  const leaves = [...Part.walk(root)].filter((p) => p.parts.length === 0 && !Part.isMultipart(p) && p.message === undefined && Message.isText(p) && !insideMessage(root, p))
  const hasText = leaves.some((p) => p.contentType.mediaType !== "text/html")
  const hasHtml = leaves.some((p) => p.contentType.mediaType === "text/html")
  const text: Array<string> = []
  const html: Array<string> = []
  const visit = (part: Part.Part, alternative: boolean): void => {
    if (part.message !== undefined) return
    if (part.parts.length === 0 && !Part.isMultipart(part) && Message.isText(part)) {
      const t = Part.text(part).replace(/\r?\n/g, "\n")
      if (part.contentType.mediaType === "text/html") {
        if ((!alternative && hasText) || (part === root && !hasText)) text.push("")
        html.push(t)
      } else {
        text.push(t)
        if (!alternative && hasHtml) html.push("")
      }
    }
    const alt = alternative || part.contentType.mediaType === "multipart/alternative"
    for (const child of part.parts) visit(child, alt)
  }
  visit(root, false)
  const joinedText = text.join("\n")
  const joinedHtml = html.join("<br/>\n")
  return {
    subject: m.subject,
    from: m.from.map((a) => a.address).filter((a) => a !== ""),
    to: m.to.map((a) => a.address).filter((a) => a !== ""),
    text: joinedText === "" ? undefined : joinedText,
    html: joinedHtml === "" ? undefined : joinedHtml,
    attachments: m.attachments.map((a) => att(a.filename, a.content, a.contentType))
  }
}

const insideMessage = (root: Part.Part, target: Part.Part): boolean => {
  for (const part of Part.walk(root)) if (part.message !== undefined && [...Part.walk(part.message)].includes(target)) return true
  return false
}

export const mailboxes = AddressList.mailboxes
