/**
 * Defects: what was wrong with a message, reported instead of thrown.
 *
 * The parser never fails on malformed input (mail in the wild is full of it). It builds the best tree it can and
 * attaches typed defects to the part where each problem was found, much like Python's `email` package. Callers
 * (spam filters, the queue, a mailbox UI) decide what a defect means to them.
 *
 * @since 0.1.0
 */

/** Every kind of defect the parser can report. */
export type Kind =
  /** A multipart body ended (end of input or an outer boundary) without its `--boundary--` line. */
  | "MissingFinalBoundary"
  /** A multipart body in which no delimiter line for its boundary was ever found. */
  | "BoundaryNotFound"
  /** A `multipart/*` Content-Type without a boundary parameter; the part is treated as text/plain. */
  | "MissingBoundaryParameter"
  /** Characters outside the base64 alphabet, or a truncated final quantum. */
  | "InvalidBase64"
  /** An `=` not followed by two hex digits or a line break. */
  | "InvalidQuotedPrintable"
  /** A header line that is neither a field (`name:`) nor a continuation; it is skipped. */
  | "HeaderWithoutColon"
  /** A continuation line before any field. */
  | "FirstHeaderLineIsContinuation"
  /** The header block was not ended by an empty line (input ended, or a boundary came first). */
  | "MissingHeaderBodySeparator"
  /** A NUL byte inside a header block. */
  | "NulInHeader"
  /** Parts nested deeper than the configured limit; deeper structure is kept as an opaque body. */
  | "NestingTooDeep"
  /** A Content-Type without a usable `type/subtype`; RFC 2045 says to treat it as text/plain. */
  | "InvalidContentType"
  /** A Content-Transfer-Encoding the parser does not know; the body is kept as-is. */
  | "UnknownTransferEncoding"
  /** A message/rfc822 part with base64 or quoted-printable encoding; kept as an opaque leaf. */
  | "EncodedMessage"
  /** A charset that Node's TextDecoder does not know; text was decoded as UTF-8 or windows-1252 instead. */
  | "UnknownCharset"
  /** The input used bare CR line endings; they were read as LF. */
  | "BareCarriageReturns"

/** One problem found in a message: its kind, the byte offset where it was noticed, and a human-readable detail. */
export interface Defect {
  readonly kind: Kind
  readonly offset: number
  readonly detail: string
}

/** Builds a defect. */
export const make = (kind: Kind, offset: number, detail: string): Defect => ({ kind, offset, detail })
