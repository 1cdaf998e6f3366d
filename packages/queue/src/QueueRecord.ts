/**
 * The queue state machine over an in-memory record, for stores that load a message, change it and write it back
 * inside one transaction (the memory store; SQLite). The Redis store implements the same rules in Lua.
 *
 * Functions here mutate the record they are given and return what changed; the caller owns atomicity. Records are
 * read from storage by `StoredRecord.read`, which never throws: a record that cannot be read whole carries its
 * {@link MessageRecord.quarantine} reason, and {@link claim} never hands it out.
 *
 * @since 0.1.0
 */
import type { Envelope, SmtpReply } from "@cartero/smtp"
import type { Claim, CompleteResult, LeaseRef, StoreOutcome } from "./Claim.ts"
import { formatMailbox, type MessageId, type QueuedMessage, type RecipientStatus } from "./QueuedMessage.ts"
import * as RecipientState from "./RecipientState.ts"

/** One recipient, with the lease bookkeeping that views do not show. */
export interface RecipientRecord {
  readonly index: number
  /** `undefined` when the stored envelope cannot be read (the message is then quarantined). */
  readonly recipient: Envelope.Recipient | undefined
  readonly domain: string
  state: RecipientState.RecipientState
  attempts: number
  nextAttemptAt: number
  lastReply: SmtpReply.SmtpReply | undefined
  /** Token of the last lease that covered this recipient: kept after expiry so a late completion still counts. */
  lease: string | undefined
  leaseExpiresAt: number | undefined
}

/** A message and its recipients. */
export interface MessageRecord {
  readonly id: MessageId
  /** `undefined` when the stored envelope cannot be read (the message is then quarantined). */
  readonly envelope: Envelope.Envelope | undefined
  /** The sender as listed (`<local@domain>` or `<>`), stored apart from the envelope. */
  readonly sender: string
  readonly arrivedAt: number
  readonly traceId: string
  /** The span that accepted the message (W3C `traceparent`), when it arrived traced. */
  readonly traceParent?: string | undefined
  readonly bodySize: number
  held: boolean
  /** When every recipient became final (the message is then only kept for inspection). */
  finishedAt: number | undefined
  readonly recipients: Array<RecipientRecord>
  /** Why the stored record cannot be read whole, or `undefined` (see `QueuedMessage.quarantine`). */
  readonly quarantine: string | undefined
}

/** The destination domain of a recipient, as grouped for delivery. */
export const domainOf = (recipient: Envelope.Recipient): string => recipient.address.domain.toLowerCase()

/** A fresh record: every recipient pending and due now. */
export const make = (
  id: MessageId,
  envelope: Envelope.Envelope,
  traceId: string,
  bodySize: number,
  now: number,
  traceParent?: string | undefined
): MessageRecord & { readonly envelope: Envelope.Envelope } => ({
  id,
  envelope,
  sender: formatMailbox(envelope.mailFrom),
  arrivedAt: now,
  traceId,
  traceParent,
  bodySize,
  held: false,
  finishedAt: undefined,
  recipients: envelope.recipients.map((recipient, index) => ({
    index,
    recipient,
    domain: domainOf(recipient),
    state: "pending",
    attempts: 0,
    nextAttemptAt: now,
    lastReply: undefined,
    lease: undefined,
    leaseExpiresAt: undefined
  })),
  quarantine: undefined
})

const isDue = (r: { readonly state: string; readonly nextAttemptAt: number }, now: number): boolean =>
  RecipientState.isWaiting(r.state) && r.nextAttemptAt <= now

/** What {@link dueDomains} and {@link nextDue} look at: a stored record's typed fields are enough. */
export interface Timing {
  readonly recipients: ReadonlyArray<{ readonly domain: string; readonly state: string; readonly nextAttemptAt: number }>
}

/** Domains with due recipients, earliest first, optionally only `domain`. */
export const dueDomains = (record: Timing, now: number, domain?: string): Array<string> => {
  const earliest = new Map<string, number>()
  for (const r of record.recipients) {
    if (!isDue(r, now) || (domain !== undefined && r.domain !== domain)) continue
    const seen = earliest.get(r.domain)
    if (seen === undefined || r.nextAttemptAt < seen) earliest.set(r.domain, r.nextAttemptAt)
  }
  return [...earliest.entries()].sort((a, b) => a[1] - b[1]).map(([d]) => d)
}

/** Earliest next attempt among waiting recipients (the store's "due index" key for this message). */
export const nextDue = (record: Timing): number | undefined => {
  let next: number | undefined
  for (const r of record.recipients) {
    if (RecipientState.isWaiting(r.state) && (next === undefined || r.nextAttemptAt < next)) next = r.nextAttemptAt
  }
  return next
}

/**
 * Claims the due recipients of `domain` under a new lease; `undefined` when none is due, and always for a
 * quarantined record (the caller holds it instead: {@link hold}).
 */
