/**
 * A message record as stores persist it, and reading one back without ever throwing.
 *
 * Every store keeps the envelope and each recipient's last reply as JSON text (the codecs of `QueuedMessage`), and
 * what it indexes or compares (states, times, leases, domains, the sender of listings) in typed fields of its own.
 * {@link read} turns such a record into a `QueueRecord.MessageRecord`. What cannot be decoded (a record corrupted by
 * hand, written by an old version or by a bug) does not throw: it becomes the record's quarantine reason, so that a
 * damaged record never breaks a claim, a listing, a completion or the operator's view of other messages, and is
 * itself held instead of retried blindly (docs/queue.md, "Quarantine").
 *
 * @since 0.1.0
 */
import type { Envelope, SmtpReply } from "@cartero/smtp"
import { Result } from "effect"
import type { MessageRecord, RecipientRecord } from "./QueueRecord.ts"
import * as QueuedMessage from "./QueuedMessage.ts"
import * as RecipientState from "./RecipientState.ts"

/** One recipient as stored. */
export interface StoredRecipient {
  readonly index: number
  readonly domain: string
  /** As stored: anything but a recipient state quarantines the message. */
  readonly state: string
  readonly attempts: number
  readonly nextAttemptAt: number
  /** The last reply as `QueuedMessage.encodeReply` wrote it. */
  readonly reply: string | undefined
  readonly lease: string | undefined
  readonly leaseExpiresAt: number | undefined
}

/** One message as stored. */
export interface StoredMessage {
  readonly id: QueuedMessage.MessageId
  /** The envelope as `QueuedMessage.encodeEnvelope` wrote it. */
  readonly envelope: string
  readonly sender: string
  readonly arrivedAt: number
  readonly traceId: string
  /** W3C `traceparent` of the span that accepted the message; absent in records of older versions. */
  readonly traceParent?: string | undefined
  readonly bodySize: number
  readonly held: boolean
  readonly finishedAt: number | undefined
  readonly recipients: ReadonlyArray<StoredRecipient>
}

/** The longest quarantine reason kept (several problems of one record are joined). */
const maxReason = 500

/** A state shown for a recipient whose stored state is not one: held, like the rest of a quarantined message. */
const unknownState: RecipientState.RecipientState = "held"

/**
 * Reads a stored record. Never throws: the envelope, the replies and the states that cannot be read are left out
 * (`undefined`, or `held` for a state) and named in `quarantine`, e.g. `envelope unreadable: …` or
 * `recipient 2: last reply unreadable: …`.
 */
export const read = (stored: StoredMessage): MessageRecord => {
  const problems: Array<string> = []
  const decoded = QueuedMessage.decodeEnvelope(stored.envelope)
  const envelope: Envelope.Envelope | undefined = Result.isSuccess(decoded) ? decoded.success : undefined
  if (Result.isFailure(decoded)) problems.push(`envelope unreadable: ${decoded.failure}`)
  const recipients = stored.recipients.map((r): RecipientRecord => {
    const recipient = envelope?.recipients[r.index]
    if (envelope !== undefined && recipient === undefined) problems.push(`recipient ${r.index} is not in the envelope`)
    let lastReply: SmtpReply.SmtpReply | undefined
    if (r.reply !== undefined) {
      const reply = QueuedMessage.decodeReply(r.reply)
      if (Result.isSuccess(reply)) lastReply = reply.success
      else problems.push(`recipient ${r.index}: last reply unreadable: ${reply.failure}`)
    }
    const known = RecipientState.is(r.state)
    if (!known) problems.push(`recipient ${r.index}: unknown state ${JSON.stringify(r.state.slice(0, 40))}`)
    return {
      index: r.index,
      recipient,
      domain: r.domain,
      state: known ? r.state : unknownState,
      attempts: r.attempts,
      nextAttemptAt: r.nextAttemptAt,
      lastReply,
      lease: r.lease,
      leaseExpiresAt: r.leaseExpiresAt
    }
  })
  const reason = problems.join("; ")
  return {
    id: stored.id,
    envelope,
    sender: stored.sender,
    arrivedAt: stored.arrivedAt,
    traceId: stored.traceId,
    traceParent: stored.traceParent,
    bodySize: stored.bodySize,
    held: stored.held,
    finishedAt: stored.finishedAt,
    recipients,
    quarantine: problems.length === 0 ? undefined : reason.length > maxReason ? `${reason.slice(0, maxReason)}…` : reason
  }
}

/** The quarantine reason of a stored record, or `undefined` when it reads whole. */
export const quarantineOf = (stored: StoredMessage): string | undefined => read(stored).quarantine

/** One recipient as stored: `reply` is the record's last reply, encoded (pass the stored text to keep it as it is). */
export const writeRecipient = (r: RecipientRecord, reply: string | undefined): StoredRecipient => ({
  index: r.index,
  domain: r.domain,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.nextAttemptAt,
  reply,
  lease: r.lease,
  leaseExpiresAt: r.leaseExpiresAt
})

/** A fresh record as stored (its envelope must be readable: it is one the store was just given). */
export const write = (record: MessageRecord & { readonly envelope: Envelope.Envelope }): StoredMessage => ({
  id: record.id,
  envelope: QueuedMessage.encodeEnvelope(record.envelope),
  sender: record.sender,
  arrivedAt: record.arrivedAt,
  traceId: record.traceId,
  traceParent: record.traceParent,
  bodySize: record.bodySize,
  held: record.held,
  finishedAt: record.finishedAt,
  recipients: record.recipients.map((r) => writeRecipient(r, r.lastReply === undefined ? undefined : QueuedMessage.encodeReply(r.lastReply)))
})
