/**
 * The queue as JSON, one shape for every operator surface: Schemas of the documents (the HTTP API's contract, in its
 * OpenAPI description) and the functions that make them from the queue's records, used by `@cartero/http-api` and
 * by `cartero queue … --json` (apps/mta `cli/Views.ts`). Times are ISO 8601 UTC strings,
 * addresses `local@domain` strings, replies `{ code, enhanced, text }`, absent values `null`.
 *
 * @since 0.1.0
 */
import type * as Listing from "./Listing.ts"
import type * as QueuedMessage from "./QueuedMessage.ts"
import * as RecipientState from "./RecipientState.ts"
import { SmtpReply } from "@cartero/smtp"
import { Schema } from "effect"

/** ISO 8601 UTC, to the second. */
export const time = (ms: number | undefined): string | null =>
  ms === undefined ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z")

const NullableString = Schema.NullOr(Schema.String)

/** Recipients per state (states without recipients may be left out). */
export const StateCounts = Schema.Record(Schema.String, Schema.Number)

/** One line of a listing. */
export const MessageSummary = Schema.Struct({
  id: Schema.String,
  arrivedAt: NullableString,
  sender: Schema.String,
  size: Schema.Number,
  held: Schema.Boolean,
  recipients: Schema.Number,
  states: StateCounts,
  nextAttemptAt: NullableString,
  traceId: Schema.String,
  quarantine: NullableString
})
export type MessageSummary = typeof MessageSummary.Type

/** A page of a listing; `next` is the cursor of the next page, `null` on the last one. */
export const MessagePage = Schema.Struct({
  items: Schema.Array(MessageSummary),
  next: NullableString
})
export type MessagePage = typeof MessagePage.Type

export const Reply = Schema.Struct({ code: Schema.Number, enhanced: NullableString, text: Schema.String })

export const RecipientView = Schema.Struct({
  index: Schema.Number,
  address: NullableString,
  domain: Schema.String,
  state: RecipientState.RecipientState,
  attempts: Schema.Number,
  nextAttemptAt: NullableString,
  leaseExpiresAt: NullableString,
  lastReply: Schema.NullOr(Reply)
})

/** One message with every recipient's state. */
export const MessageDetail = Schema.Struct({
  id: Schema.String,
  arrivedAt: NullableString,
  sender: Schema.String,
  size: Schema.Number,
  held: Schema.Boolean,
  traceId: Schema.String,
  quarantine: NullableString,
  recipients: Schema.Array(RecipientView)
})
export type MessageDetail = typeof MessageDetail.Type

/** Queue statistics. */
export const QueueStats = Schema.Struct({
  messages: Schema.Number,
  recipients: StateCounts,
  oldestArrivedAt: NullableString
})

/** The operator actions. */
export const Action = Schema.Literals(["retry", "hold", "release", "delete"])
export type Action = typeof Action.Type

/** What one action did: recipients changed (for `delete`: the message's recipients before deletion). */
export const ActionResult = Schema.Struct({ id: Schema.String, action: Action, recipients: Schema.Number })
export type ActionResult = typeof ActionResult.Type

/** What an action on many messages did; `skipped` are the matching messages it could not act on, with why. */
export const BulkResult = Schema.Struct({
  done: Schema.Array(ActionResult),
  skipped: Schema.Array(Schema.Struct({ id: Schema.String, reason: Schema.String }))
})
export type BulkResult = typeof BulkResult.Type

const address = (a: { readonly localPart: string; readonly domain: string } | null): string =>
  a === null ? "<>" : `${a.localPart}@${a.domain}`

const reply = (r: SmtpReply.SmtpReply | undefined) =>
  r === undefined ? null : { code: r.code, enhanced: r.enhanced ?? null, text: SmtpReply.text(r) }

export const summary = (s: QueuedMessage.MessageSummary): MessageSummary => ({
  id: s.id,
  arrivedAt: time(s.arrivedAt),
  sender: s.sender,
  size: s.bodySize,
  held: s.held,
  recipients: s.recipients,
  states: s.states,
  nextAttemptAt: time(s.nextAttemptAt),
  traceId: s.traceId,
  quarantine: s.quarantine ?? null
})

export const detail = (m: QueuedMessage.QueuedMessage): MessageDetail => ({
  id: m.id,
  arrivedAt: time(m.arrivedAt),
  sender: m.sender,
  size: m.bodySize,
  held: m.held,
  traceId: m.traceId,
  quarantine: m.quarantine ?? null,
  recipients: m.recipients.map((r) => ({
    index: r.index,
    address: r.recipient === undefined ? null : address(r.recipient.address),
    domain: r.domain,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: RecipientState.isWaiting(r.state) || r.state === "held" ? time(r.nextAttemptAt) : null,
    leaseExpiresAt: time(r.leaseExpiresAt),
    lastReply: reply(r.lastReply)
  }))
})

export const stats = (s: Listing.Stats) => ({
  messages: s.messages,
  recipients: s.recipients,
  oldestArrivedAt: time(s.oldestArrivedAt)
})
