/**
 * Concurrency and rate limits of outbound delivery, with Effect semaphores:
 *
 * - per destination (a recipient domain, or the relay for statically routed mail, as Postfix's "nexthop"): at most
 *   `destinationConcurrency` transactions at once, and at least `destinationRateDelay` between the starts of two;
 * - globally: at most `maxConnections` transactions at once.
 *
 * Idle pooled connections (kept by the `SmtpClient` pool for reuse) are not counted: they carry no transaction and
 * the pool bounds them per host.
 *
 * A destination's semaphore exists only while someone uses or waits for it (or, with a rate delay, until its next
 * slot has passed), so a queue with mail for a million domains does not keep a million semaphores.
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Semaphore } from "effect"

/** Limits to enforce. */
export interface Options {
  readonly destinationConcurrency: number
  readonly destinationRateDelay: Duration.Duration
  readonly maxConnections: number
}

/** The limiter. */
export interface DestinationLimits {
  /** Runs `effect` under the destination's and the global limits (waiting for permits, then for the rate delay). */
  readonly run: <A, E, R>(destination: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Transactions running now, in total and per destination (for tests and stats). */
  readonly active: Effect.Effect<{ readonly total: number; readonly destinations: ReadonlyMap<string, number> }>
}

interface Entry {
  readonly semaphore: Semaphore.Semaphore
  users: number
  running: number
  nextStart: number
}

/** Builds a limiter. */
export const make = (options: Options): Effect.Effect<DestinationLimits> =>
  Effect.gen(function*() {
    const global = yield* Semaphore.make(options.maxConnections)
    const entries = new Map<string, Entry>()
    const delay = Duration.toMillis(options.destinationRateDelay)
    let total = 0

    let acquisitions = 0
    // An idle entry is kept while its rate-delay slot lies in the future (else the pacing would be forgotten);
    // such entries are swept now and then.
    const sweep = (now: number) => {
      for (const [k, e] of entries) if (e.users === 0 && e.nextStart <= now) entries.delete(k)
    }

    const acquire = (destination: string) =>
      Effect.sync(() => {
        if (delay > 0 && ++acquisitions % 256 === 0) sweep(Date.now())
        let entry = entries.get(destination)
        if (entry === undefined) {
          entry = { semaphore: Semaphore.makeUnsafe(options.destinationConcurrency), users: 0, running: 0, nextStart: 0 }
          entries.set(destination, entry)
        }
        entry.users++
        return entry
      })

    const release = (destination: string, entry: Entry) =>
      Effect.sync(() => {
        entry.users--
        if (entry.users === 0 && delay <= 0) entries.delete(destination)
      })

    // Reserve the next start slot synchronously, so that concurrent holders space themselves out.
    const pace = (entry: Entry) =>
      delay <= 0
        ? Effect.void
        : Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const start = Math.max(now, entry.nextStart)
          entry.nextStart = start + delay
          return start > now ? Effect.sleep(Duration.millis(start - now)) : Effect.void
        })

    const track = <A, E, R>(entry: Entry, effect: Effect.Effect<A, E, R>) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          entry.running++
          total++
        }),
        () => effect,
        () =>
          Effect.sync(() => {
            entry.running--
            total--
          })
      )

    const run = <A, E, R>(destination: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.acquireUseRelease(
        acquire(destination),
        (entry) =>
          Semaphore.withPermit(entry.semaphore)(
            pace(entry).pipe(Effect.andThen(Semaphore.withPermit(global)(track(entry, effect))))
          ),
        (entry) => release(destination, entry)
      )

    const active = Effect.sync(() => ({
      total,
      destinations: new Map([...entries].filter(([, e]) => e.running > 0).map(([k, e]) => [k, e.running]))
    }))

    return { run, active }
  })
