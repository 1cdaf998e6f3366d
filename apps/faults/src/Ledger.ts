/**
 * What arrived at a scenario's destination (a sink or the Maildirs): unique messages, duplicates by kind, and
 * mail that is not the run's (bounces). Counting is by the message's own id (see {@link Message}), so a duplicate is
 * a second arrival of one id, whatever the transport did.
 *
 * @since 0.1.0
 */
import * as Message from "./Message.ts"

export interface Counts {
  /** Distinct ids of the run that arrived. */
  readonly delivered: number
  /** Arrivals beyond the first, of all kinds. */
  readonly duplicated: number
  /** Second queued copies: the client retried a transaction the app had kept (different attempt numbers). */
  readonly inboundDuplicates: number
  /** One queued copy delivered again: the at-least-once window (same attempt number). */
  readonly outboundDuplicates: number
  /** Arrivals that are not the run's messages (bounces, DSNs). */
  readonly others: number
}

export class Ledger {
  private readonly arrivals = new Map<string, Array<number>>()
  private othersSeen = 0
  /** `Date.now()` of the last arrival (0 before the first). */
  lastArrivalAt = 0

  constructor(private readonly runId: string) {}

  /** Records one arrival from its head. */
  record(head: string): void {
    this.lastArrivalAt = Date.now()
    const seen = Message.parse(head)
    if (seen === undefined || !seen.id.startsWith(`${this.runId}-`)) {
      this.othersSeen++
      return
    }
    const attempts = this.arrivals.get(seen.id)
    if (attempts === undefined) this.arrivals.set(seen.id, [seen.attempt])
    else attempts.push(seen.attempt)
  }

  /** Whether the id arrived at least once. */
  has(id: string): boolean {
    return this.arrivals.has(id)
  }

  /** The distinct ids that arrived. */
  ids(): ReadonlyArray<string> {
    return [...this.arrivals.keys()]
  }

  get delivered(): number {
    return this.arrivals.size
  }

  counts(): Counts {
    let duplicated = 0
    let inbound = 0
    for (const attempts of this.arrivals.values()) {
      duplicated += attempts.length - 1
      inbound += new Set(attempts).size - 1
    }
    return {
      delivered: this.arrivals.size,
      duplicated,
      inboundDuplicates: inbound,
      outboundDuplicates: duplicated - inbound,
      others: this.othersSeen
    }
  }
}
