/**
 * The outbound phases plugins can hook into, and outbound plugins as typed values (the delivery-side twin of
 * `@cartero/core`'s `Hooks` and `Plugin`).
 *
 * | phase        | when                                             | the hook returns                               |
 * |--------------|--------------------------------------------------|------------------------------------------------|
 * | `route`      | before MX routing of one (message, domain) claim | `Continue`, or `Relay` / `Bounce` / `Defer`    |
 * | `beforeSend` | once per claim, before the first connection      | header fields to prepend (e.g. DKIM-Signature) |
 * | `delivered`  | recipients got a 2yz                             | nothing (observers)                            |
 * | `deferred`   | recipients got a 4yz (or no host was reachable)  | `Continue` or `RetryAt(epoch ms)`              |
 * | `bounced`    | a DSN is about to be queued for failed recipients| `Continue`, `Suppress` or `Redirect(address)`  |
 *
 * Deciding phases (`route`, `deferred`, `bounced`): plugins in order, the first non-`Continue` wins. `beforeSend`
 * collects the headers of every plugin, in plugin order. `delivered` observers all run. A hook that fails, dies or
 * times out: `route` and `beforeSend` defer the claim with `451 4.3.0` (we must not send what a signing plugin could
 * not sign, nor bypass a routing policy); the others count as `Continue` (the delivery outcome stands). Everything is
 * logged with the plugin's name and phase.
 *
 * @since 0.1.0
 */
import type { Address, Envelope, Header, SmtpReply } from "@cartero/smtp"
import { Plugin } from "@cartero/core"
import type { Effect } from "effect"
import type * as DeliveryResult from "./DeliveryResult.ts"
import type * as Route from "./Route.ts"

/** What the routing and sending hooks know about the claim being delivered. */
export interface ClaimContext {
  readonly messageId: string
  /** The destination domain (lower case, ASCII). */
  readonly domain: string
  /** The message's envelope restricted to the recipients of this claim. */
  readonly envelope: Envelope.Envelope
  readonly traceId: string
}

/** `route`: keep MX routing, or take over. */
export type RouteDecision =
  | { readonly _tag: "Continue" }
  | { readonly _tag: "Relay"; readonly relays: ReadonlyArray<Route.Relay> }
  | { readonly _tag: "Bounce"; readonly reply: SmtpReply.SmtpReply }
  | { readonly _tag: "Defer"; readonly reply: SmtpReply.SmtpReply }

/** What `beforeSend` sees. */
export interface SendContext extends ClaimContext {
  /** The message as queued (read on demand: a hook that only edits headers need not load the body). */
  readonly message: Effect.Effect<Uint8Array, unknown>
}

/** `delivered`: recipients accepted by `remote`. */
export interface DeliveredEvent extends ClaimContext {
  readonly results: ReadonlyArray<DeliveryResult.Delivered>
  readonly remote: DeliveryResult.Remote | undefined
}

/** `deferred`: recipients to retry. `attempts` counts this attempt. */
export interface DeferredEvent extends ClaimContext {
  readonly results: ReadonlyArray<DeliveryResult.Deferred>
  readonly attempts: number
  readonly arrivedAt: number
}

/** `deferred`: let the retry policy decide, or retry at a given time (epoch milliseconds). */
export type DeferDecision = { readonly _tag: "Continue" } | { readonly _tag: "RetryAt"; readonly at: number }

/** One recipient of a bounce. */
export interface BouncedRecipient {
  readonly recipient: Envelope.Recipient
  readonly reply: SmtpReply.SmtpReply
  /** The host that gave the reply, when one did. */
  readonly remoteMta: string | undefined
  /** The retry policy gave up on a temporary failure (the queue's maximum age was reached). */
  readonly expired: boolean
}

/** `bounced`: the failed recipients of one message in one batch. */
export interface BouncedEvent {
  readonly messageId: string
  readonly envelope: Envelope.Envelope
  readonly recipients: ReadonlyArray<BouncedRecipient>
}

/** `bounced`: send the DSN to the sender, send none, or send it elsewhere. */
export type BounceDecision =
  | { readonly _tag: "Continue" }
  | { readonly _tag: "Suppress"; readonly reason: string }
  | { readonly _tag: "Redirect"; readonly to: Address.Address }

/** The hooks of an outbound plugin; every member optional. Failures in `E` are handled as described above. */
export interface OutboundHooks {
  readonly route?: (context: ClaimContext) => Effect.Effect<RouteDecision, unknown>
  readonly beforeSend?: (context: SendContext) => Effect.Effect<ReadonlyArray<Header.Header>, unknown>
  readonly delivered?: (event: DeliveredEvent) => Effect.Effect<void, unknown>
  readonly deferred?: (event: DeferredEvent) => Effect.Effect<DeferDecision, unknown>
  readonly bounced?: (event: BouncedEvent) => Effect.Effect<BounceDecision, unknown>
}

/** An outbound plugin: core's plugin shape with outbound hooks (services it needs show in `R`). */
export type OutboundPlugin<E = never, R = never> = Plugin.Plugin<E, R, OutboundHooks>

/** Makes an outbound plugin (same naming rules and default hook timeout, 30 s, as `Plugin.make`). */
export const make = Plugin.makeOf<OutboundHooks>()

/** Decision constructors. */
export const next = { _tag: "Continue" } as const
export const relay = (...relays: ReadonlyArray<Route.Relay>): RouteDecision => ({ _tag: "Relay", relays })
export const retryAt = (at: number): DeferDecision => ({ _tag: "RetryAt", at })
export const suppress = (reason: string): BounceDecision => ({ _tag: "Suppress", reason })
export const redirect = (to: Address.Address): BounceDecision => ({ _tag: "Redirect", to })
