/**
 * An SMTP reply: a three-digit code, an optional RFC 3463 enhanced code, and one or more lines of text.
 *
 * This module is the one place that renders reply text for the wire. It guarantees that:
 * - the class of the enhanced code matches the class of the reply code (a `550` never carries `4.x.x`);
 * - no CR, LF or other control character from a hook, a remote server or an address reaches the wire;
 * - multi-line replies use `code-text` continuation lines and a final `code text` line (RFC 5321 §4.2.1).
 *
 * Two ways in, one value (docs/decisions/odd-replies.md):
 * - replies we *write* are built with {@link make} (typed: only 2yz/4yz/5yz codes, class-matched enhanced codes)
 *   or {@link fromParts} (the same, checked at run time: a code outside 200–559 is a programming error and throws);
 * - replies we *receive* are data: {@link parse} and {@link received} accept any three-digit code `000`–`999` and
 *   never throw. A `150`, `260`, `399` or `999` from a next hop is represented, stored and read back like any other
 *   reply; {@link classOf} is `undefined` for codes whose first digit is not 2, 4 or 5 (what to do with them is the
 *   reader's decision: the delivery client defers).
 *
 * @since 0.1.0
 */
import * as EnhancedCode from "./EnhancedCode.ts"
import * as ReplyCode from "./ReplyCode.ts"

/** A reply as data. Build one with {@link make}; render it with {@link format}. */
export interface SmtpReply {
  /** `200`–`559` for replies we write; any integer `0`–`999` (three digits on the wire) for a reply received. */
  readonly code: number
  readonly enhanced: EnhancedCode.EnhancedCode | undefined
  /** At least one line; none contains a control character. */
  readonly lines: ReadonlyArray<string>
}

/** Longest text we put on one reply line, so that a full line stays within RFC 5321's 512 octets. */
export const maxLineText = 480

// Control characters (C0, DEL, C1) never reach the wire: CR/LF split lines, the rest become spaces.
const controls = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g

/** Splits text into lines at CR/LF, blanks the other controls and trims each line's end (no wrapping yet). */
const cleanLines = (text: string | ReadonlyArray<string>): Array<string> => {
  const raw = typeof text === "string" ? [text] : text
  const out: Array<string> = []
  for (const chunk of raw) for (const line of chunk.split(/\r\n|\r|\n/)) out.push(line.replace(controls, " ").trimEnd())
  return out
}

/** Drops trailing empty lines (they carry nothing), keeping one line when all are empty. */
const withoutTrailingEmpty = (lines: Array<string>): Array<string> => {
  while (lines.length > 1 && lines[lines.length - 1] === "") lines.pop()
  return lines
}

/**
 * Splits free text into safe reply lines: CR/LF separate lines, other controls are blanked, long lines wrapped.
 * Idempotent: sanitised lines come back unchanged (so a stored reply reads back equal).
 */
export const sanitizeLines = (text: string | ReadonlyArray<string>): Array<string> => {
  const out: Array<string> = []
  for (let clean of cleanLines(text)) {
    while (clean.length > maxLineText) {
      // Trimmed like every line, so that sanitising sanitised lines changes nothing.
      out.push(clean.slice(0, maxLineText).trimEnd())
      clean = clean.slice(maxLineText)
    }
    out.push(clean)
  }
  const lines = withoutTrailingEmpty(out)
  return lines.length === 0 ? [""] : lines
}

/**
 * Builds a reply. The class of `enhanced` must match the class of `code`; the types enforce it for literals, and
 * at run time a mismatching class digit is replaced by the reply's own (the reply code is authoritative, as in
 * Postfix), so no reply can ever claim `5xx` with a temporary enhanced code.
 */
export const make = <C extends EnhancedCode.ReplyClass>(
  code: ReplyCode.ReplyCode<C> & number,
  enhanced: (EnhancedCode.EnhancedCode<C> & EnhancedCode.EnhancedCode) | undefined,
  text: string | ReadonlyArray<string>
): SmtpReply => fromParts(code, enhanced, text)

/**
 * Builds a reply from values only known at run time (configuration, a remote server). Same guarantees as
 * {@link make}: the enhanced code's class is forced to the reply code's, a malformed enhanced code is dropped.
 * Throws a `RangeError` for a reply code outside 200–559 (a programming error).
 */
export const fromParts = (
  code: number,
  enhanced: string | undefined,
  text: string | ReadonlyArray<string>
): SmtpReply => {
  if (!ReplyCode.isReplyCode(code)) throw new RangeError(`invalid SMTP reply code ${code}`)
  return build(code, enhanced, text)
}

const build = (code: number, enhanced: string | undefined, text: string | ReadonlyArray<string>): SmtpReply => {
  const cls = ReplyCode.classOf(code)
  const checked = enhanced === undefined || cls === undefined || !EnhancedCode.isEnhancedCode(enhanced)
    ? undefined
    : EnhancedCode.classOf(enhanced) === cls
    ? enhanced
    : EnhancedCode.withClass(enhanced, cls)
  return { code, enhanced: checked, lines: sanitizeLines(text) }
}

