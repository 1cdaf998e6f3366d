/**
 * Claims, leases and the outcomes a worker reports.
 *
 * A claim is the due recipients of one message for one destination domain (one SMTP transaction), taken under a
 * lease: until `expiresAt` no other worker — in this process or any other — can claim them. A worker renews the
 * lease while it works and completes each recipient; if it dies, the lease expires and the recipients return to
 * `pending`. Completion is accepted from the lease holder, and also late (after expiry) as long as nobody else has
 * claimed the recipient since: that narrows the duplicate window to "remote said 250, our ack never arrived".
 *
 * @since 0.1.0
 */
import type { Envelope, SmtpReply } from "@cartero/smtp"
import type { MessageId } from "./QueuedMessage.ts"

/** Identifies a lease: the message, the destination domain and an unguessable token. */
export interface LeaseRef {
  readonly messageId: MessageId
  readonly domain: string
  readonly token: string
}

/** One recipient of a claim. */
export interface ClaimedRecipient {
  readonly index: number
  readonly recipient: Envelope.Recipient
  /** Completed attempts before this one. */
  readonly attempts: number
}

/** Work handed to a delivery worker. */
export interface Claim extends LeaseRef {
  readonly expiresAt: number
  readonly envelope: Envelope.Envelope
  readonly arrivedAt: number
  readonly traceId: string
  /** The span that accepted the message (W3C `traceparent`), for the delivery span to continue; see `NewMessage`. */
  readonly traceParent?: string | undefined
  readonly bodySize: number
  readonly recipients: ReadonlyArray<ClaimedRecipient>
}

/** Options of a claim. */
export interface ClaimOptions {
  /** How long the lease lasts before another worker may take the work. */
  readonly leaseMillis: number
  /** At most this many claims (message × domain groups). */
  readonly limit: number
  /** Only this destination domain (lower case), e.g. for a per-domain connection that has capacity. */
  readonly domain?: string | undefined
}

/** What happened to one recipient, as the store records it. */
export type StoreOutcome =
  | { readonly index: number; readonly state: "delivered"; readonly reply: SmtpReply.SmtpReply }
  | { readonly index: number; readonly state: "failed"; readonly reply: SmtpReply.SmtpReply }
  | { readonly index: number; readonly state: "deferred"; readonly reply: SmtpReply.SmtpReply; readonly retryAt: number }

/** The result of a completion. */
export interface CompleteResult {
  /** Recipients whose outcome was recorded. */
  readonly applied: ReadonlyArray<number>
  /** Recipients whose outcome was ignored: claimed by someone else since, finished, or not in this lease. */
  readonly stale: ReadonlyArray<number>
  /** Every recipient of the message is final: the message (and body) are gone or kept only for inspection. */
  readonly finished: boolean
}
