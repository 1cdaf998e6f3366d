/**
 * The in-process backend: counters and records in `Map`s, for a single process (the SQLite deployment's counters)
 * and for tests.
 *
 * Bounded: each namespace keeps at most `maxKeys` keys. A key is moved to the end when touched, an expired key is
 * dropped when read, and past the bound the least recently used key is evicted. A hostile
 * client making up new keys (addresses, sender domains) thus costs at most `maxKeys` entries: the price is that
 * under such a flood old counters may be forgotten early (limits become looser, never memory unbounded).
 *
 * @since 0.1.0
 */
import { Clock, Effect, Option } from "effect"
import type { Counters } from "./Counters.ts"
import type { Records } from "./Records.ts"
import * as SlidingWindow from "./SlidingWindow.ts"

/** Options of the memory backend. */
export interface Options {
  /** Most keys per namespace (counters and records separately); default 100 000. */
  readonly maxKeys?: number
}

export const defaultMaxKeys = 100_000

interface Entry<A> {
  readonly value: A
  readonly expiresAt: number
}

/** A `Map` kept in least-recently-used order, bounded, whose entries expire. */
export class BoundedMap<A> {
  private readonly entries = new Map<string, Entry<A>>()
  constructor(readonly maxKeys: number) {}

  get size(): number {
    return this.entries.size
  }

  get(key: string, now: number): A | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      this.entries.delete(key)
      return undefined
    }
    return entry.value
  }

  set(key: string, value: A, expiresAt: number): void {
    this.entries.delete(key)
    this.entries.set(key, { value, expiresAt })
    // Past the bound, the least recently used entries go (expired or not): O(1) per insert.
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.maxKeys) break
      this.entries.delete(k)
    }
  }

  delete(key: string): void {
    this.entries.delete(key)
  }
}

/** Memory counters of one namespace. */
export const counters = (options: Options = {}): Counters & { readonly keys: () => number } => {
  const map = new BoundedMap<SlidingWindow.State>(options.maxKeys ?? defaultMaxKeys)
  return {
    keys: () => map.size,
    hit: (key, window, cost = 1) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const { outcome, state } = SlidingWindow.hit(map.get(key, now), now, window, cost)
        // A refused hit changes nothing, but it still touches the key (its state may have advanced).
        map.set(key, state, now + SlidingWindow.ttlMillis(window))
        return outcome
      })
  }
}

/** Memory records of one namespace. */
export const records = (options: Options = {}): Records & { readonly keys: () => number } => {
  const map = new BoundedMap<string>(options.maxKeys ?? defaultMaxKeys)
  return {
    keys: () => map.size,
    get: (key) => Effect.map(Clock.currentTimeMillis, (now) => Option.fromUndefinedOr(map.get(key, now))),
    set: (key, value, ttlMillis) => Effect.map(Clock.currentTimeMillis, (now) => map.set(key, value, now + ttlMillis)),
    remove: (key) => Effect.sync(() => map.delete(key))
  }
}
