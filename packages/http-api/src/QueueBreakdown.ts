/**
 * The queue by destination domain, and why deliveries wait: the dashboard's `GET /api/queue/breakdown`.
 *
 * Recipients are counted per domain and state; deferred recipients are grouped by their last reply (the deferral
 * reason an operator acts on: `421 4.7.0 try later` from one provider, connection refused from another). A listing
 * carries neither domains nor replies, so this reads each message (`show`): it looks at the oldest
 * {@link maxScanned} messages only and says so (`truncated`), to stay an operator's query on any queue size.
 *
 * @since 0.1.0
 */
import { Listing, type MailQueue, type QueuedMessage, RecipientState } from "@cartero/queue"
import { Effect, Schema } from "effect"

/** Messages read at most. */
export const maxScanned = 500

/** Distinct reasons listed at most (the most frequent). */
export const maxReasons = 20

/** The breakdown. */
export const QueueBreakdown = Schema.Struct({
  /** Messages read. */
  scanned: Schema.Number,
  /** Whether the queue holds more messages than were read. */
  truncated: Schema.Boolean,
  /** Recipients per state for each destination domain, most recipients first. */
  domains: Schema.Array(Schema.Struct({ domain: Schema.String, recipients: Schema.Record(Schema.String, Schema.Number) })),
  /** Deferred recipients per last reply, most frequent first, with their domains. */
  reasons: Schema.Array(Schema.Struct({ reason: Schema.String, recipients: Schema.Number, domains: Schema.Array(Schema.String) }))
})
export type QueueBreakdown = typeof QueueBreakdown.Type

const replyText = (recipient: QueuedMessage.RecipientStatus): string => {
  const r = recipient.lastReply
  if (r === undefined) return "(no reply yet)"
  const text = [String(r.code), r.enhanced ?? "", r.lines.join(" ")].filter((s) => s !== "").join(" ")
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

/** Counts the recipients of the given messages. */
export const summarize = (messages: ReadonlyArray<QueuedMessage.QueuedMessage>): Pick<QueueBreakdown, "domains" | "reasons"> => {
  const domains = new Map<string, Record<string, number>>()
  const reasons = new Map<string, { recipients: number; domains: Set<string> }>()
  for (const message of messages) {
    for (const r of message.recipients) {
      const counts = domains.get(r.domain) ?? Listing.emptyCounts()
      counts[r.state] = (counts[r.state] ?? 0) + 1
      domains.set(r.domain, counts)
      if (r.state === "deferred") {
        const reason = replyText(r)
        const entry = reasons.get(reason) ?? { recipients: 0, domains: new Set<string>() }
        entry.recipients++
        entry.domains.add(r.domain)
        reasons.set(reason, entry)
      }
    }
  }
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0)
  const open = (counts: Record<string, number>) =>
    Object.fromEntries(Object.entries(counts).filter(([state, n]) => n > 0 && RecipientState.is(state)))
  return {
    domains: Array.from(domains, ([domain, counts]) => ({ domain, recipients: open(counts) }))
      .sort((a, b) => total(b.recipients) - total(a.recipients) || a.domain.localeCompare(b.domain)),
    reasons: Array.from(reasons, ([reason, e]) => ({ reason, recipients: e.recipients, domains: Array.from(e.domains).sort() }))
      .sort((a, b) => b.recipients - a.recipients || a.reason.localeCompare(b.reason))
      .slice(0, maxReasons)
  }
}

/** The breakdown of the oldest {@link maxScanned} messages. */
export const compute = Effect.fn("QueueBreakdown.compute")(function*(queue: MailQueue.Service) {
  const page = yield* queue.list({}, { limit: maxScanned })
  const messages: Array<QueuedMessage.QueuedMessage> = []
  for (const summary of page.items) {
    const message = yield* queue.show(summary.id).pipe(
      // Gone since it was listed: not counted.
      Effect.catchTag("MessageNotFound", () => Effect.succeed(undefined))
    )
    if (message !== undefined) messages.push(message)
  }
  const result: QueueBreakdown = { scanned: page.items.length, truncated: page.next !== undefined, ...summarize(messages) }
  return result
})
