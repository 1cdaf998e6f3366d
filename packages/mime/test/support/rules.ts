/**
 * Why Cartero's reading of a corpus message may differ from mailparser's, and where we believe ours is right.
 *
 * Two kinds of entries:
 * - normalisations, applied to both sides before comparing (differences of presentation, not of content);
 * - rules, each a condition detected on our parse tree that explains a difference on named fields, plus a short
 *   list of individual files whose difference is explained one by one.
 * Every difference not covered here fails the differential test.
 */
import type * as Part from "../../src/Part.ts"
import * as P from "../../src/Part.ts"
import type { Summary } from "./oracle.ts"

export type Field = keyof Summary

/** Presentation-only normalisation of a field value, applied to both sides. */
export const normalise = (field: Field, value: unknown): unknown => {
  if (typeof value === "string") {
    // RFC 5322 §2.2.3: unfolding keeps the folding whitespace; mailparser turns it into one space.
    if (field === "subject") return value.replace(/\s+/g, " ").trim() || undefined
    // mailparser drops the final line break of format=flowed text and of a last empty part; whitespace at the very
    // end of the combined text carries no content.
    if (field === "text") return value.trimEnd() || undefined
    // mailparser adds an empty HTML entry for every text part outside multipart/alternative (its text-to-HTML
    // conversion is off here); entries are compared without those and without whitespace at their edges.
    if (field === "html") return value.split("<br/>\n").map((s) => s.trim()).filter((s) => s !== "").join("<br/>\n") || undefined
  }
  if (field === "attachments" && Array.isArray(value)) return value
  return value
}

/** A rule: when `applies` holds for our tree, differences in `fields` are expected, for `reason`. */
export interface Rule {
  readonly id: string
  readonly fields: ReadonlyArray<Field>
  readonly reason: string
  readonly applies: (root: Part.Part) => boolean
}

const some = (root: Part.Part, f: (p: Part.Part) => boolean): boolean => {
  for (const p of P.walk(root)) if (f(p)) return true
  return false
}
const hasDefect = (root: Part.Part, kind: string) => some(root, (p) => p.defects.some((d) => d.kind === kind))

export const rules: ReadonlyArray<Rule> = [
  {
    id: "inline-rfc822",
    fields: ["text", "html", "attachments"],
    reason:
      "mailparser merges a message/rfc822 part marked `inline` into the outer message (its parts become the outer text and attachments, plus a synthesized header summary); we keep an encapsulated message as one attachment, as RFC 2046 §5.2.1 describes it",
    applies: (root) => some(root, (p) => p.message !== undefined && p.disposition?.type === "inline")
  },
  {
    id: "digest-default",
    fields: ["text", "html", "attachments"],
    reason: "a part of multipart/digest without Content-Type is message/rfc822 (RFC 2046 §5.1.5); mailparser reads it as text/plain",
    applies: (root) => some(root, (p) => p.parts.some((c) => !c.contentType.valid && p.contentType.subtype === "digest"))
  },
  {
    id: "invalid-content-type",
    fields: ["text", "html", "attachments"],
    reason: "a Content-Type without a valid type/subtype means text/plain (RFC 2045 §5.2, as Python does); mailparser keeps the bad type and makes the part an attachment",
    applies: (root) => hasDefect(root, "InvalidContentType")
  },
  {
    id: "missing-boundary",
    fields: ["text", "html", "attachments"],
    reason: "multipart without a boundary parameter: we show the body as text/plain (as Python does); mailparser drops it",
    applies: (root) => hasDefect(root, "MissingBoundaryParameter")
  },
  {
    id: "bare-cr",
    fields: ["subject", "from", "to", "text", "html", "attachments"],
    reason: "CR-only line endings (classic Mac OS): we read them as line breaks; mailparser sees one endless header line",
    applies: (root) => hasDefect(root, "BareCarriageReturns")
  },
  {
    id: "encoded-rfc822",
    fields: ["text", "html", "attachments"],
    reason: "message/rfc822 with base64/QP encoding (forbidden by RFC 2046 §5.2.1): we keep it as an opaque leaf",
    applies: (root) => hasDefect(root, "EncodedMessage")
  }
]

/**
 * Individually explained files: path → fields → reason.
 */
const lostComma = "two mailboxes without the separating comma: we return both, mailparser only the first"
const pythonBody =
  "a part whose header block holds a line that is neither a field nor a continuation: the line starts the body (CPython's reading, MissingHeaderBodySeparatorDefect); mailparser skips the line and shows no body"
const spacedBoundary =
  "boundary parameter ending in spaces: matched exactly as given, so a line that lacks one space stays in the body, which is what the mime4j test expects; mailparser trims the boundary and splits there"