/**
 * A reply as received (from a next hop, or read back from a store): any three-digit code `000`–`999`, with the
 * same guarantees as {@link fromParts} for the rest (enhanced code kept only for 2yz/4yz/5yz and forced to the
 * reply's class, lines sanitised). Never throws: `undefined` when `code` is not an integer from 0 to 999.
 * `received(r.code, r.enhanced, r.lines)` is `r` for every reply this module produced.
 */
export const received = (
  code: number,
  enhanced: string | undefined,
  text: string | ReadonlyArray<string>
): SmtpReply | undefined => (ReplyCode.isWireCode(code) ? build(code, enhanced, text) : undefined)

/**
 * The class digit of a reply (2, 4 or 5, from the first digit as RFC 5321 §4.2.1 says), or `undefined` for
 * 1yz/3yz intermediate replies and for codes no class covers (`0yz`, `6yz`–`9yz`).
 */
export const classOf = (reply: SmtpReply): EnhancedCode.ReplyClass | undefined => ReplyCode.classOf(reply.code)

/** Whether the reply is a positive completion (2yz). */
export const isPositive = (reply: SmtpReply): boolean => classOf(reply) === 2
/** Whether the reply is a transient failure (4yz). */
export const isTransient = (reply: SmtpReply): boolean => classOf(reply) === 4
/** Whether the reply is a permanent failure (5yz). */
export const isPermanent = (reply: SmtpReply): boolean => classOf(reply) === 5

/** The reply's text lines, each prefixed with the enhanced code when there is one (no reply code). */
export const textLines = (reply: SmtpReply): Array<string> =>
  reply.lines.map((line) => (reply.enhanced === undefined ? line : line === "" ? reply.enhanced : `${reply.enhanced} ${line}`))

/** The reply's text on one line (lines joined by a space), with the enhanced code first. Used in logs and DSNs. */
export const text = (reply: SmtpReply): string => {
  const joined = reply.lines.filter((l) => l !== "").join(" ")
  return reply.enhanced === undefined ? joined : joined === "" ? reply.enhanced : `${reply.enhanced} ${joined}`
}

/** The reply code as written on the wire: always three digits (`000` for a received code 0). */
export const codeText = (reply: SmtpReply): string => (reply.code >= 100 ? String(reply.code) : String(reply.code).padStart(3, "0"))

/** Renders the reply for the wire: CRLF-terminated lines, `-` on every line but the last. */
export const format = (reply: SmtpReply): string => {
  const lines = textLines(reply)
  const code = codeText(reply)
  let out = ""
  for (let i = 0; i < lines.length; i++) {
    const sep = i === lines.length - 1 ? " " : "-"
    const line = lines[i] ?? ""
    out += line === "" ? `${code}${sep === " " ? "" : "-"}\r\n` : `${code}${sep}${line}\r\n`
  }
  return out
}

/** A one-line human form, e.g. `550 5.1.1 No such user` (for logs, DSN diagnostic codes, errors). */
export const toString = (reply: SmtpReply): string => `${codeText(reply)} ${text(reply)}`.trimEnd()

/**
 * Parses a (possibly multi-line) reply as received from a remote server. Never throws. Any three-digit code
 * `000`–`999` is accepted (see {@link received}); `undefined` is for anything that is not a well-formed reply:
 * lines that disagree on the code, a missing final line, a line that does not start with three digits. The enhanced
 * code is recognised when every line starts with the same one (RFC 2034 §4) and the reply has a class (2yz, 4yz,
 * 5yz), and its class is corrected to the reply's own; otherwise it stays part of the text.
 */
export const parse = (wire: string | ReadonlyArray<string>): SmtpReply | undefined => {
  const rawLines = typeof wire === "string" ? wire.split(/\r\n|\n/).filter((l, i, all) => !(l === "" && i === all.length - 1)) : wire
  if (rawLines.length === 0) return undefined
  let code: number | undefined
  const texts: Array<string> = []
  for (let i = 0; i < rawLines.length; i++) {
    const line = rawLines[i] ?? ""
    const m = /^(\d{3})([ -]|$)(.*)$/s.exec(line)
    if (m === null) return undefined
    const lineCode = Number(m[1])
    if (code === undefined) code = lineCode
    else if (code !== lineCode) return undefined
    const last = i === rawLines.length - 1
    if ((m[2] === "-") === last) return undefined
    texts.push(m[3] ?? "")
  }
  if (code === undefined) return undefined
  // The enhanced code is looked for in the lines as they will be kept (controls blanked, ends trimmed, trailing
  // empty lines dropped), so that a reply parses to the same value as its own `format`.
  const clean = withoutTrailingEmpty(cleanLines(texts))
  const first = ReplyCode.classOf(code) === undefined ? null : /^([245]\.\d{1,3}\.\d{1,3})(?: |$)/.exec(clean[0] ?? "")
  const candidate = first?.[1]
  const shared = candidate !== undefined && clean.every((t) => t === candidate || t.startsWith(`${candidate} `))
  const enhanced = shared && candidate !== undefined ? EnhancedCode.parse(candidate) : undefined
  // Only a recognised code leaves the text (`5.01.1` is not one, and stays where the server wrote it), with the one
  // space after it (RFC 2034 §4): more spaces are text.
  const lines = enhanced !== undefined ? clean.map((t) => t.slice(enhanced.length + 1)) : clean
  return received(code, enhanced, lines)
}
