/**
 * The errors of reading and changing mailboxes.
 *
 * @since 0.1.0
 */
import { Data, Schema } from "effect"

/** No mailbox with this address under the root (or the address cannot name one). */
export class MailboxNotFound extends Schema.TaggedError<MailboxNotFound>()("MailboxNotFound", {
  mailbox: Schema.String
}) {}

/** No message with this id in the mailbox (or the id cannot name one). */
export class MailboxMessageNotFound extends Schema.TaggedError<MailboxMessageNotFound>()("MailboxMessageNotFound", {
  mailbox: Schema.String,
  id: Schema.String
}) {}

/** A message has no part with this index. */
export class PartNotFound extends Schema.TaggedError<PartNotFound>()("PartNotFound", {
  mailbox: Schema.String,
  id: Schema.String,
  index: Schema.Number
}) {}

/** A search (or a listing's cursor) that cannot be used, e.g. `before:yesterday`. */
export class InvalidSearch extends Schema.TaggedError<InvalidSearch>()("InvalidSearch", {
  parameter: Schema.Literals(["search", "cursor"]),
  message: Schema.String
}) {}

/** The file system failed (permissions, I/O); `path` says where. */
export class MaildirReadError extends Data.TaggedError("MaildirReadError")<{
  readonly operation: string
  readonly path: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `Maildir ${this.operation} failed for ${this.path}: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}
