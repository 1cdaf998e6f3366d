/**
 * Admission of new connections on one listener: how many at once in total, how many at once per client
 * ({@link ClientKey}: an IPv4 address or an IPv6 /64), and how many new ones per client per minute.
 *
 * Postfix's model: the process limit of the service (`default_process_limit`), `smtpd_client_connection_count_limit`
 * and `smtpd_client_connection_rate_limit` counted by anvil over `anvil_rate_time_unit` (60 s). As with anvil, every
 * attempt counts towards the rate, refused ones included: a client that keeps hammering stays refused until it
 * slows down. Counts are exact (admit and release are paired by the caller); the map holds only clients with a
 * connection open, and the rate window sweeps itself ({@link RateWindow}), so memory follows the live clients.
 *
 * @since 0.1.0
 */
import { RateWindow } from "./RateWindow.ts"

/** The limits of one listener. */
export interface Limits {
  /** Connections open at once on the listener. */
  readonly maxClients: number
  /** Connections open at once per client. */
  readonly maxClientsPerIp: number
  /** New connections per client per {@link rateWindowMillis}. */
  readonly maxConnectionRate: number
}

/** Why a connection was refused. */
export type Refusal = "TooManyClients" | "TooManyFromClient" | "RateExceeded"

/** The window of the connection rate: one minute, as Postfix's `anvil_rate_time_unit`. */
export const rateWindowMillis = 60_000

/** The connection counters of one listener. */
export class ConnectionLimits {
  private readonly open = new Map<string, number>()
  private total = 0
  private readonly attempts: RateWindow

  constructor(readonly limits: Limits) {
    this.attempts = new RateWindow(rateWindowMillis)
  }

  /** Connections open now. */
  get connections(): number {
    return this.total
  }

  /** Connections open now from `key`. */
  connectionsOf(key: string): number {
    return this.open.get(key) ?? 0
  }

  /** Counts a new connection from `key` at `now`: `undefined` when admitted (then {@link release} it once), else why not. */
  admit(key: string, now: number): Refusal | undefined {
    const attempts = this.attempts.hit(key, now)
    if (this.total >= this.limits.maxClients) return "TooManyClients"
    const current = this.open.get(key) ?? 0
    if (current >= this.limits.maxClientsPerIp) return "TooManyFromClient"
    if (attempts > this.limits.maxConnectionRate) return "RateExceeded"
    this.total++
    this.open.set(key, current + 1)
    return undefined
  }

  /** An admitted connection from `key` ended. */
  release(key: string): void {
    const current = this.open.get(key)
    if (current === undefined) return
    this.total--
    if (current <= 1) this.open.delete(key)
    else this.open.set(key, current - 1)
  }
}
