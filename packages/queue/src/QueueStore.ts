/**
 * The contract every queue store implements (memory, SQLite, Redis). `MailQueue` builds on it; the conformance
 * suite (`@cartero/queue/testing`) checks that a store keeps it.
 *
 * Rules every implementation follows:
 * - every state change is atomic (a transaction, a Lua script): readers never see half an operation;
 * - time comes from Effect's `Clock` (so `TestClock` drives leases and retries in tests), never from the store
 *   server;
 * - a failing store surfaces as {@link QueueUnavailable}; ids that are not valid queue ids are "not found";
 * - metadata is written through the codecs of `QueuedMessage`, so no field content can add structure;
 * - every record is read without throwing (`StoredRecord.read`, or the same rules): a record that cannot be read
 *   whole is *quarantined*. `list` and `show` report it with the reason (`quarantine`), `stats` counts it, `delete`
 *   removes it, `complete` and `expireLeases` still apply to its readable recipient states; `claim` never hands it
 *   out but holds it (waiting recipients held, the message held) in the same atomic step; `release` fails with
 *   `MessageQuarantined` until the record reads whole again.
 *
 * @since 0.1.0
 */
import type { Envelope } from "@cartero/smtp"
import { Context } from "effect"
import type { Effect, Stream } from "effect"
import type { Claim, ClaimOptions, CompleteResult, LeaseRef, StoreOutcome } from "./Claim.ts"
import type { ListFilter, Page, PageRequest, Stats } from "./Listing.ts"
import type { MessageNotFound, MessageQuarantined, QueueError, QueueUnavailable } from "./QueueError.ts"
import type { MessageId, QueuedMessage } from "./QueuedMessage.ts"

/** A message to store. The store sets the arrival time and makes every recipient pending and due now. */
export interface NewMessage {
  readonly id: MessageId
  readonly envelope: Envelope.Envelope
  readonly traceId: string
  /**
   * The span that accepted the message, as a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`), so that its
   * delivery spans continue the trace in whichever process claims it; absent or `""` when it arrived untraced.
   */
  readonly traceParent?: string | undefined
}

/** The store operations. */
export interface Service {
  /**
   * Stores a message and its body. Succeeds only once the store has durably accepted both; on failure nothing
   * of the message is visible (a partial body is discarded). Fails with the body stream's own error if it fails.
   */
  readonly enqueue: <E>(
    message: NewMessage,
    body: Stream.Stream<Uint8Array, E>
  ) => Effect.Effect<void, QueueUnavailable | E>
  /** Claims due recipients, one claim per (message, domain), each under its own lease. Expires dead leases first. */
  readonly claim: (options: ClaimOptions) => Effect.Effect<ReadonlyArray<Claim>, QueueUnavailable>
  /** Extends a lease to now + `leaseMillis`; returns the new expiry, or `undefined` if the lease was lost. */
  readonly renew: (lease: LeaseRef, leaseMillis: number) => Effect.Effect<number | undefined, QueueUnavailable>
  /** Records outcomes; finished messages are removed (or kept for the configured retention). */
  readonly complete: (
    lease: LeaseRef,
    outcomes: ReadonlyArray<StoreOutcome>
  ) => Effect.Effect<CompleteResult, QueueError>
  /** Returns recipients of expired leases to pending and purges finished messages past retention. */
  readonly expireLeases: Effect.Effect<number, QueueUnavailable>
  /** The stored body, in chunks. */
  readonly body: (id: MessageId) => Stream.Stream<Uint8Array, QueueError>
  /** Messages oldest first, filtered, one page at a time. */
  readonly list: (filter: ListFilter, page: PageRequest) => Effect.Effect<Page, QueueUnavailable>
  /** One message with every recipient's state. */
  readonly show: (id: MessageId) => Effect.Effect<QueuedMessage, QueueError>
  /** Makes every waiting recipient due now; returns how many. */
  readonly retryNow: (id: MessageId) => Effect.Effect<number, QueueError>
  /** Holds a message (no delivery until released); returns how many recipients became held. */
  readonly hold: (id: MessageId) => Effect.Effect<number, QueueError>
  /** Releases a held message; returns how many recipients wait again. Refused while the message is quarantined. */
  readonly release: (id: MessageId) => Effect.Effect<number, QueueError | MessageQuarantined>
  /** Removes a message and its body, in flight or not (a later completion then fails with not found). */
  readonly delete: (id: MessageId) => Effect.Effect<void, QueueError>
  /** Recipient counts per state and the oldest message. */
  readonly stats: Effect.Effect<Stats, QueueUnavailable>
  /**
   * Waits until work may be claimable: something was enqueued, released or retried (notification), the earliest
   * deferred recipient comes due, or `maxMillis` passes. Never busy-polls.
   */
  readonly awaitWork: (maxMillis: number) => Effect.Effect<void, QueueUnavailable>
}

/** The queue store service. */
export class QueueStore extends Context.Service<QueueStore, Service>()("@cartero/queue/QueueStore") {}

/** Options every store accepts. */
export interface StoreOptions {
  /** Keep finished messages this long for inspection (default 0: remove at once). */
  readonly retainFinishedMillis?: number | undefined
}

/** Re-exported for store implementers. */
export type { MessageNotFound, MessageQuarantined, QueueUnavailable }