export const claim = (
  record: MessageRecord,
  domain: string,
  token: string,
  now: number,
  expiresAt: number
): Claim | undefined => {
  const envelope = record.envelope
  if (envelope === undefined || record.quarantine !== undefined) return undefined
  const taken = record.recipients.filter((r) => r.domain === domain && isDue(r, now))
  if (taken.length === 0) return undefined
  for (const r of taken) {
    r.state = "inflight"
    r.lease = token
    r.leaseExpiresAt = expiresAt
  }
  return {
    messageId: record.id,
    domain,
    token,
    expiresAt,
    envelope,
    arrivedAt: record.arrivedAt,
    traceId: record.traceId,
    traceParent: record.traceParent,
    bodySize: record.bodySize,
    recipients: taken.flatMap((r) => (r.recipient === undefined ? [] : [{ index: r.index, recipient: r.recipient, attempts: r.attempts }]))
  }
}

/** Extends a live lease; `false` when it has expired or its recipients were completed or taken over. */
export const renew = (record: MessageRecord, lease: LeaseRef, expiresAt: number, now: number): boolean => {
  let renewed = false
  for (const r of record.recipients) {
    if (r.state === "inflight" && r.lease === lease.token && r.leaseExpiresAt !== undefined && r.leaseExpiresAt > now) {
      r.leaseExpiresAt = expiresAt
      renewed = true
    }
  }
  return renewed
}

/** Returns recipients of dead leases to waiting (held if the message is held). Returns how many. */
export const expire = (record: MessageRecord, now: number): number => {
  let n = 0
  for (const r of record.recipients) {
    if (r.state === "inflight" && r.leaseExpiresAt !== undefined && r.leaseExpiresAt <= now) {
      r.state = record.held ? "held" : "pending"
      r.nextAttemptAt = now
      r.leaseExpiresAt = undefined
      n++
    }
  }
  return n
}

/** Records outcomes from the holder of `lease` (see {@link Claim} for when a late completion counts). */
export const complete = (
  record: MessageRecord,
  lease: LeaseRef,
  outcomes: ReadonlyArray<StoreOutcome>,
  now: number
): CompleteResult => {
  const applied: Array<number> = []
  const stale: Array<number> = []
  for (const o of outcomes) {
    const r = record.recipients[o.index]
    if (r === undefined || r.lease !== lease.token || RecipientState.isFinal(r.state) || r.domain !== lease.domain) {
      stale.push(o.index)
      continue
    }
    r.attempts += 1
    r.lastReply = o.reply
    r.lease = undefined
    r.leaseExpiresAt = undefined
    if (o.state === "deferred") {
      r.state = record.held ? "held" : "deferred"
      r.nextAttemptAt = o.retryAt
    } else {
      r.state = o.state
    }
    applied.push(o.index)
  }
  const finished = isFinished(record)
  if (finished && record.finishedAt === undefined) record.finishedAt = now
  return { applied, stale, finished }
}

/** Whether every recipient is final. */
export const isFinished = (record: { readonly recipients: ReadonlyArray<{ readonly state: string }> }): boolean =>
  record.recipients.every((r) => RecipientState.isFinal(r.state))

/** Makes every waiting recipient due now. Returns how many. */
export const retryNow = (record: MessageRecord, now: number): number => {
  let n = 0
  for (const r of record.recipients) {
    if (RecipientState.isWaiting(r.state)) {
      r.nextAttemptAt = now
      n++
    }
  }
  return n
}

/** Holds the message: waiting recipients become held now, in-flight ones when they would wait again. */
export const hold = (record: MessageRecord): number => {
  record.held = true
  let n = 0
  for (const r of record.recipients) {
    if (RecipientState.isWaiting(r.state)) {
      r.state = "held"
      n++
    }
  }
  return n
}

/** Releases a held message: held recipients wait again, keeping their next attempt time. Returns how many. */
export const release = (record: MessageRecord): number => {
  record.held = false
  let n = 0
  for (const r of record.recipients) {
    if (r.state === "held") {
      r.state = RecipientState.waitingFor(r.attempts)
      n++
    }
  }
  return n
}

/** The operator's view of a recipient. */
export const recipientStatus = (r: RecipientRecord): RecipientStatus => ({
  index: r.index,
  recipient: r.recipient,
  domain: r.domain,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.nextAttemptAt,
  lastReply: r.lastReply,
  leaseExpiresAt: r.state === "inflight" ? r.leaseExpiresAt : undefined
})

/** The operator's view of a message. */
export const view = (record: MessageRecord): QueuedMessage => ({
  id: record.id,
  envelope: record.envelope,
  sender: record.sender,
  arrivedAt: record.arrivedAt,
  traceId: record.traceId,
  bodySize: record.bodySize,
  held: record.held,
  recipients: record.recipients.map(recipientStatus),
  quarantine: record.quarantine
})
