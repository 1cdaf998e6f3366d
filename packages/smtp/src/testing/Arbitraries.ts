/**
 * fast-check arbitraries for what reaches the SMTP vocabulary from the network: reply lines as a next hop may write
 * them (any code `000`–`999`, odd texts, broken structure), paths and mailboxes as a client may send them (quoted
 * local parts, `Postmaster`, IDNs, address literals, garbage), and stored envelope JSON (valid, damaged, arbitrary).
 * Used by this package's properties ({@link Properties}), by other packages' tests and by `pnpm --filter
 * @cartero/smtp fuzz`.
 *
 * @since 0.1.0
 */
import fc from "fast-check"
import * as Envelope from "../Envelope.ts"
import * as EnvelopeJson from "../EnvelopeJson.ts"

// --- replies ----------------------------------------------------------------------------------------------------

/** Any reply code a next hop can send, with the usual and the odd ones weighted in. */
export const replyCode: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 999 }),
  fc.constantFrom(0, 1, 99, 150, 220, 221, 250, 251, 260, 299, 334, 354, 399, 421, 450, 451, 452, 499, 500, 550, 554, 559, 570, 599, 600, 999)
)

/** The three digits of a code as written on the wire (`000` for 0). */
export const codeText = (code: number): string => String(code).padStart(3, "0")

/** Text of one reply line: printable ASCII, Unicode, control characters, enhanced-code look-alikes, very long. */
export const lineText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom("", " ", "  two spaces", "\t", "ok\u0000nul", "\u001b[31mred", "2.0.0", "5.1.1 no such user", "4.01.1 odd", "x".repeat(600), `${"y".repeat(479)} z`)
)

/** Text of one line without CR or LF (a line a server writes as such). */
export const singleLineText: fc.Arbitrary<string> = lineText.map((t) => t.replace(/[\r\n]/g, " "))

/** An enhanced code to put on every line, or none (some invalid, some of another class than the reply). */
export const enhancedPrefix: fc.Arbitrary<string | undefined> = fc.option(
  fc.constantFrom("2.0.0", "2.1.5", "4.4.1", "4.7.1", "5.1.1", "5.7.30", "4.01.1", "9.9.9"),
  { nil: undefined }
)

/** A reply's parts: a code, optionally an enhanced code, one to four lines of single-line text. */
export interface ReplyParts {
  readonly code: number
  readonly enhanced: string | undefined
  readonly lines: ReadonlyArray<string>
}

export const replyParts: fc.Arbitrary<ReplyParts> = fc.record({
  code: replyCode,
  enhanced: enhancedPrefix,
  lines: fc.array(singleLineText, { minLength: 1, maxLength: 4 })
})

/** The text of each line, after the code: the enhanced code (if any) and the line's text. */
export const lineTexts = (parts: ReplyParts): Array<string> =>
  parts.lines.map((text) => (parts.enhanced === undefined ? text : text === "" ? parts.enhanced : `${parts.enhanced} ${text}`))

/** The lines of a well-formed reply (continuation lines, then the final one), without line ends. */
export const renderLines = (parts: ReplyParts): Array<string> =>
  lineTexts(parts).map((text, i) => `${codeText(parts.code)}${i === parts.lines.length - 1 ? " " : "-"}${text}`)

/** A well-formed reply as a next hop writes it: CRLF or bare LF line ends, with or without the last one. */
export const wireReply: fc.Arbitrary<string> = fc.record({ parts: replyParts, lf: fc.boolean(), end: fc.boolean() })
  .map(({ end, lf, parts }) => renderLines(parts).join(lf ? "\n" : "\r\n") + (end ? (lf ? "\n" : "\r\n") : ""))

/** Anything where a reply is expected: garbage, mismatched codes, a missing final line, replies with CR/LF inside. */
export const wireAnything: fc.Arbitrary<string> = fc.oneof(
  wireReply,
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.tuple(replyParts, replyCode).map(([p, other]) => [...renderLines(p), `${codeText(other)} mismatched`].join("\r\n")),
  replyParts.map((p) => renderLines(p).map((l) => l.replace(/^(\d{3}) /, "$1-")).join("\r\n")),
  fc.tuple(replyCode, lineText).map(([code, text]) => `${codeText(code)} ${text}`),
  fc.tuple(fc.integer({ min: 0, max: 99_999 }), lineText).map(([n, text]) => `${n}${text}`)
)

/** The lines of a reply as a reader hands them over: arrays of anything, or of reply-like lines. */
export const wireLines: fc.Arbitrary<ReadonlyArray<string>> = fc.oneof(
  fc.array(fc.string({ unit: "binary", maxLength: 30 }), { maxLength: 5 }),
  replyParts.map(renderLines),
  fc.array(fc.tuple(replyCode, fc.constantFrom(" ", "-", ""), lineText).map(([c, s, t]) => `${codeText(c)}${s}${t}`), { maxLength: 5 })
)

// --- addresses --------------------------------------------------------------------------------------------------

const atom = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]{1,8}$/)

