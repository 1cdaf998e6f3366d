/**
 * The outbound phases plugins can hook into: core's plugin model (`Plugin`, `Verdict`, `Runner`) with the hooks
 * record of the delivery side. An outbound plugin is made like an inbound one, `OutboundHooks.make(name, build)`,
 * and its hooks answer with the same five verdicts; each phase says which it takes and what they mean there.
 *
 * | phase        | when                                                | the hook answers                                                    |
 * |--------------|-----------------------------------------------------|---------------------------------------------------------------------|
 * | `route`      | before MX routing of one (message, domain) claim    | `Continue` (MX routing), `Accept` with the relays to use ({@link relay}) or a transport other than SMTP ({@link transport}), `Reject` (bounce every recipient with its reply), `Defer` (try later with its reply) |
 * | `beforeSend` | once per claim, before the first connection         | header fields to prepend (e.g. DKIM-Signature), collected from every plugin |
 * | `delivered`  | recipients got a 2yz                                | nothing (observers)                                                 |
 * | `deferred`   | recipients got a 4yz (or no host was reachable)     | `Continue` (the retry policy decides), `Accept` with a time ({@link retryAt}), `Reject` (give up now: bounce with its reply) |
 * | `bounced`    | a DSN is about to be queued for failed recipients   | `Continue` (to the sender), `Accept` with another address ({@link redirect}), `Reject` (send none: {@link suppress}) |
 *
 * Deciding phases (`route`, `deferred`, `bounced`): plugins in order, the first non-`Continue` wins. A hook that
 * fails, dies or times out: `route` and `beforeSend` defer the claim with `451 4.3.0` (we must not send what a
 * signing plugin could not sign, nor bypass a routing policy); in `deferred` and `bounced` it counts as `Continue`
 * (the delivery outcome stands). Everything is logged with the plugin's name and phase.
 *
 * @since 0.1.0
 */
import { Plugin } from "@cartero/core"
import { type Address, type Envelope, type Header, type SmtpReply, Verdict } from "@cartero/smtp"
import { Effect } from "effect"
import type * as DeliveryResult from "./DeliveryResult.ts"
import type * as Route from "./Route.ts"
import type * as Transport from "./Transport.ts"

/** What the routing and sending hooks know about the claim being delivered. */
export interface ClaimContext {
  readonly messageId: string
  /** The destination domain (lower case, ASCII). */
  readonly domain: string
  /** The message's envelope restricted to the recipients of this claim. */
  readonly envelope: Envelope.Envelope
  readonly traceId: string
}

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

/** One recipient of a bounce. */
export interface BouncedRecipient {
  readonly recipient: Envelope.Recipient
  readonly reply: SmtpReply.SmtpReply
  /** The host that gave the reply, when one did. */
  readonly remoteMta: string | undefined
  /** Retrying ended without a definite answer (the queue's maximum age was reached). */
  readonly expired: boolean
}

/** `bounced`: the failed recipients of one message in one batch. */
export interface BouncedEvent {
  readonly messageId: string
  readonly envelope: Envelope.Envelope
  readonly recipients: ReadonlyArray<BouncedRecipient>
}

/** What `route` answers: keep MX routing, use these relays or this transport, bounce, or defer. */
export type RouteVerdict =
  | Verdict.Continue
  | Verdict.Accept<ReadonlyArray<Route.Relay>>
  | Verdict.Accept<Transport.Transport>
  | Verdict.Reject
  | Verdict.Defer
/** What `deferred` answers: let the retry policy decide, retry at a time (epoch ms), or give up now. */
export type DeferredVerdict = Verdict.Continue | Verdict.Accept<number> | Verdict.Reject
/** What `bounced` answers: send the DSN to the sender, send it elsewhere, or send none. */
export type BouncedVerdict = Verdict.Continue | Verdict.Accept<Address.Address> | Verdict.Reject

/** The hooks of an outbound plugin; every member optional. Failures in `E` are handled as described above. */
export interface OutboundHooks {
  readonly route?: (claim: ClaimContext) => Effect.Effect<RouteVerdict, unknown>
  readonly beforeSend?: (send: SendContext) => Effect.Effect<ReadonlyArray<Header.Header>, unknown>
  readonly delivered?: (event: DeliveredEvent) => Effect.Effect<void, unknown>
  readonly deferred?: (event: DeferredEvent) => Effect.Effect<DeferredVerdict, unknown>
  readonly bounced?: (event: BouncedEvent) => Effect.Effect<BouncedVerdict, unknown>
}

/** The outbound phase names, in delivery order (also the only keys an outbound hooks record may have). */
export const phases: ReadonlyArray<keyof OutboundHooks> = ["route", "beforeSend", "delivered", "deferred", "bounced"]

/** An outbound plugin: core's plugin shape with outbound hooks (services it needs show in `R`). */
export type OutboundPlugin<E = never, R = never> = Plugin.Plugin<E, R, OutboundHooks>

/** Makes an outbound plugin (same naming rules, exact hooks record and default hook timeout, 30 s, as `Plugin.make`). */
export const make = Plugin.makeOf<OutboundHooks>(phases)

/** `route`: deliver through these relays instead of MX routing. */
export const relay = (...relays: ReadonlyArray<Route.Relay>): Verdict.Accept<ReadonlyArray<Route.Relay>> => Verdict.acceptWith(relays)
/** `route`: deliver through `transport` (LMTP, a webhook…) instead of SMTP. */
export const transport = (transport: Transport.Transport): Verdict.Accept<Transport.Transport> => Verdict.acceptWith(transport)
/**
 * The `route` hook of a delivery target: the claims of `domains` (case-insensitive) go through `via`, the others
 * to the next hook.
 */
export const routeDomains = (domains: ReadonlyArray<string>, via: Transport.Transport) => {
  const set = new Set(domains.map((d) => d.toLowerCase()))
  return (context: ClaimContext): Effect.Effect<RouteVerdict> =>
    Effect.succeed<RouteVerdict>(set.has(context.domain.toLowerCase()) ? transport(via) : Verdict.next)
}
/** `deferred`: try again at `at` (epoch milliseconds), whatever the retry policy would say. */
export const retryAt = (at: number): Verdict.Accept<number> => Verdict.acceptWith(at)
/** `bounced`: send the DSN to `to` instead of the envelope sender. */
export const redirect = (to: Address.Address): Verdict.Accept<Address.Address> => Verdict.acceptWith(to)
/** `bounced`: send no DSN; `reason` is logged. */
export const suppress = (reason: string): Verdict.Reject => Verdict.reject("5.0.0", reason)
