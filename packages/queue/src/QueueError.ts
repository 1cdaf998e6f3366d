/**
 * Errors of the queue. Only infrastructure failures and references to messages that do not exist travel in the
 * error channel; everything else (a stale lease, an empty claim) is an ordinary result.
 *
 * The SMTP server maps {@link QueueUnavailable} during `enqueue` to `451 4.3.0` (see {@link tempFailReply}):
 * the client keeps the message and retries, and the store holds nothing of it.
 *
 * @since 0.1.0
 */
import { SmtpReply } from "@cartero/smtp"
import { Schema } from "effect"

/** The store could not be reached or refused the operation; nothing of the operation was applied. */
export class QueueUnavailable extends Schema.TaggedError<QueueUnavailable>()("QueueUnavailable", {
  operation: Schema.String,
  cause: Schema.Defect()
}) {
  override get message(): string {
    return `queue store unavailable during ${this.operation}`
  }
}

/** No message with this id (never existed, already finished, deleted, or not a valid id). */
export class MessageNotFound extends Schema.TaggedError<MessageNotFound>()("MessageNotFound", {
  id: Schema.String
}) {
  override get message(): string {
    return `no queued message ${JSON.stringify(this.id)}`
  }
}

/** Any queue error. */
export type QueueError = QueueUnavailable | MessageNotFound

/** The reply the SMTP server gives when the queue cannot take a message. */
export const tempFailReply: SmtpReply.SmtpReply = SmtpReply.make(451, "4.3.0", "Queue temporarily unavailable, try again later")
