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
 * - `cartero_smtp_message_size_bytes`: sizes of accepted messages, a histogram from 1 KiB to 256 MiB;
 * - `cartero_smtp_commands_total{verb="EHLO|HELO|MAIL|RCPT|DATA|BDAT|RSET|NOOP|QUIT|VRFY|EXPN|HELP|AUTH|STARTTLS|ETRN|other"}`:
 *   command lines received (not the lines of an AUTH exchange, not the message), by verb; any other verb is `other`,
 *   so a client cannot make new series;
 * - `cartero_smtp_tls_sessions_total{mode="starttls|implicit"}`: TLS sessions established (STARTTLS, or the smtps
 *   listener's implicit TLS);
 * - `cartero_smtp_tls_failures_total`: TLS handshakes that failed (either mode).
 *
 * They are updated from smtp-server's callbacks, synchronously ({@link Recorder}): one registry lookup and an
 * addition per update, nothing allocated (the verb of a command is read from the line's bytes, no string is made). Every series is a metric of its own (attributes fixed at definition),
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

/** The verbs counted by name; any other is `other`. */
export const verbs: ReadonlyArray<string> = ["EHLO", "HELO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "QUIT", "VRFY", "EXPN", "HELP", "AUTH", "STARTTLS", "ETRN"]

const command = (verb: string) => Metric.counter("cartero_smtp_commands_total", { description: "SMTP command lines received, by verb", attributes: { verb } })
const otherCommand = command("other")
const named = verbs.map((verb) => [verb, command(verb)] as const)
/** The counter of each verb, and of `other`. */
export const commands: ReadonlyMap<string, Metric.Metric<number, unknown>> = new Map([...named, ["other", otherCommand]])

/** A verb of at most 8 letters as a number: 5 bits a letter, case folded (40 bits, exact in a double). */
const verbKey = (bytes: Uint8Array, length: number): number => {
  let key = 0
  for (let i = 0; i < length; i++) key = key * 32 + ((bytes[i] ?? 0) & 0x1f)
  return key
}
const byKey = new Map(named.map(([verb, counter]) => [verbKey(Buffer.from(verb), verb.length), counter]))

/** The counter of a command line's verb: its letters up to a space, a colon or the end, case-insensitive. */
export const commandOf = (line: Uint8Array): Metric.Metric<number, unknown> => {
  let length = 0
  while (length < line.length) {
    const c = line[length] ?? 0
    if (c === 0x20 || c === 0x3a || c === 0x09) break
    // Letters only, and at most 8 of them.
    if (length === 8 || (c | 0x20) < 0x61 || (c | 0x20) > 0x7a) return otherCommand
    length++
  }
  return length === 0 ? otherCommand : byKey.get(verbKey(line, length)) ?? otherCommand
}

const tlsDescription = "TLS sessions established on SMTP listeners, by mode"
export const tlsSessions = {
  starttls: Metric.counter("cartero_smtp_tls_sessions_total", { description: tlsDescription, attributes: { mode: "starttls" } }),
  implicit: Metric.counter("cartero_smtp_tls_sessions_total", { description: tlsDescription, attributes: { mode: "implicit" } })
} as const
export const tlsFailures = Metric.counter("cartero_smtp_tls_failures_total", { description: "TLS handshakes that failed on SMTP listeners" })

/** Every metric of the module. */
export const all: ReadonlyArray<Metric.Metric<never, unknown>> = [
  connectionsOpen,
  connectionsTotal,
  ...Object.values(connectionsRefused),
  ...replies.slice(1),
  messagesAccepted,
  messagesRefused,
  messageSize,
  ...commands.values(),
  tlsSessions.starttls,
  tlsSessions.implicit,
  tlsFailures
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

  /** One command line (as smtp-server hands it over, without CRLF). */
  command(line: Uint8Array): void {
    commandOf(line).updateUnsafe(1, this.context)
  }

  tlsEstablished(mode: "starttls" | "implicit"): void {
    tlsSessions[mode].updateUnsafe(1, this.context)
  }

  tlsFailed(): void {
    tlsFailures.updateUnsafe(1, this.context)
  }
}
