/**
 * The end of a scenario: wait until every accepted message has arrived, the queue is empty (every recipient
 * recorded as final, so no redelivery can still come) and the destination has been quiet for a moment — or until
 * the bound. What is still missing then is *lost* for the report.
 *
 * The bound must cover the app's own recovery paths: work claimed by a process that was killed, or whose
 * completion could not be recorded while the store was down, is retried only when its lease expires, and the
 * delivery lease is 5 minutes (`DeliveryConfig.lease`, not a setting). A scenario that may leave such leases
 * settles with a bound above that, and says so in its notes.
 *
 * @since 0.1.0
 */
import { Duration, Effect } from "effect"
import type { Ledger } from "./Ledger.ts"
import * as Mta from "./Mta.ts"

export interface Options {
  readonly ledger: Ledger
  /** Ids the clients got a `250` for. */
  readonly accepted: ReadonlySet<string>
  /** Re-reads the destination when it is not pushed (Maildirs). */
  readonly refresh?: Effect.Effect<void>
  /** The app whose queue to read (`cartero queue stats`); absent: no queue to wait for. */
  readonly queueOf?: Mta.App
  /** No new arrival for this long before the end (late duplicates). */
  readonly quiet: Duration.Input
  /** Epoch milliseconds. */
  readonly deadline: number
  readonly note: (text: string) => void
}

export interface Settled {
  /** Everything accepted arrived and the queue is empty. */
  readonly complete: boolean
  /** Accepted ids that never arrived. */
  readonly missing: number
  /** The queue when the wait ended (undefined: not read, or unreadable). */
  readonly queue: Mta.QueueStats | undefined
  /** How long the wait took. */
  readonly millis: number
  /** Most recipients seen in flight while waiting: claims waiting for their lease to expire. */
  readonly inflightSeen: number
}

/** The queue in a few words, for progress notes. */
export const describeQueue = (q: Mta.QueueStats | undefined): string =>
  q === undefined
    ? "queue unreadable"
    : `queue: ${q.messages} messages (${Object.entries(q.recipients).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join(", ") || "no recipients"})`

export const settle = Effect.fn("Settle.settle")(function*(options: Options) {
  const started = Date.now()
  const quietMillis = Duration.toMillis(Duration.fromInputUnsafe(options.quiet))
  let queue: Mta.QueueStats | undefined
  let probedAt = 0
  let notedAt = started
  let inflightSeen = 0
  const probe = Effect.gen(function*() {
    if (options.queueOf === undefined) return
    queue = yield* Mta.queueStats(options.queueOf)
    probedAt = Date.now()
    inflightSeen = Math.max(inflightSeen, queue?.recipients["inflight"] ?? 0)
  })
  // Bounded by the deadline; each probe is bounded by the CLI's own timeout.
  while (true) {
    if (options.refresh !== undefined) yield* options.refresh
    let missing = 0
    for (const id of options.accepted) if (!options.ledger.has(id)) missing++
    const now = Date.now()
    const quiet = now - Math.max(options.ledger.lastArrivalAt, started) >= quietMillis
    if (missing === 0 && quiet) {
      if (options.queueOf === undefined) return { complete: true, missing, queue, millis: now - started, inflightSeen }
      if (now - probedAt >= 3_000) {
        yield* probe
        if (queue?.messages === 0) return { complete: true, missing, queue, millis: Date.now() - started, inflightSeen }
      }
    }
    if (now >= options.deadline) {
      yield* probe
      return { complete: false, missing, queue, millis: Date.now() - started, inflightSeen }
    }
    if (now - notedAt >= 30_000) {
      yield* probe
      notedAt = Date.now()
      options.note(
        `waiting ${Math.round((notedAt - started) / 1000)} s: ${missing} accepted not delivered yet; ${describeQueue(queue)}` +
          ((queue?.recipients["inflight"] ?? 0) > 0 ? " (claims of a dead attempt come back when their 5 min lease expires)" : "")
      )
    }
    yield* Effect.sleep("500 millis")
  }
})

