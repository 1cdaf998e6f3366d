/**
 * An SMTP reply: a three-digit code, an optional RFC 3463 enhanced code, and one or more lines of text.
 *
 * This module is the one place that renders reply text for the wire. It guarantees that:
 * - the class of the enhanced code matches the class of the reply code (a `550` never carries `4.x.x`);
 * - no CR, LF or other control character from a hook, a remote server or an address reaches the wire;
 * - multi-line replies use `code-text` continuation lines and a final `code text` line (RFC 5321 §4.2.1).
 *
 * @since 0.1.0
 */
import * as EnhancedCode from "./EnhancedCode.ts"
import * as ReplyCode from "./ReplyCode.ts"

/** A reply as data. Build one with {@link make}; render it with {@link format}. */
export interface SmtpReply {
  readonly code: number
  readonly enhanced: EnhancedCode.EnhancedCode | undefined
  /** At least one line; none contains a control character. */
  readonly lines: ReadonlyArray<string>
}

/** Longest text we put on one reply line, so that a full line stays within RFC 5321's 512 octets. */
export const maxLineText = 480

// Control characters (C0, DEL, C1) never reach the wire: CR/LF split lines, the rest become spaces.
const controls = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g

/** Splits free text into safe reply lines: CR/LF separate lines, other controls are blanked, long lines wrapped. */
export const sanitizeLines = (text: string | ReadonlyArray<string>): Array<string> => {
  const raw = typeof text === "string" ? [text] : text
  const out: Array<string> = []
  for (const chunk of raw) {
    for (const line of chunk.split(/\r\n|\r|\n/)) {
      let clean = line.replace(controls, " ").trimEnd()
      while (clean.length > maxLineText) {
        out.push(clean.slice(0, maxLineText))
        clean = clean.slice(maxLineText)
      }
      out.push(clean)
    }
  }
  // Trailing empty lines carry nothing; an entirely empty reply still needs one (empty) line.
  while (out.length > 1 && out[out.length - 1] === "") out.pop()
  return out.length === 0 ? [""] : out
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
  const cls = ReplyCode.classOf(code)
  const checked = enhanced === undefined || cls === undefined || !EnhancedCode.isEnhancedCode(enhanced)
    ? undefined
    : EnhancedCode.classOf(enhanced) === cls
    ? enhanced
    : EnhancedCode.withClass(enhanced, cls)
  return { code, enhanced: checked, lines: sanitizeLines(text) }
}

/** The class digit of a reply (2, 4 or 5), or `undefined` for 1yz/3yz intermediate replies. */
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

/** Renders the reply for the wire: CRLF-terminated lines, `-` on every line but the last. */
export const format = (reply: SmtpReply): string => {
  const lines = textLines(reply)
  let out = ""
  for (let i = 0; i < lines.length; i++) {
    const sep = i === lines.length - 1 ? " " : "-"
    const line = lines[i] ?? ""
    out += line === "" ? `${reply.code}${sep === " " ? "" : "-"}\r\n` : `${reply.code}${sep}${line}\r\n`
  }
  return out
}

/** A one-line human form, e.g. `550 5.1.1 No such user` (for logs, DSN diagnostic codes, errors). */
export const toString = (reply: SmtpReply): string => `${reply.code} ${text(reply)}`.trimEnd()

/**
 * Parses a (possibly multi-line) reply as received from a remote server. Returns `undefined` for anything that is
 * not a well-formed reply: mixed codes, a missing final line, or a malformed code. The enhanced code is recognised
 * when every line starts with the same one (RFC 2034 §4), and its class is corrected to the reply's own.
 */
export const parse = (wire: string | ReadonlyArray<string>): SmtpReply | undefined => {
  const rawLines = typeof wire === "string" ? wire.split(/\r\n|\n/).filter((l, i, all) => !(l === "" && i === all.length - 1)) : wire
  if (rawLines.length === 0) return undefined
  let code: number | undefined
  const texts: Array<string> = []
  for (let i = 0; i < rawLines.length; i++) {
    const line = rawLines[i] ?? ""
    const m = /^(\d{3})([ -]|$)(.*)$/.exec(line)
    if (m === null) return undefined
    const lineCode = Number(m[1])
    if (code === undefined) code = lineCode
    else if (code !== lineCode) return undefined
    const last = i === rawLines.length - 1
    if ((m[2] === "-") === last) return undefined
    texts.push(m[3] ?? "")
  }
  if (code === undefined || !ReplyCode.isReplyCode(code) && !(code >= 100 && code < 400)) return undefined
  const first = /^([245]\.\d{1,3}\.\d{1,3})(?: |$)/.exec(texts[0] ?? "")
  const candidate = first?.[1]
  const shared = candidate !== undefined && texts.every((t) => t === candidate || t.startsWith(`${candidate} `))
  const enhanced = shared && candidate !== undefined ? EnhancedCode.parse(candidate) : undefined
  const lines = shared && candidate !== undefined ? texts.map((t) => t.slice(candidate.length).trimStart()) : texts
  const cls = ReplyCode.classOf(code)
  const fixed = enhanced === undefined || cls === undefined ? undefined : EnhancedCode.withClass(enhanced, cls)
  return { code, enhanced: fixed, lines: sanitizeLines(lines) }
}
