/**
 * Failures of the server itself at start-up (not of a session): a port that cannot be bound, TLS material that
 * cannot be read or generated, a spill directory that cannot be made.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/** What went wrong. */
export type SmtpServerErrorReason = "Listen" | "Tls" | "SelfSignedCert" | "SpillDir" | "ProxyProtocol"

/** The server could not start. */
export class SmtpServerError extends Data.TaggedError("SmtpServerError")<{
  readonly reason: SmtpServerErrorReason
  readonly message: string
  readonly cause?: unknown
}> {}
