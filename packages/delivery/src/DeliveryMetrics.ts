/**
 * Metrics of outbound delivery (Effect `Metric`, exported by whatever metrics layer the app installs):
 *
 * - `cartero_delivery_delivered_total`, `cartero_delivery_deferred_total`, `cartero_delivery_bounced_total`:
 *   recipients, by outcome (`bounced` = failed permanently or given up, whether or not a DSN was sent);
 * - `cartero_delivery_dsn_total`: DSNs queued;
 * - `cartero_delivery_attempt_ms`: the duration of each delivery attempt (one claim: routing, connection,
 *   transaction), a histogram from 5 ms to ~80 s;
 * - `cartero_delivery_attempts_total{class}` and `cartero_delivery_recipients_total{class, outcome}`: attempts, and
 *   their recipients by outcome (`delivered | deferred | bounced`), by destination class ({@link DestinationClass}:
 *   how the destination was routed, four values whatever the domains);
 * - connection pool: `cartero_delivery_connections_open`, `cartero_delivery_connections_idle` (gauges),
 *   `cartero_delivery_connections_opened_total`, `cartero_delivery_connections_reused_total` (transactions sent on
 *   a connection that already carried one);
 * - `cartero_delivery_tls_total{result}`: what became of TLS on each outbound connection, `result` one of
 *   `verified | unverified` (STARTTLS done, certificate checked or not), `not_offered`, `refused` (STARTTLS answered
 *   with an error), `failed` (the handshake failed), `disabled` (policy `none`; also the plaintext retry after a
 *   failed opportunistic handshake).
 *
 * @since 0.1.0
 */
import { type Context, Effect, Metric } from "effect"
import type * as Route from "./Route.ts"

export const delivered = Metric.counter("cartero_delivery_delivered_total", { description: "recipients delivered" })
export const deferred = Metric.counter("cartero_delivery_deferred_total", { description: "recipients deferred (temporary failure)" })
export const bounced = Metric.counter("cartero_delivery_bounced_total", { description: "recipients failed permanently or given up" })
export const dsn = Metric.counter("cartero_delivery_dsn_total", { description: "delivery status notifications queued" })
export const latency = Metric.histogram("cartero_delivery_attempt_ms", {
  description: "duration of one delivery attempt (one message to one domain), milliseconds",
  boundaries: Metric.exponentialBoundaries({ start: 5, factor: 2, count: 15 })
})

/**
 * The class of a destination, a bounded label (the domains themselves would make a series per domain):
 * - `mx`: delivered to the domain's own hosts (its MX records, its A/AAAA as implicit MX, an address literal);
 * - `relay`: a configured static route or smarthost;
 * - `plugin`: relays chosen by a `route` hook;
 * - `none`: no host was tried (routing bounced or deferred: null MX, NXDOMAIN, DNS failure, a hook's refusal).
 */
export type DestinationClass = "mx" | "relay" | "plugin" | "none"
export const destinationClasses: ReadonlyArray<DestinationClass> = ["mx", "relay", "plugin", "none"]

/** The class of a route (of its first host: every host of one route has the same source). */
export const classOf = (route: Route.Route): DestinationClass => {
  if (route._tag !== "Hosts") return "none"
  switch (route.hosts[0]?.source) {
    case "static":
      return "relay"
    case "plugin":
      return "plugin"
    case undefined:
      return "none"
    default:
      return "mx"
  }
}

/** The outcomes counted per class. */
export type Outcome = "delivered" | "deferred" | "bounced"

interface ClassMetrics {
  readonly attempts: Metric.Metric<number, unknown>
  readonly recipients: Readonly<Record<Outcome, Metric.Metric<number, unknown>>>
}

const recipientsDescription = "recipients of delivery attempts, by destination class and outcome"
const classMetrics = (cls: DestinationClass): ClassMetrics => ({
  attempts: Metric.counter("cartero_delivery_attempts_total", { description: "delivery attempts, by destination class", attributes: { class: cls } }),
  recipients: {
    delivered: Metric.counter("cartero_delivery_recipients_total", { description: recipientsDescription, attributes: { class: cls, outcome: "delivered" } }),
    deferred: Metric.counter("cartero_delivery_recipients_total", { description: recipientsDescription, attributes: { class: cls, outcome: "deferred" } }),
    bounced: Metric.counter("cartero_delivery_recipients_total", { description: recipientsDescription, attributes: { class: cls, outcome: "bounced" } })
  }
})
export const byClass: Readonly<Record<DestinationClass, ClassMetrics>> = {
  mx: classMetrics("mx"),
  relay: classMetrics("relay"),
  plugin: classMetrics("plugin"),
  none: classMetrics("none")
}

