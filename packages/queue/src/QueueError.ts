/**
 * Errors of the queue. Only infrastructure failures and references to messages that do not exist travel in the
 * error channel; everything else (a stale lease, an empty claim) is an ordinary result.
 *
 * `QueueUnavailable` during `enqueue` makes the queue store plugin answer `451 4.3.0` (`@cartero/plugin-queue`):
 * the client keeps the message and retries, and the store holds nothing of it.
 *
 * @since 0.1.0
 */
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

/**
 * The message is quarantined (its stored record cannot be read whole: see `QueuedMessage.quarantine`) and cannot
 * be released until it can: fix the record, or delete the message. Only `release` fails with it.
 */
export class MessageQuarantined extends Schema.TaggedError<MessageQuarantined>()("MessageQuarantined", {
  id: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `message ${JSON.stringify(this.id)} is quarantined (${this.reason}); it cannot be released until its record is readable (or delete it)`
  }
}

/** Any queue error of the usual operations (`release` may also fail with {@link MessageQuarantined}). */
export type QueueError = QueueUnavailable | MessageNotFound
