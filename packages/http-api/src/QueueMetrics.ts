/**
 * Queue depth as metrics, read from the store when `/metrics` is scraped (never on the message path):
 *
 * - `cartero_queue_recipients{state="pending|inflight|deferred|held|delivered|failed"}`: recipients per state;
 * - `cartero_queue_messages`: messages queued;
 * - `cartero_queue_oldest_age_seconds`: age of the oldest message (0 when the queue is empty);
 * - `cartero_queue_up`: 1 when the store answered the last scrape, 0 when it did not (the other values then
 *   keep their last reading).
 *
 * @since 0.1.0
 */
import { type MailQueue, RecipientState } from "@cartero/queue"
import { Clock, Effect, Metric } from "effect"

const recipients = Metric.gauge("cartero_queue_recipients", { description: "queued recipients per state" })
const byState = new Map(RecipientState.all.map((state) => [state, Metric.withAttributes(recipients, { state })]))
const messages = Metric.gauge("cartero_queue_messages", { description: "messages in the queue" })
const oldest = Metric.gauge("cartero_queue_oldest_age_seconds", { description: "age of the oldest queued message, seconds" })
const up = Metric.gauge("cartero_queue_up", { description: "1 when the queue store answered the last scrape" })

/** Reads the queue's statistics into the gauges. */
export const refresh = (queue: MailQueue.Service): Effect.Effect<void> =>
  Effect.gen(function*() {
    const stats = yield* queue.stats
    const now = yield* Clock.currentTimeMillis
    for (const [state, gauge] of byState) yield* Metric.update(gauge, stats.recipients[state])
    yield* Metric.update(messages, stats.messages)
    yield* Metric.update(oldest, stats.oldestArrivedAt === undefined ? 0 : Math.max(0, (now - stats.oldestArrivedAt) / 1000))
    yield* Metric.update(up, 1)
  }).pipe(
    Effect.catch((error) =>
      Metric.update(up, 0).pipe(Effect.andThen(Effect.logWarning("metrics: queue store did not answer", error)))
    )
  )
