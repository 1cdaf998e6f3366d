/**
 * The API's errors, each with its HTTP status (they are part of the OpenAPI description).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** No credentials, or wrong ones (401; the response carries `WWW-Authenticate: Basic`). */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  message: Schema.String
}, { httpApiStatus: 401 }) {}

/** No queued message with this id (404). */
export class MessageNotFound extends Schema.TaggedError<MessageNotFound>()("MessageNotFound", {
  id: Schema.String
}, { httpApiStatus: 404 }) {}

/** `release` refused: the message's record cannot be read whole (409); fix it or delete the message. */
export class MessageQuarantined extends Schema.TaggedError<MessageQuarantined>()("MessageQuarantined", {
  id: Schema.String,
  reason: Schema.String
}, { httpApiStatus: 409 }) {}

/** The queue store cannot be reached (503). */
export class QueueUnavailable extends Schema.TaggedError<QueueUnavailable>()("QueueUnavailable", {
  message: Schema.String
}, { httpApiStatus: 503 }) {}

/** A query parameter that cannot be used (400), e.g. `olderThan=soon`. */
export class InvalidQuery extends Schema.TaggedError<InvalidQuery>()("InvalidQuery", {
  parameter: Schema.String,
  message: Schema.String
}, { httpApiStatus: 400 }) {}

/** One readiness check. */
export const Check = Schema.Struct({
  name: Schema.String,
  ok: Schema.Boolean,
  error: Schema.NullOr(Schema.String)
})
export type Check = typeof Check.Type

/** Some readiness check failed (503); `checks` says which and why. */
export class NotReady extends Schema.TaggedError<NotReady>()("NotReady", {
  checks: Schema.Array(Check)
}, { httpApiStatus: 503 }) {}

/** No mailbox with this address (404). */
export class MailboxNotFound extends Schema.TaggedError<MailboxNotFound>()("MailboxNotFound", {
  mailbox: Schema.String
}, { httpApiStatus: 404 }) {}

/** No message with this id in the mailbox (404). */
export class MailboxMessageNotFound extends Schema.TaggedError<MailboxMessageNotFound>()("MailboxMessageNotFound", {
  mailbox: Schema.String,
  id: Schema.String
}, { httpApiStatus: 404 }) {}

/** The message has no part with this index (404). */
export class MailboxPartNotFound extends Schema.TaggedError<MailboxPartNotFound>()("MailboxPartNotFound", {
  mailbox: Schema.String,
  id: Schema.String,
  index: Schema.Number
}, { httpApiStatus: 404 }) {}

/** The Maildir cannot be read or changed (permissions, I/O) (503); `message` says which file and why. */
export class MailboxUnavailable extends Schema.TaggedError<MailboxUnavailable>()("MailboxUnavailable", {
  message: Schema.String
}, { httpApiStatus: 503 }) {}
