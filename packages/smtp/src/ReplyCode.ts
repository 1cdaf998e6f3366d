/**
 * Three-digit SMTP reply codes (RFC 5321 §4.2), typed by class so that a verdict constructor can only accept the
 * codes of its own class.
 *
 * @since 0.1.0
 */
import type { ReplyClass } from "./EnhancedCode.ts"

type Digit = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9
type Second = 0 | 1 | 2 | 3 | 4 | 5

type ToNumber<S> = S extends `${infer N extends number}` ? N : never

/** A reply code of class `C` (`2yz`, `4yz` or `5yz`). */
export type ReplyCode<C extends ReplyClass = ReplyClass> = ToNumber<`${C}${Second}${Digit}`>

/** Positive completion (`2yz`). */
export type Positive = ReplyCode<2>
/** Transient negative completion (`4yz`). */
export type Transient = ReplyCode<4>
/** Permanent negative completion (`5yz`). */
export type PermanentNegative = ReplyCode<5>

/** The class digit of a reply code, or `undefined` for codes outside 2yz/4yz/5yz (1yz and 3yz carry no class). */
export const classOf = (code: number): ReplyClass | undefined => {
  const cls = Math.floor(code / 100)
  return cls === 2 || cls === 4 || cls === 5 ? cls : undefined
}

/**
 * Whether `code` can be a reply code received on the wire: three digits, `000`–`999`. Wider than
 * {@link isReplyCode}: a next hop may send anything, and what it sent is kept as data (see `SmtpReply.received`).
 */
export const isWireCode = (code: number): boolean => Number.isInteger(code) && code >= 0 && code <= 999

/** Whether `code` is a well-formed three-digit reply code (RFC 5321 §4.2: first digit 2–5, second 0–5). */
export const isReplyCode = (code: number): boolean =>
  Number.isInteger(code) && code >= 200 && code <= 559 && Math.floor(code / 10) % 10 <= 5