const htmlWithBoundary =
  "text/html carrying a boundary parameter: only multipart types have boundaries (RFC 2046 §5.1.1), so the body is the HTML source verbatim; mailparser splits it as if it were multipart"

export const files: Readonly<Record<string, Partial<Record<Field, string>>>> = {
  "cpython/msg_38.txt": { text: "outer delimiters inside inner parts close the inner multiparts: our tree is the one CPython's test_nested_inner_contains_outer_boundary expects" },
  "cpython/msg_40.txt": { html: htmlWithBoundary },
  "nodemailer-mailparser/spam.eml": { html: htmlWithBoundary },
  "cpython/msg_47.txt": { text: pythonBody, html: pythonBody },
  "enmime/parts/multi-malformed.raw": { text: pythonBody },
  "mime-tools/multi-badnames.msg": {
    text: "a part whose body is one empty line: that line break belongs to the delimiter (RFC 2046 §5.1.1), so the body is empty; mailparser keeps a newline"
  },
  "mime4j/testmsgs/very-long-boundary.msg": { text: spacedBoundary },
  "mime4j/testmsgs/very-very-long-boundary.msg": { text: spacedBoundary },
  "mime4j/testmsgs/weird-boundary.msg": { text: spacedBoundary },
  "stalwart-mail-parser/malformed/019.eml": { text: "fuzzed message (boundary case differs, duplicated header fragments): we give a best-effort tree with defects, mailparser gives no text" },
  "sisimai-set-of-emails/maildir/bsd/lhost-apachejames-01.eml": {
    text: "`boundary=` folded without leading whitespace: we join the lost parameter to the Content-Type (as enmime's bad-header-wrap test expects) and find the text part; mailparser loses the boundary"
  },
  "enmime/mail/malformed-multiple-address-header-values.raw": { from: lostComma },
  "mikel-mail/plain_emails/raw_email_multiple_from.eml": { from: lostComma, to: lostComma },
  "mikel-mail/rfc2822/example11.eml": { to: "obsolete domain with spaces around the dots (RFC 5322 §4.4, `test  . example`): we join the atoms, mailparser drops the tail" },
  "mikel-mail/rfc2822/example13.eml": { from: "obsolete spaces before the colon in field names (RFC 5322 §4.5 `From  :`): we read the field, mailparser ignores it" },
  "mimekit/messages/feedback-report.txt": { from: "UTF-8 byte order mark before the first field: we skip it, mailparser reads a field named \uFEFFFrom" },
  "flanker/outlook-express.eml": { attachments: "raw UTF-8 in a header parameter (RFC 6532): we decode it as UTF-8 (it spells U+FFFD characters the sender already had), mailparser as latin1" },
  "flanker/russian-attachment-yahoo.eml": { attachments: "raw UTF-8 file name cut in the middle of a character: we decode it as UTF-8 with one U+FFFD, mailparser as latin1 mojibake" },
  "mikel-mail/attachment_emails/attachment_with_encoded_name.eml": { attachments: "RFC 2231 name labelled iso-2022-jp containing byte 0x8A, invalid in that charset: TextDecoder gives U+FFFD, iconv-lite drops the byte" },
  "mikel-mail/error_emails/content_transfer_encoding_empty.eml": { html: "Big5 bytes in the HKSCS extension range: Node's WHATWG Big5 table and iconv-lite's differ on a few code points" },
  "php-mime-mail-parser/issue230": { text: "x-mac-cyrillic 0xA2: the WHATWG index (Node) maps it to U+0490, iconv-lite to U+00A2" }
}

const c1 = "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178"

/**
 * Rule "mislabelled-8bit": 8-bit text that is not valid UTF-8 in a part labelled us-ascii (or unlabelled), or in a
 * header. mailparser decodes it as UTF-8 with U+FFFD for every bad sequence; we read it as windows-1252, which
 * keeps every character. Checked exactly: our text, encoded back to windows-1252 bytes and decoded as lossy
 * UTF-8, must give mailparser's text.
 */
export const isLossyUtf8Of = (ours: string, them: string): boolean => {
  if (!them.includes("\uFFFD")) return false
  const bytes: Array<number> = []
  for (const ch of ours) {
    const code = ch.codePointAt(0) ?? 0
    const i = c1.indexOf(ch)
    if (code >= 0x80 && code <= 0x9f && i < 0) return false
    if (i >= 0) bytes.push(0x80 + i)
    else if (code <= 0xff) bytes.push(code)
    else return false
  }
  return new TextDecoder("utf-8").decode(Uint8Array.from(bytes)) === them
}
