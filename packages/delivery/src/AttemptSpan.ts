/**
 * The span of one delivery attempt, `delivery.attempt` (when message traces are on, `TraceGate`): one per claim,
 * that is per message and destination domain, from the claim to the recorded outcome. Its parent is the span that
 * queued the message (the claim's stored `traceParent`), so every attempt, in whichever process makes it, is in
 * the trace of the SMTP session that accepted the message; a message queued untraced gets a trace of its own.
 *
 * Attributes: `cartero.queue.id`, `cartero.txn` (the message's trace id of the logs), `cartero.domain`,
 * `cartero.recipients` (the addresses), `cartero.attempt` (this attempt's number); once decided, `cartero.relay`
 * (as the `delivery attempt` log line writes it), and per recipient, in order, `cartero.status`
 * (`sent`/`deferred`/`bounced`) and `smtp.reply.code`.
 *
 * @since 0.1.0
 */
import { TraceGate } from "@cartero/hotpath"
import type { Claim } from "@cartero/queue"
import { Address } from "@cartero/smtp"
import type { Effect } from "effect"
import type * as AttemptLog from "./AttemptLog.ts"

const status = { Delivered: "sent", Deferred: "deferred", Failed: "bounced" } as const

/** Wraps the delivery of `claim` in its span (nothing when traces are off). */
export const around = (claim: Claim.Claim) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  self.pipe(TraceGate.root("delivery.attempt", () => ({
    "cartero.queue.id": claim.messageId,
    "cartero.txn": claim.traceId,
    "cartero.domain": claim.domain,
    "cartero.recipients": claim.recipients.map((r) => Address.format(r.recipient.address)),
    "cartero.attempt": (claim.recipients[0]?.attempts ?? 0) + 1
  }), claim.traceParent))

/** Records the outcome of the attempt on its span. */
export const record = (attempt: AttemptLog.Attempt): Effect.Effect<void> =>
  TraceGate.annotate(() => {
    const byIndex = new Map(attempt.outcomes.map((o) => [o.index, o._tag]))
    return {
      "cartero.relay": attempt.relay,
      "cartero.status": attempt.results.map((r, i) => {
        const index = attempt.claim.recipients[i]?.index
        return status[(index === undefined ? undefined : byIndex.get(index)) ?? r._tag]
      }),
      "smtp.reply.code": attempt.results.map((r) => r.reply.code)
    }
  })
