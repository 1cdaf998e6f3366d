/**
 * What a hook decides: the one decision vocabulary of every Cartero pipeline, inbound (the SMTP session) and
 * outbound (delivery). Decisions are values, not exceptions: a hook returns one of
 *
 * - `Continue`: no opinion, ask the next plugin (may still add headers);
 * - `Accept`: this phase is settled positively, later plugins are not asked. A phase may give `Accept` a value
 *   (`Accept<A>`): the next hops of an outbound `route`, the time of an outbound retry;
 * - `Reject`: permanent refusal, always a 5yz reply with a 5.x.x code;
 * - `Defer`: temporary refusal, always a 4yz reply with a 4.x.x code;
 * - `Disconnect`: reply 421 with a 4.x.x code and close the connection.
 *
 * Each phase says which of the five it takes (its hook's return type narrows the union), and what each means there
 * (docs/phases.md, `@cartero/delivery`'s `OutboundHooks`).
 *
 * The constructors fix the class of the reply, so a hook cannot reject with a temporary code or defer with a
 * permanent one. Infrastructure failures are not verdicts: they travel in Effect's error channel and the pipeline
 * answers them (`451 4.3.0` inbound).
 *
 * @since 0.1.0
 */
import type * as EnhancedCode from "./EnhancedCode.ts"
import type { Header } from "./Header.ts"
import type * as ReplyCode from "./ReplyCode.ts"
import * as SmtpReply from "./SmtpReply.ts"

/** No decision; the next plugin is asked. Headers are added to the message if the transaction goes on. */
export interface Continue {
  readonly _tag: "Continue"
  readonly headers: ReadonlyArray<Header>
}
/**
 * The phase is accepted; `reply` overrides the default positive reply of the phase. `value` is what the phase
 * asks an `Accept` to carry (nothing inbound).
 */
export interface Accept<A = undefined> {
  readonly _tag: "Accept"
  readonly reply: SmtpReply.SmtpReply | undefined
  readonly headers: ReadonlyArray<Header>
  readonly value: A
}
/** Permanent refusal (5yz). */
export interface Reject {
  readonly _tag: "Reject"
  readonly reply: SmtpReply.SmtpReply
}
/** Temporary refusal (4yz). */
export interface Defer {
  readonly _tag: "Defer"
  readonly reply: SmtpReply.SmtpReply
}
/** Reply and close the connection. */
export interface Disconnect {
  readonly _tag: "Disconnect"
  readonly reply: SmtpReply.SmtpReply
}

/** A hook's decision; `A` is what an `Accept` carries in the phase at hand. */
export type Verdict<A = undefined> = Continue | Accept<A> | Reject | Defer | Disconnect

/** The verdicts that refuse: they carry the reply to send. */
export type Refusal = Reject | Defer | Disconnect

/** What an optional positive reply of {@link accept} / {@link acceptWith} is made of (class 2 is enforced). */
export interface AcceptOptions {
  readonly code?: ReplyCode.Positive
  readonly enhanced?: EnhancedCode.Success
  readonly text?: string
  readonly headers?: ReadonlyArray<Header>
}

/** The `Continue` verdict with no headers. */
export const next: Continue = { _tag: "Continue", headers: [] }

/** `Continue`, adding headers to the message. */
export const continueWith = (headers: ReadonlyArray<Header>): Continue => ({ _tag: "Continue", headers })

/** Accept the phase, carrying `value`, with an optional positive reply and headers to add. */
export const acceptWith = <A>(value: A, options?: AcceptOptions): Accept<A> => ({
  _tag: "Accept",
  reply: options?.text === undefined ? undefined : SmtpReply.make(options.code ?? 250, options.enhanced, options.text),
  headers: options?.headers ?? [],
  value
})

/** Accept the phase. Optional positive reply (class 2 is enforced by the types) and headers to add. */
export const accept = (options?: AcceptOptions): Accept => acceptWith(undefined, options)

/** Reject permanently: `550` (or `code`, a 5yz) with the given 5.x.x enhanced code. */
export const reject = (
  enhanced: EnhancedCode.Permanent,
  text: string,
  options?: { readonly code?: ReplyCode.PermanentNegative }
): Reject => ({ _tag: "Reject", reply: SmtpReply.make(options?.code ?? 550, enhanced, text) })

/** Defer (temporary failure): `451` (or `code`, a 4yz) with the given 4.x.x enhanced code. */
export const defer = (
  enhanced: EnhancedCode.Temporary,
  text: string,
  options?: { readonly code?: ReplyCode.Transient }
): Defer => ({ _tag: "Defer", reply: SmtpReply.make(options?.code ?? 451, enhanced, text) })

/** Reply `421` with the given 4.x.x code and close the connection. */
export const disconnect = (enhanced: EnhancedCode.Temporary = "4.7.0", text = "Closing connection"): Disconnect => ({
  _tag: "Disconnect",
  reply: SmtpReply.make(421, enhanced, text)
})

/** The generic temporary failure the pipelines answer for timeouts, plugin errors and defects. */
export const tempFail: Defer = defer("4.3.0", "Temporary local problem, please try again later")

/** Whether the verdict lets the phase go on (`Continue` or `Accept`). */
export const isSuccess = <A>(v: Verdict<A>): v is Continue | Accept<A> => v._tag === "Continue" || v._tag === "Accept"

/** Headers the verdict asks to add (from `Continue` and `Accept`). */
export const headersOf = <A>(v: Verdict<A>): ReadonlyArray<Header> =>
  v._tag === "Continue" || v._tag === "Accept" ? v.headers : []
