/**
 * Client timeouts. The defaults are the minimums of RFC 5321 §4.5.3.2: a client that gives up sooner than these
 * risks abandoning transactions that a slow (but legitimate) server was about to complete, and duplicates when it
 * gives up after the final `.`.
 *
 * @since 0.1.0
 */
import { Duration } from "effect"

/** Every wait of the client, each bounded. */
export interface Timeouts {
  /** TCP connect. Not in RFC 5321; short, so that the next MX host is tried quickly. */
  readonly connect: Duration.Duration
  /** The initial `220` greeting (RFC 5321: 5 minutes). */
  readonly greeting: Duration.Duration
  /** EHLO/HELO, STARTTLS, RSET replies (RFC 5321 gives none; we use the MAIL value). */
  readonly command: Duration.Duration
  /** The TLS handshake after `220` to STARTTLS. */
  readonly tlsHandshake: Duration.Duration
  /** MAIL FROM reply (5 minutes). */
  readonly mail: Duration.Duration
  /** Each RCPT TO reply (5 minutes). */
  readonly rcpt: Duration.Duration
  /** The `354` reply to DATA (2 minutes). */
  readonly dataInit: Duration.Duration
  /** Each block of message data written (3 minutes per write to be accepted by the peer). */
  readonly dataBlock: Duration.Duration
  /** The reply after the final `.` (10 minutes). */
  readonly dataTermination: Duration.Duration
  /** The `221` to QUIT: we do not wait long, the transaction is already done. */
  readonly quit: Duration.Duration
}

/** The RFC 5321 §4.5.3.2 values (plus 30 s connect, 2 min TLS handshake, 10 s QUIT). */
export const defaults: Timeouts = {
  connect: Duration.seconds(30),
  greeting: Duration.minutes(5),
  command: Duration.minutes(5),
  tlsHandshake: Duration.minutes(2),
  mail: Duration.minutes(5),
  rcpt: Duration.minutes(5),
  dataInit: Duration.minutes(2),
  dataBlock: Duration.minutes(3),
  dataTermination: Duration.minutes(10),
  quit: Duration.seconds(10)
}

/** Overrides of {@link defaults}; any `Duration.Input` is accepted. */
export type TimeoutsInput = { readonly [K in keyof Timeouts]?: Duration.Input }

/** The defaults with `input` applied. */
export const make = (input?: TimeoutsInput): Timeouts => {
  if (input === undefined) return defaults
  const out: Record<keyof Timeouts, Duration.Duration> = { ...defaults }
  for (const k of Object.keys(defaults) as Array<keyof Timeouts>) {
    const v = input[k]
    if (v !== undefined) out[k] = Duration.fromInputUnsafe(v)
  }
  return out
}