/** Local parts: dot-atoms, quoted strings (escapes, spaces, specials), Unicode, broken quoting. */
export const localPart: fc.Arbitrary<string> = fc.oneof(
  fc.array(atom, { minLength: 1, maxLength: 3 }).map((a) => a.join(".")),
  fc.string({ unit: "binary-ascii", maxLength: 12 }).map((s) => `"${s.replace(/(["\\])/g, "\\$1")}"`),
  fc.string({ unit: "binary-ascii", maxLength: 12 }).map((s) => `"${s}"`),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 6 }),
  fc.constantFrom("Postmaster", "postmaster", "a..b", ".a", "a.", "\"\"", "\"a\\\"b\"", "\"a b\"", "\"\\\\\"", "x".repeat(65), "\"ü\"", "José")
)

const label = fc.stringMatching(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?$/)

/** Domains: names, upper case, IDNs, address literals (IPv4, IPv6), broken literals, garbage. */
export const domain: fc.Arbitrary<string> = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join(".")),
  fc.constantFrom("bücher.example", "BÜCHER.Example", "例え.テスト", "xn--bcher-kva.example", "ΑΒΓ.test", "İstanbul.test", "straße.de", "ﬁ.test"),
  fc.constantFrom("[127.0.0.1]", "[IPv6:::1]", "[IPv6:2001:DB8::1]", "[IPv6:::ffff:1.2.3.4]", "[300.1.1.1]", "[IPv6:1::2::3]", "[1.2.3]", "[", "]"),
  fc.string({ unit: "grapheme", maxLength: 10 }),
  fc.constantFrom("", "-a.test", "a-.test", "a..b", `${"a".repeat(63)}.test`, `${"b".repeat(64)}.test`, `${"c.".repeat(130)}test`)
)

/** A mailbox as a client writes it (no angle brackets), sometimes not one at all. */
export const mailbox: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(localPart, domain).map(([l, d]) => `${l}@${d}`),
  fc.constantFrom("Postmaster", "postmaster@", "@example.test", "a@b@c.test", "a@", "@"),
  fc.string({ unit: "grapheme", maxLength: 20 })
)

/** A path as it follows `MAIL FROM:` or `RCPT TO:`: brackets, source routes, `<>`, `<Postmaster>`, spaces, garbage. */
export const path: fc.Arbitrary<string> = fc.oneof(
  mailbox.map((m) => `<${m}>`),
  fc.tuple(fc.constantFrom("@a.test:", "@a.test,@b.test:", "@:", "@[1.2.3.4]:"), mailbox).map(([route, m]) => `<${route}${m}>`),
  fc.tuple(fc.constantFrom(" ", "  ", "\t", ""), mailbox, fc.constantFrom(" ", "", "\t")).map(([a, m, b]) => `${a}<${m}>${b}`),
  fc.constantFrom("<>", "<Postmaster>", "<postmaster>", "<<a@b.test>>", "<a@b.test", "a@b.test>", "< >", "<\"a@b\"@c.test>"),
  fc.string({ unit: "grapheme", maxLength: 24 })
)

// --- envelopes --------------------------------------------------------------------------------------------------

const text = fc.string({ unit: "binary", maxLength: 10 })
const addressValue = fc.record({ localPart: text, domain: text })

/** Envelopes with any field contents (what a store is handed). */
export const envelope: fc.Arbitrary<Envelope.Envelope> = fc.record({
  mailFrom: fc.option(addressValue, { nil: null }),
  params: fc.record({
    size: fc.integer({ min: 0, max: 1e9 }),
    body: fc.constantFrom(...Envelope.BodyType.literals),
    smtpUtf8: fc.boolean(),
    ret: fc.constantFrom(...Envelope.Ret.literals),
    envid: text,
    requireTls: fc.boolean()
  }, { requiredKeys: ["smtpUtf8"] }),
  recipients: fc.array(fc.record({
    address: addressValue,
    notify: fc.array(fc.constantFrom(...Envelope.Notify.literals), { maxLength: 3 }),
    orcpt: text
  }, { requiredKeys: ["address"] }), { maxLength: 3 })
})

/** Stored envelope text: valid, cut short, a byte changed, a field's type changed, or any JSON at all. */
export const envelopeJson: fc.Arbitrary<string> = fc.oneof(
  envelope.map(EnvelopeJson.encode),
  fc.tuple(envelope.map(EnvelopeJson.encode), fc.nat()).map(([json, n]) => json.slice(0, n % (json.length + 1))),
  fc.tuple(envelope.map(EnvelopeJson.encode), fc.nat(), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })).map(([json, n, c]) => {
    const at = n % Math.max(1, json.length)
    return json.slice(0, at) + c + json.slice(at + 1)
  }),
  envelope.map((e) => JSON.stringify({ ...e, recipients: e.recipients.map((r) => ({ ...r, address: r.address.localPart })) })),
  envelope.map((e) => JSON.stringify({ ...e, params: { ...e.params, smtpUtf8: "yes" } })),
  fc.json(),
  fc.string({ unit: "binary", maxLength: 40 })
)
