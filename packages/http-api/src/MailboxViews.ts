/**
 * The JSON shapes of the mailbox endpoints (the contract the web UI reads; see docs/operations.md, "HTTP API").
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** A mailbox with its counts. */
export const MailboxInfo = Schema.Struct({ address: Schema.String, messages: Schema.Number, unread: Schema.Number })

/** `GET /api/mailboxes`. */
export const MailboxList = Schema.Struct({ mailboxes: Schema.Array(MailboxInfo) })

const summaryFields = {
  /** Opaque, URL-safe. */
  id: Schema.String,
  mailbox: Schema.String,
  /** Display text: `Name <address>`. */
  from: Schema.String,
  to: Schema.Array(Schema.String),
  /** Decoded (RFC 2047). */
  subject: Schema.String,
  /** ISO 8601: the Date header, or the arrival. */
  date: Schema.String,
  /** ISO 8601. */
  receivedAt: Schema.String,
  /** Octets of the stored file. */
  size: Schema.Number,
  seen: Schema.Boolean,
  attachments: Schema.Number,
  snippet: Schema.String
}

/** A listing's line. */
export const MessageSummary = Schema.Struct(summaryFields)

/** `GET /api/mailboxes/:mailbox/messages`: newest first. */
export const MessagePage = Schema.Struct({
  messages: Schema.Array(MessageSummary),
  total: Schema.Number,
  next: Schema.optional(Schema.String)
})

/** One leaf part of a message; download it from `…/parts/:index`. */
export const MessagePart = Schema.Struct({
  index: Schema.Number,
  contentType: Schema.String,
  filename: Schema.optional(Schema.String),
  size: Schema.Number,
  disposition: Schema.Literals(["inline", "attachment"]),
  contentId: Schema.optional(Schema.String)
})

/** `GET /api/mailboxes/:mailbox/messages/:id`. `html` is sanitised (docs/decisions/mail-html-sanitising.md). */
export const MessageView = Schema.Struct({
  ...summaryFields,
  cc: Schema.Array(Schema.String),
  headers: Schema.Array(Schema.Struct({ name: Schema.String, value: Schema.String })),
  text: Schema.optional(Schema.String),
  html: Schema.optional(Schema.String),
  parts: Schema.Array(MessagePart),
  /** True when the text or HTML shown was cut at the server's limit. */
  truncated: Schema.Boolean
})

/** `POST …/seen` and `…/unseen`. */
export const SeenResult = Schema.Struct({ seen: Schema.Boolean })

/** `DELETE /api/mailboxes/:mailbox/messages/:id`. */
export const DeleteResult = Schema.Struct({ deleted: Schema.Literal(true) })
