/**
 * Metrics of inbound SMTP (Effect `Metric`, exported by whatever metrics layer the app installs, e.g. the
 * `/metrics` endpoint of `@cartero/http-api`):
 *
 * - `cartero_smtp_connections_open` (gauge), `cartero_smtp_connections_total`: admitted connections;
 * - `cartero_smtp_connections_refused_total{reason="too_many_clients|too_many_from_client|rate_exceeded"}`: refused
 *   by the connection limits (`421 4.7.0` before the banner);
 * - `cartero_smtp_replies_total{class="2xx|3xx|4xx|5xx"}`: every reply sent;
 * - `cartero_smtp_messages_accepted_total`, `cartero_smtp_messages_refused_total`: messages at the end of DATA
 *   (refused: a size/line/hop check, a plugin or the store said no);
 * - `cartero_smtp_message_size_bytes`: sizes of accepted messages, a histogram from 1 KiB to 256 MiB.
 *
 * They are updated from smtp-server's callbacks, synchronously ({@link Recorder}): one registry lookup and an
 * addition per update, nothing allocated. Every series is a metric of its own (attributes fixed at definition),
 * because `Metric.withAttributes` would allocate a context per update.
 *
 * @since 0.1.0
 */
import { type Context, Effect, Metric } from "effect"
import type { Refusal } from "./ConnectionLimits.ts"

export const connectionsOpen = Metric.gauge("cartero_smtp_connections_open", { description: "SMTP connections open now" })
export const connectionsTotal = Metric.counter("cartero_smtp_connections_total", { description: "SMTP connections admitted" })

const refusedDescription = "SMTP connections refused by the connection limits"
export const connectionsRefused: Readonly<Record<Refusal, Metric.Metric<number, unknown>>> = {
  TooManyClients: Metric.counter("cartero_smtp_connections_refused_total", { description: refusedDescription, attributes: { reason: "too_many_clients" } }),
  TooManyFromClient: Metric.counter("cartero_smtp_connections_refused_total", { description: refusedDescription, attributes: { reason: "too_many_from_client" } }),
  RateExceeded: Metric.counter("cartero_smtp_connections_refused_total", { description: refusedDescription, attributes: { reason: "rate_exceeded" } })
}

const replyClass = (c: string) => Metric.counter("cartero_smtp_replies_total", { description: "SMTP replies sent, by class", attributes: { class: c } })
/** Indexed by the first digit of the code. */
export const replies: ReadonlyArray<Metric.Metric<number, unknown>> = ["1xx", "2xx", "3xx", "4xx", "5xx"].map(replyClass)

export const messagesAccepted = Metric.counter("cartero_smtp_messages_accepted_total", { description: "messages accepted at the end of DATA" })
export const messagesRefused = Metric.counter("cartero_smtp_messages_refused_total", { description: "messages refused at the end of DATA" })
export const messageSize = Metric.histogram("cartero_smtp_message_size_bytes", {
  description: "size of accepted messages, bytes",
  boundaries: Metric.exponentialBoundaries({ start: 1024, factor: 4, count: 10 })
})

/** Every metric of the module. */
export const all: ReadonlyArray<Metric.Metric<never, unknown>> = [
  connectionsOpen,
  connectionsTotal,
  ...Object.values(connectionsRefused),
  ...replies.slice(1),
  messagesAccepted,
  messagesRefused,
  messageSize
]

/**
 * Registers every metric (reading one registers it) so that an exporter shows them, at zero, before the first
 * connection; the server does this when it starts.
 */
export const register: Effect.Effect<void> = Effect.forEach(all, Metric.value, { discard: true })

/** Updates the metrics from plain callbacks, in the server's context (its metric registry). */
export class Recorder {
  constructor(private readonly context: Context.Context<never>) {}

  connectionOpened(): void {
    connectionsTotal.updateUnsafe(1, this.context)
    connectionsOpen.modifyUnsafe(1, this.context)
  }

  connectionClosed(): void {
    connectionsOpen.modifyUnsafe(-1, this.context)
  }

  connectionRefused(reason: Refusal): void {
    connectionsRefused[reason].updateUnsafe(1, this.context)
  }

  reply(code: number): void {
    replies[Math.floor(code / 100) - 1]?.updateUnsafe(1, this.context)
  }

  messageAccepted(size: number): void {
    messagesAccepted.updateUnsafe(1, this.context)
    messageSize.updateUnsafe(size, this.context)
  }

  messageRefused(): void {
    messagesRefused.updateUnsafe(1, this.context)
  }
}
