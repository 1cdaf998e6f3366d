/**
 * Building the bounce (RFC 3464 DSN) for the failed recipients of one message in one delivery batch.
 *
 * Rules:
 * - never for a message with the null reverse path `<>` (a bounce is never bounced: no loops, RFC 5321 §4.5.5);
 * - a recipient whose RCPT had `NOTIFY=` without `FAILURE` (or `NOTIFY=NEVER`) is left out (RFC 3461 §4.1);
 * - one DSN per message per batch, addressed to the envelope sender, sent from `<>` (RFC 5321 §4.5.5) with header
 *   `From: MAILER-DAEMON@<hostname>`;
 * - `Status` is the reply's enhanced code (or `5.0.0`); a recipient the retry policy gave up on reports `5.4.7`
 *   (delivery time expired) with the last temporary reply as the diagnostic;
 * - `RET=FULL` returns the whole message, otherwise only its header (mime's `Dsn` decides what fits);
 * - `Original-Envelope-Id` from ENVID, `Original-Recipient` from each ORCPT, when the sender gave them.
 *
 * @since 0.1.0
 */
import { Dsn } from "@cartero/mime"
import { Address, type Envelope, SmtpReply } from "@cartero/smtp"
import * as NoticeFields from "./NoticeFields.ts"
import type { BouncedRecipient } from "./OutboundHooks.ts"

/** What a bounce is about. */
export interface Input {
  /** Our host name: `Reporting-MTA`, and `MAILER-DAEMON@<hostname>`. */
  readonly hostname: string
  readonly messageId: string
  readonly envelope: Envelope.Envelope
  readonly arrivedAt: number
  readonly recipients: ReadonlyArray<BouncedRecipient>
  /** The queued message (headers at least). */
  readonly original: Uint8Array
  /** Where to send it; default the envelope sender. */
  readonly to?: Address.Address | undefined
  readonly now?: Date
}

/** A DSN ready to be queued. */
export interface Bounce {
  readonly envelope: Envelope.Envelope
  readonly body: Uint8Array
  /** The recipients it reports on. */
  readonly recipients: ReadonlyArray<BouncedRecipient>
}

/** Whether `recipient` asked for failure notices (no NOTIFY = the default, which includes failures). */
export const wantsFailureNotice = (recipient: Envelope.Recipient): boolean => NoticeFields.wants(recipient, "FAILURE")

/** The DSN `Status` of a failed recipient. */
export const statusOf = (r: BouncedRecipient): string =>
  r.expired ? "5.4.7" : r.reply.enhanced !== undefined && r.reply.enhanced.startsWith("5.") ? r.reply.enhanced : "5.0.0"

/** The bounce to queue, or `undefined` when none is due (null sender, or nobody asked for one). */
export const make = (input: Input): Bounce | undefined => {
  const sender = input.to ?? input.envelope.mailFrom
  if (input.envelope.mailFrom === null || sender === null) return undefined
  const recipients = input.recipients.filter((r) => wantsFailureNotice(r.recipient))
  if (recipients.length === 0) return undefined
  const now = input.now ?? new Date()
  const body = Dsn.make({
    ...NoticeFields.parties(input.hostname, sender),
    recipients: recipients.map((r): Dsn.Recipient => ({
      finalRecipient: Address.format(r.recipient.address),
      ...NoticeFields.originalRecipient(r.recipient),
      action: "failed",
      status: statusOf(r),
      diagnosticCode: SmtpReply.toString(r.reply),
      ...(r.remoteMta !== undefined ? { remoteMta: r.remoteMta } : {}),
      lastAttemptDate: now
    })),
    original: input.original,
    ...(input.envelope.params.ret !== undefined ? { ret: input.envelope.params.ret } : {}),
    ...(input.envelope.params.envid !== undefined ? { originalEnvelopeId: input.envelope.params.envid } : {}),
    arrivalDate: new Date(input.arrivedAt),
    date: now
  })
  // The DSN itself must never produce another DSN: null reverse path, and NOTIFY=NEVER is implied by `<>`.
  return { envelope: NoticeFields.envelopeTo(sender, body), body, recipients }
}