export const connectionsOpen = Metric.gauge("cartero_delivery_connections_open", { description: "outbound SMTP connections open now (leased or idle)" })
export const connectionsIdle = Metric.gauge("cartero_delivery_connections_idle", { description: "outbound SMTP connections idle in the pool now" })
export const connectionsOpened = Metric.counter("cartero_delivery_connections_opened_total", { description: "outbound SMTP connections opened" })
export const connectionsReused = Metric.counter("cartero_delivery_connections_reused_total", { description: "transactions sent on a connection that already carried one" })

/** What became of TLS on one outbound connection. */
export type TlsResult = "verified" | "unverified" | "not_offered" | "refused" | "failed" | "disabled"
const tlsResults: ReadonlyArray<TlsResult> = ["verified", "unverified", "not_offered", "refused", "failed", "disabled"]
export const tls: Readonly<Record<TlsResult, Metric.Metric<number, unknown>>> = Object.fromEntries(
  tlsResults.map((result) => [result, Metric.counter("cartero_delivery_tls_total", { description: "outbound SMTP connections, by what became of STARTTLS", attributes: { result } })])
) as Record<TlsResult, Metric.Metric<number, unknown>>

/** Every metric of the module. */
export const all: ReadonlyArray<Metric.Metric<never, unknown>> = [
  delivered,
  deferred,
  bounced,
  dsn,
  latency,
  ...Object.values(byClass).flatMap((m) => [m.attempts, ...Object.values(m.recipients)]),
  connectionsOpen,
  connectionsIdle,
  connectionsOpened,
  connectionsReused,
  ...Object.values(tls)
]

/**
 * Registers every metric (reading one registers it) so that an exporter shows them, at zero, before the first
 * delivery; the delivery workers do this when they start.
 */
export const register: Effect.Effect<void> = Effect.forEach(all, Metric.value, { discard: true })

/** Records the outcome counts of one attempt, its duration and its destination class. */
export const record = (
  counts: { readonly delivered: number; readonly deferred: number; readonly bounced: number },
  millis: number,
  cls: DestinationClass
): Effect.Effect<void> =>
  Effect.contextWith((context: Context.Context<never>) => {
    const of = byClass[cls]
    of.attempts.updateUnsafe(1, context)
    if (counts.delivered > 0) {
      delivered.updateUnsafe(counts.delivered, context)
      of.recipients.delivered.updateUnsafe(counts.delivered, context)
    }
    if (counts.deferred > 0) {
      deferred.updateUnsafe(counts.deferred, context)
      of.recipients.deferred.updateUnsafe(counts.deferred, context)
    }
    if (counts.bounced > 0) {
      bounced.updateUnsafe(counts.bounced, context)
      of.recipients.bounced.updateUnsafe(counts.bounced, context)
    }
    latency.updateUnsafe(millis, context)
    return Effect.void
  })

/** Counts one queued DSN. */
export const incrementDsn: Effect.Effect<void> = Metric.update(dsn, 1)

/** Counts one outbound connection's TLS result. */
export const recordTls = (result: TlsResult): Effect.Effect<void> => Metric.update(tls[result], 1)

/** Updates the pool's metrics from its plain code, in the registry of the context the pool was made in. */
export class PoolRecorder {
  constructor(private readonly context: Context.Context<never>) {}

  opened(): void {
    connectionsOpened.updateUnsafe(1, this.context)
    connectionsOpen.modifyUnsafe(1, this.context)
  }

  closed(): void {
    connectionsOpen.modifyUnsafe(-1, this.context)
  }

  /** `n` connections became idle (negative: left the idle list). */
  idle(n: number): void {
    connectionsIdle.modifyUnsafe(n, this.context)
  }

  reused(): void {
    connectionsReused.updateUnsafe(1, this.context)
  }
}
