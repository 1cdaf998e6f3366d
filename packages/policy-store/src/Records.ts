/**
 * Expiring records, one namespace per plugin: a text value per key with an expiry time. Expiry is read through
 * Effect's `Clock` (so tests move time with `TestClock`); backends also drop expired records physically (Redis
 * TTLs, a SQLite sweep, eviction in memory).
 *
 * @since 0.1.0
 */
import type { Effect, Option } from "effect"
import type { PolicyStoreError } from "./PolicyStoreError.ts"

/** Records of one namespace. */
export interface Records {
  /** The value of `key`, unless it expired or was never set. */
  readonly get: (key: string) => Effect.Effect<Option.Option<string>, PolicyStoreError>
  /** Sets `key` to `value`, expiring `ttlMillis` from now (replacing any value and expiry). */
  readonly set: (key: string, value: string, ttlMillis: number) => Effect.Effect<void, PolicyStoreError>
  /** Removes `key`. */
  readonly remove: (key: string) => Effect.Effect<void, PolicyStoreError>
}

/** A stored value with its expiry, as the Redis and memory backends keep it (`<expiresAt>|<value>` in Redis). */
export interface Expiring {
  readonly value: string
  readonly expiresAt: number
}

/** Encodes a value with its expiry as one string. */
export const encode = (e: Expiring): string => `${e.expiresAt}|${e.value}`

/** Decodes {@link encode}'s output; `undefined` for anything else. */
export const decode = (text: string): Expiring | undefined => {
  const bar = text.indexOf("|")
  if (bar <= 0) return undefined
  const expiresAt = Number(text.slice(0, bar))
  return Number.isFinite(expiresAt) ? { value: text.slice(bar + 1), expiresAt } : undefined
}
