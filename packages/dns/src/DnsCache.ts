/**
 * A bounded cache of answers that honours TTLs: positive answers for the smallest TTL of their records, negative
 * answers (NXDOMAIN/NODATA) for the SOA-derived TTL of RFC 2308 §5, temporary failures never. When full, the least
 * recently used entry goes. Time is passed in (milliseconds from Effect's `Clock`), so tests can drive it with
 * `TestClock`.
 *
 * @since 0.1.0
 */

interface Entry<A> {
  readonly value: A
  readonly expiresAt: number
}

/** A cache keyed by string. Not an Effect service: each `Dns` instance owns one. */
export interface DnsCache<A> {
  readonly get: (key: string, now: number) => A | undefined
  /** Stores for `ttlSeconds` (capped by the cache's `maxTtl`); a TTL of 0 stores nothing. */
  readonly set: (key: string, value: A, ttlSeconds: number, now: number) => void
  readonly size: () => number
  readonly clear: () => void
}

/** Cache limits. `capacity` 0 disables caching. */
export interface Options {
  readonly capacity: number
  /** Upper bound on any TTL, seconds (a record claiming a week is kept at most this long). */
  readonly maxTtl: number
}

/** Creates an empty cache. */
export const make = <A>(options: Options): DnsCache<A> => {
  // A Map iterates in insertion order; re-inserting on every hit makes the first key the least recently used.
  const entries = new Map<string, Entry<A>>()
  return {
    get: (key, now) => {
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      entries.delete(key)
      if (entry.expiresAt <= now) return undefined
      entries.set(key, entry)
      return entry.value
    },
    set: (key, value, ttlSeconds, now) => {
      const ttl = Math.min(ttlSeconds, options.maxTtl)
      if (options.capacity <= 0 || !(ttl > 0)) return
      entries.delete(key)
      entries.set(key, { value, expiresAt: now + ttl * 1000 })
      while (entries.size > options.capacity) {
        const oldest = entries.keys().next()
        if (oldest.done === true) break
        entries.delete(oldest.value)
      }
    },
    size: () => entries.size,
    clear: () => entries.clear()
  }
}
