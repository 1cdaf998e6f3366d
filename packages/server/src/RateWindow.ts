/**
 * Events per key in fixed time windows (Postfix's anvil: a counter per client that starts over every
 * `anvil_rate_time_unit`): connections per client per minute, failed AUTH per client per ten minutes.
 *
 * A key's window starts with its first event and lasts `windowMillis`; the next event after that starts a new
 * window. Memory is bounded: expired entries are swept at most once per window (amortised: nothing per event), and
 * at `maxKeys` live entries the oldest one is dropped (a flood of distinct clients forgets the earliest first,
 * rather than growing the map). Times are plain milliseconds from the caller's clock (the server passes Effect's
 * `Clock`, so tests drive it with `TestClock`); a clock that went backwards starts a new window.
 *
 * @since 0.1.0
 */

interface Entry {
  start: number
  count: number
}

/** A keyed fixed-window counter. */
export class RateWindow {
  private readonly entries = new Map<string, Entry>()
  private lastSweep = Number.NEGATIVE_INFINITY

  constructor(
    /** Length of one window. */
    readonly windowMillis: number,
    /** Most keys kept at once. */
    readonly maxKeys: number = 100_000
  ) {}

  /** Keys currently held (expired ones included until the next sweep). */
  get size(): number {
    return this.entries.size
  }

  /** Counts one event of `key` at `now`; returns the events of its current window, this one included. */
  hit(key: string, now: number): number {
    this.sweepIfDue(now)
    const entry = this.entries.get(key)
    if (entry !== undefined && this.live(entry, now)) return ++entry.count
    if (entry !== undefined) this.entries.delete(key)
    else if (this.entries.size >= this.maxKeys) this.evictOldest()
    this.entries.set(key, { start: now, count: 1 })
    return 1
  }

  /** The events of `key` in its current window (0 when it has none). */
  count(key: string, now: number): number {
    const entry = this.entries.get(key)
    return entry !== undefined && this.live(entry, now) ? entry.count : 0
  }

  private live(entry: Entry, now: number): boolean {
    return now >= entry.start && now - entry.start < this.windowMillis
  }

  private sweepIfDue(now: number): void {
    if (now >= this.lastSweep && now - this.lastSweep < this.windowMillis) return
    this.lastSweep = now
    for (const [key, entry] of this.entries) {
      if (!this.live(entry, now)) this.entries.delete(key)
    }
  }

  // Called when full after this window's sweep: every entry may be live, so dropping the oldest is O(1) (a full
  // sweep per new key would make a flood of distinct clients quadratic).
  private evictOldest(): void {
    const oldest = this.entries.keys().next()
    if (oldest.done !== true) this.entries.delete(oldest.value)
  }
}
