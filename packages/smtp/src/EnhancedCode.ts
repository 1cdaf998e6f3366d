/**
 * RFC 3463 enhanced mail system status codes (`class.subject.detail`, e.g. `5.7.1`).
 *
 * The class digit says whether a status is success (2), temporary (4) or permanent (5). It is part of the type,
 * so a permanent reply can only be paired with a permanent enhanced code at compile time; {@link SmtpReply.make}
 * re-checks at run time for values that come from outside the type system.
 *
 * @since 0.1.0
 */

/** The class digit of an SMTP reply and of its enhanced code. */
export type ReplyClass = 2 | 4 | 5

/** An enhanced status code whose class is `C`, as written on the wire. */
export type EnhancedCode<C extends ReplyClass = ReplyClass> = `${C}.${number}.${number}`

/** A success enhanced code (`2.x.x`). */
export type Success = EnhancedCode<2>
/** A temporary-failure enhanced code (`4.x.x`). */
export type Temporary = EnhancedCode<4>
/** A permanent-failure enhanced code (`5.x.x`). */
export type Permanent = EnhancedCode<5>

const pattern = /^([245])\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/

/** Whether `text` is a syntactically valid enhanced code (RFC 3463 §2: subject and detail are 1–3 digits). */
export const isEnhancedCode = (text: string): text is EnhancedCode => pattern.test(text)

/** Parses an enhanced code, or returns `undefined` when `text` is not one. */
export const parse = (text: string): EnhancedCode | undefined => (isEnhancedCode(text) ? text : undefined)

/** The class digit of an enhanced code. */
export const classOf = (code: EnhancedCode): ReplyClass => Number(code[0]) as ReplyClass

/**
 * Returns `code` with its class digit replaced by `cls`. Used when a code from outside the type system (a remote
 * server, configuration) disagrees with the reply code it travels with: the reply code wins, as in Postfix.
 */
export const withClass = <C extends ReplyClass>(code: EnhancedCode, cls: C): EnhancedCode<C> =>
  `${cls}${code.slice(1)}` as EnhancedCode<C>

/** The generic code for a reply class when nothing more specific is known (X.0.0). */
export const generic = <C extends ReplyClass>(cls: C): EnhancedCode<C> => `${cls}.0.0` as EnhancedCode<C>
