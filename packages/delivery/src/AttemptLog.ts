/**
 * The `delivery attempt` info line: one per recipient of each attempt, after its outcome is decided, with the
 * same keys every time (Postfix's `to= relay= delay= status=` is the model; docs/operations.md, "Logs"):
 *
 * `txn from to relay delay duration attempts status reply`, beside the worker's `queueId domain worker`.
 *
 * - `txn`: the message's trace id: the id of the SMTP transaction that queued it (its `message accepted` line; a
 *   bounce carries the original's);
 * - `relay`: `host[address]:port` of the server that answered or was last tried, `none` when no server was tried
 *   (a route that bounced or deferred, no address);
 * - `delay`: seconds since the message was queued; `duration`: seconds this attempt took (both to 0.001 s);
 * - `attempts`: this attempt's number for the recipient;
 * - `status`: `sent`, `deferred` (retried later) or `bounced` (failed: permanent reply, a plugin's refusal, or the
 *   last temporary reply once the message is too old);
 * - `reply`: the reply that decided it (the remote server's, or one this side wrote, e.g. a connection failure).
 *
 * Built only when `Info` is logged (`LogGate`).
 *
 * @since 0.1.0
 */
import { LogGate } from "@cartero/hotpath"
import type { Claim, MailQueue } from "@cartero/queue"
import { Address, SmtpReply } from "@cartero/smtp"
import { Effect } from "effect"
import type * as DeliveryResult from "./DeliveryResult.ts"

/** What the lines of one attempt are made of. */
export interface Attempt {
  readonly claim: Claim.Claim
  /** In the order of `claim.recipients`. */
  readonly results: ReadonlyArray<DeliveryResult.RecipientResult>
  /** The disposition's outcomes, by recipient index. */
  readonly outcomes: ReadonlyArray<MailQueue.Outcome>
  readonly relay: string
  readonly started: number
  readonly now: number
}

const status = { Delivered: "sent", Deferred: "deferred", Failed: "bounced" } as const

const seconds = (millis: number): string => (Math.max(0, millis) / 1000).toFixed(3)

/** `host[address]:port`, the address repeated for an IP literal, as Postfix writes it. */
export const relay = (remote: Pick<DeliveryResult.Remote, "host" | "port" | "address">): string =>
  `${remote.host}[${remote.address ?? remote.host}]:${remote.port}`

/** The lines of one attempt. */
export const attempts = (attempt: Attempt): Effect.Effect<void> =>
  LogGate.whenEnabled("Info", () => {
    const { claim, now, outcomes, results, started } = attempt
    const byIndex = new Map(outcomes.map((o) => [o.index, o]))
    const from = Address.formatPath(claim.envelope.mailFrom)
    const delay = seconds(now - claim.arrivedAt)
    const duration = seconds(now - started)
    return Effect.forEach(results, (r, i) => {
      const claimed = claim.recipients[i]
      const outcome = claimed === undefined ? undefined : byIndex.get(claimed.index)
      return Effect.logInfo("delivery attempt").pipe(Effect.annotateLogs({
        txn: claim.traceId,
        from,
        to: Address.formatPath(r.recipient.address),
        relay: attempt.relay,
        delay,
        duration,
        attempts: (claimed?.attempts ?? 0) + 1,
        status: status[outcome?._tag ?? r._tag],
        reply: SmtpReply.toString(outcome?._tag === "Failed" ? outcome.reply : r.reply)
      }))
    }, { discard: true })
  })
