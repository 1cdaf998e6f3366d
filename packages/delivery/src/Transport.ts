/**
 * A delivery transport: another way than SMTP to hand a claim's message to its next hop (an LMTP server, an HTTP
 * endpoint). A `route` hook chooses one for a claim (`OutboundHooks.transport`); the delivery worker then runs
 * everything as for SMTP (the `beforeSend` headers, the hop count, the destination limits, `Disposition`, the
 * queue record, DSNs) and calls the transport's `send` where it would have connected to the route's hosts.
 *
 * The contract is the SMTP client's: `send` never fails. Every recipient of the request gets a result, in envelope
 * order: `Delivered` when the next hop took responsibility, `Deferred` when it did not answer or answered "later"
 * (the message stays queued and is retried by the retry policy), `Failed` when it refused for good (bounced with a
 * DSN). A transport that cannot tell must defer: the queue's maximum age ends every retry.
 *
 * Delivery stays at-least-once: a crash between the next hop's acceptance and the queue's record of it sends the
 * message again (docs/decisions/delivery-transports.md).
 *
 * @since 0.1.0
 */
import type { Envelope } from "@cartero/smtp"
import type { Effect } from "effect"
import type * as DeliveryResult from "./DeliveryResult.ts"
import type { ClaimContext } from "./OutboundHooks.ts"

/** One delivery attempt through a transport. */
export interface Request {
  /** The claim (queue id, destination domain, trace id). */
  readonly context: ClaimContext
  /** The envelope with the recipients of this claim. */
  readonly envelope: Envelope.Envelope
  /** The message as it goes out: the `beforeSend` header fields, then the queued octets (CRLF line endings). */
  readonly message: Uint8Array
}

/** A transport. */
export interface Transport {
  readonly _tag: "Transport"
  /**
   * Names the next hop in logs (`relay=`), in the destination limits (one destination per transport name) and in
   * replies this side writes, e.g. `lmtp:/run/dovecot/lmtp` or `webhook:https://hooks.example/mail`.
   */
  readonly name: string
  /** Delivers; never fails (see the module's contract). */
  readonly send: (request: Request) => Effect.Effect<DeliveryResult.TransactionResult>
}

/** A transport named `name` that delivers with `send`. */
export const make = (name: string, send: Transport["send"]): Transport => ({ _tag: "Transport", name, send })

/** Whether a `route` hook's answer is a transport (rather than a list of relays). */
export const isTransport = (value: unknown): value is Transport =>
  typeof value === "object" && value !== null && "_tag" in value && value._tag === "Transport"
