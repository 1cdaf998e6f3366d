/**
 * What a hook decides. Decisions are values, not exceptions: a hook returns one of
 *
 * - `Continue`: no opinion, ask the next plugin (may still add headers);
 * - `Accept`: this phase is settled positively, later plugins are not asked;
 * - `Reject`: permanent refusal, always a 5yz reply with a 5.x.x code;
 * - `Defer`: temporary refusal, always a 4yz reply with a 4.x.x code;
 * - `Disconnect`: reply 421 with a 4.x.x code and close the connection.
 *
 * The constructors fix the class of the reply, so a hook cannot reject with a temporary code or defer with a
 * permanent one. Infrastructure failures are not verdicts: they travel in Effect's error channel and the pipeline
 * answers them with `451 4.3.0`.
 *
 * @since 0.1.0
 */
import { Data } from "effect"
import type * as EnhancedCode from "./EnhancedCode.ts"
import type { Header } from "./Header.ts"
import type * as ReplyCode from "./ReplyCode.ts"
import * as SmtpReply from "./SmtpReply.ts"

/** No decision; the next plugin is asked. Headers are added to the message if the transaction goes on. */
export interface Continue {
  readonly _tag: "Continue"
  readonly headers: ReadonlyArray<Header>
}
/** The phase is accepted; `reply` overrides the default positive reply of the phase. */
export interface Accept {
  readonly _tag: "Accept"
  readonly reply: SmtpReply.SmtpReply | undefined
  readonly headers: ReadonlyArray<Header>
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

/** A hook's decision. */
export type Verdict = Continue | Accept | Reject | Defer | Disconnect

const { Accept: mkAccept, Continue: mkContinue, Defer: mkDefer, Disconnect: mkDisconnect, Reject: mkReject } = Data
  .taggedEnum<Verdict>()

/** The `Continue` verdict with no headers. */
export const next: Verdict = mkContinue({ headers: [] })

/** `Continue`, adding headers to the message. */
export const continueWith = (headers: ReadonlyArray<Header>): Verdict => mkContinue({ headers })

/** Accept the phase. Optional positive reply (class 2 is enforced by the types) and headers to add. */
export const accept = (
  options?: {
    readonly code?: ReplyCode.Positive
    readonly enhanced?: EnhancedCode.Success
    readonly text?: string
    readonly headers?: ReadonlyArray<Header>
  }
): Verdict =>
  mkAccept({
    reply: options?.text === undefined ? undefined : SmtpReply.make(options.code ?? 250, options.enhanced, options.text),
    headers: options?.headers ?? []
  })

/** Reject permanently: `550` (or `code`, a 5yz) with the given 5.x.x enhanced code. */
export const reject = (
  enhanced: EnhancedCode.Permanent,
  text: string,
  options?: { readonly code?: ReplyCode.PermanentNegative }
): Verdict => mkReject({ reply: SmtpReply.make(options?.code ?? 550, enhanced, text) })

/** Defer (temporary failure): `451` (or `code`, a 4yz) with the given 4.x.x enhanced code. */
export const defer = (
  enhanced: EnhancedCode.Temporary,
  text: string,
  options?: { readonly code?: ReplyCode.Transient }
): Verdict => mkDefer({ reply: SmtpReply.make(options?.code ?? 451, enhanced, text) })

/** Reply `421` with the given 4.x.x code and close the connection. */
export const disconnect = (enhanced: EnhancedCode.Temporary = "4.7.0", text = "Closing connection"): Verdict =>
  mkDisconnect({ reply: SmtpReply.make(421, enhanced, text) })

/** The generic temporary failure the pipeline answers for timeouts, plugin errors and defects. */
export const tempFail: Verdict = defer("4.3.0", "Temporary local problem, please try again later")

/** Whether the verdict ends the phase (anything but `Continue`). */
export const isFinal = (v: Verdict): boolean => v._tag !== "Continue"

/** Headers the verdict asks to add (from `Continue` and `Accept`). */
export const headersOf = (v: Verdict): ReadonlyArray<Header> =>
  v._tag === "Continue" || v._tag === "Accept" ? v.headers : []

/** Pattern-match helper over the five verdicts. */
export const match = Data.taggedEnum<Verdict>().$match
