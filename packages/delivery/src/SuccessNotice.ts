/**
 * Success notices (RFC 3464 DSN with `Action: delivered` or `relayed`), for recipients whose RCPT asked for them
 * with `NOTIFY=SUCCESS` (RFC 3461 §4.1: never without it).
 *
 * - `delivered`: the message reached the recipient's mailbox here (the Maildir store; `LocalDeliveryNotice`);
 * - `relayed`: a next hop took the message but did not advertise DSN, so it will not report on it (RFC 3461 §4.1;
 *   the worker decides, `DeliveryWorker`). A next hop that advertises DSN gets NOTIFY/ORCPT/RET/ENVID passed on
 *   (`Commands`) and reports itself: no notice from us then;
 * - never for the null sender `<>`; one notice per message per batch, from `<>`, to the envelope sender;
 * - only the header block is returned (RET is about failed DSNs, RFC 3461 §4.3), with `Original-Envelope-Id` and
 *   `Original-Recipient` when the sender gave ENVID and ORCPT.
 *
 * @since 0.1.0
 */
import { Dsn } from "@cartero/mime"
import { Address, type Envelope, SmtpReply } from "@cartero/smtp"
import * as NoticeFields from "./NoticeFields.ts"

/** One recipient to report on. */
export interface Reported {
  readonly recipient: Envelope.Recipient
  readonly action: "delivered" | "relayed"
  /** The reply that settled it (a next hop's `250`), for `Diagnostic-Code` and `Status`. */
  readonly reply?: SmtpReply.SmtpReply | undefined
  /** The host that gave the reply (`Remote-MTA`). */
  readonly remoteMta?: string | undefined
}

/** What a success notice is about. */
export interface Input {
  /** Our host name: `Reporting-MTA`, `MAILER-DAEMON@<hostname>`. */
  readonly hostname: string
  readonly envelope: Envelope.Envelope
  readonly arrivedAt: number
  readonly recipients: ReadonlyArray<Reported>
  /** The message (its header block is returned). */
  readonly original: Uint8Array
  readonly now: Date
}

/** A notice ready to be queued. */
export interface Notice {
  readonly envelope: Envelope.Envelope
  readonly body: Uint8Array
  /** The recipients it reports on. */
  readonly recipients: ReadonlyArray<Reported>
}

/** Whether `recipient` asked for success notices (`NOTIFY=SUCCESS`, alone or with others). */
export const wantsSuccessNotice = (recipient: Envelope.Recipient): boolean => NoticeFields.wants(recipient, "SUCCESS")

const statusOf = (r: Reported): string =>
  r.reply?.enhanced !== undefined && r.reply.enhanced.startsWith("2.") ? r.reply.enhanced : "2.0.0"

/** The notice to queue, or `undefined` when none is due (null sender, or nobody asked for one). */
export const make = (input: Input): Notice | undefined => {
  const sender = input.envelope.mailFrom
  const recipients = input.recipients.filter((r) => wantsSuccessNotice(r.recipient))
  if (sender === null || recipients.length === 0) return undefined
  const body = Dsn.make({
    ...NoticeFields.parties(input.hostname, sender),
    recipients: recipients.map((r): Dsn.Recipient => ({
      finalRecipient: Address.format(r.recipient.address),
      ...NoticeFields.originalRecipient(r.recipient),
      action: r.action,
      status: statusOf(r),
      ...(r.reply !== undefined ? { diagnosticCode: SmtpReply.toString(r.reply) } : {}),
      ...(r.remoteMta !== undefined ? { remoteMta: r.remoteMta } : {}),
      lastAttemptDate: input.now
    })),
    original: input.original,
    ...(input.envelope.params.envid !== undefined ? { originalEnvelopeId: input.envelope.params.envid } : {}),
    arrivalDate: new Date(input.arrivedAt),
    date: input.now
  })
  return { envelope: NoticeFields.envelopeTo(sender, body), body, recipients }
}
