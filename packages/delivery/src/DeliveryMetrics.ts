/**
 * Metrics of outbound delivery (Effect `Metric`, exported by whatever metrics layer the app installs):
 *
 * - `cartero_delivery_delivered_total`, `cartero_delivery_deferred_total`, `cartero_delivery_bounced_total`:
 *   recipients, by outcome (`bounced` = failed permanently or given up, whether or not a DSN was sent);
 * - `cartero_delivery_dsn_total`: DSNs queued;
 * - `cartero_delivery_attempt_ms`: the duration of each delivery attempt (one claim: routing, connection,
 *   transaction), a histogram from 5 ms to ~80 s.
 *
 * @since 0.1.0
 */
import { Effect, Metric } from "effect"

export const delivered = Metric.counter("cartero_delivery_delivered_total", { description: "recipients delivered" })
export const deferred = Metric.counter("cartero_delivery_deferred_total", { description: "recipients deferred (temporary failure)" })
export const bounced = Metric.counter("cartero_delivery_bounced_total", { description: "recipients failed permanently or given up" })
export const dsn = Metric.counter("cartero_delivery_dsn_total", { description: "delivery status notifications queued" })
export const latency = Metric.histogram("cartero_delivery_attempt_ms", {
  description: "duration of one delivery attempt (one message to one domain), milliseconds",
  boundaries: Metric.exponentialBoundaries({ start: 5, factor: 2, count: 15 })
})

/** Every metric of the module. */
export const all: ReadonlyArray<Metric.Metric<never, unknown>> = [delivered, deferred, bounced, dsn, latency]

/**
 * Registers every metric (reading one registers it) so that an exporter shows them, at zero, before the first
 * delivery; the delivery workers do this when they start.
 */
export const register: Effect.Effect<void> = Effect.forEach(all, Metric.value, { discard: true })

/** Records the outcome counts of one attempt and its duration. */
export const record = (counts: { readonly delivered: number; readonly deferred: number; readonly bounced: number }, millis: number): Effect.Effect<void> =>
  Effect.all([
    counts.delivered > 0 ? Metric.update(delivered, counts.delivered) : Effect.void,
    counts.deferred > 0 ? Metric.update(deferred, counts.deferred) : Effect.void,
    counts.bounced > 0 ? Metric.update(bounced, counts.bounced) : Effect.void,
    Metric.update(latency, millis)
  ], { discard: true })

/** Counts one queued DSN. */
export const incrementDsn: Effect.Effect<void> = Metric.update(dsn, 1)
