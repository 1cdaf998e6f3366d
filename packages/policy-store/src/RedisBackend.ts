/**
 * The Redis backend: state shared by every process and host that uses the same Redis and key prefix.
 *
 * - Counters: one hash per key (`b` bucket index, `c` current count, `p` previous count), read and updated by one
 *   Lua script per hit (atomic: two processes never both take the last unit), expiring after two windows.
 * - Records: one string per key, `<expiresAt>|<value>`, written with `SET … PX` (Redis drops it when it expires;
 *   the expiry in the value is what reads compare against, on Effect's `Clock`).
 *
 * Keys: `<prefix><namespace>:c:<key>` and `<prefix><namespace>:r:<key>`. Times come from the caller's clock (hosts
 * sharing a Redis are expected to run NTP; a skewed host sees its buckets a little early or late, see
 * {@link SlidingWindow.advance}).
 *
 * @since 0.1.0
 */
import { Clock, Effect, Option } from "effect"
import { RedisClient } from "@cartero/queue-redis"
import type { Redis } from "ioredis"
import { createHash } from "node:crypto"
import type { Counters } from "./Counters.ts"
import { PolicyStoreError } from "./PolicyStoreError.ts"
import * as Records from "./Records.ts"
import * as SlidingWindow from "./SlidingWindow.ts"

export type { Redis }

/** Key prefixes may only use these characters (no braces: they would change Redis Cluster hash slots). */
export const isValidPrefix = (prefix: string): boolean => /^[A-Za-z0-9:_.-]{0,64}$/.test(prefix)

/**
 * One hit: KEYS[1] the hash; ARGV now, window (ms), limit, cost. Returns {allowed, bucket, current, previous}
 * after the hit (the same rule as {@link SlidingWindow.hit}).
 */
export const hitScript = `
local now = tonumber(ARGV[1])
local w = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local idx = math.floor(now / w)
local h = redis.call('HMGET', KEYS[1], 'b', 'c', 'p')
local b = tonumber(h[1])
local cur = 0
local prev = 0
if b ~= nil then
  if b >= idx then
    idx = b
    cur = tonumber(h[2]) or 0
    prev = tonumber(h[3]) or 0
  elseif b == idx - 1 then
    prev = tonumber(h[2]) or 0
  end
end
local f = (now - idx * w) / w
if f < 0 then f = 0 elseif f > 1 then f = 1 end
local allowed = 0
if prev * (1 - f) + cur + cost <= limit then
  allowed = 1
  cur = cur + cost
  redis.call('HSET', KEYS[1], 'b', idx, 'c', cur, 'p', prev)
  redis.call('PEXPIRE', KEYS[1], 2 * w)
end
return {allowed, idx, cur, prev}
`

/** Options of the Redis backend. */
export interface Options {
  /** `redis://…` URL (default `redis://127.0.0.1:6379`). */
  readonly url?: string | undefined
  /** Key prefix (default `cartero:policy:`). */
  readonly prefix?: string | undefined
  /** How long one command may take before it fails (default 2 s). */
  readonly commandTimeoutMillis?: number | undefined
}

export const defaultPrefix = "cartero:policy:"

const unavailable = (operation: string) => (cause: unknown) => new PolicyStoreError({ backend: "redis", operation, cause })

/** The backend over a connected client (owned by the caller). */
export const make = (client: Redis, prefix: string) => {
  const sha = createHash("sha1").update(hitScript).digest("hex")
  const attempt = <A>(operation: string, f: () => Promise<A>) => Effect.tryPromise({ try: f, catch: unavailable(operation) })
  const evalHit = (key: string, args: ReadonlyArray<number>) =>
    attempt("hit", async () => {
      try {
        return await client.evalsha(sha, 1, key, ...args)
      } catch (e) {
        if (!(e instanceof Error && e.message.startsWith("NOSCRIPT"))) throw e
        return await client.eval(hitScript, 1, key, ...args)
      }
    })

  const counters = (namespace: string): Counters => ({
    hit: (key, window, cost = 1) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const reply = yield* evalHit(`${prefix}${namespace}:c:${key}`, [now, window.windowMillis, window.limit, cost])
        if (!Array.isArray(reply) || reply.length !== 4) return yield* unavailable("hit")(new Error("unexpected script reply"))
        const [allowed, bucket, current, previous] = reply.map(Number)
        if (allowed === undefined || bucket === undefined || current === undefined || previous === undefined) {
          return yield* unavailable("hit")(new Error("unexpected script reply"))
        }
        const state: SlidingWindow.State = { bucket, current, previous }
        const count = SlidingWindow.estimate(state, now, window.windowMillis)
        return allowed === 1
          ? { allowed: true, count, retryAfterMillis: 0 }
          : { allowed: false, count, retryAfterMillis: SlidingWindow.retryAfter(state, now, window, cost) }
      })
  })

  const records = (namespace: string): Records.Records => {
    const k = (key: string) => `${prefix}${namespace}:r:${key}`
    return {
      get: (key) =>
        Effect.gen(function*() {
          const text = yield* attempt("get", () => client.get(k(key)))
          const now = yield* Clock.currentTimeMillis
          const decoded = text === null ? undefined : Records.decode(text)
          return decoded !== undefined && decoded.expiresAt > now ? Option.some(decoded.value) : Option.none()
        }),
      set: (key, value, ttlMillis) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const ttl = Math.max(1, Math.ceil(ttlMillis))
          yield* attempt("set", () => client.set(k(key), Records.encode({ value, expiresAt: now + ttl }), "PX", ttl))
        }),
      remove: (key) => Effect.asVoid(attempt("remove", () => client.del(k(key))))
    }
  }

  return { counters, records }
}

/** Opens a client for the backend (`@cartero/queue-redis`'s `RedisClient`), connected, closed when the scope closes. */
export const connect = (options: Options) =>
  Effect.gen(function*() {
    // Fail fast while disconnected: a policy check must not hold an SMTP reply hostage.
    const tracked = yield* RedisClient.acquire({ url: options.url, commandTimeoutMillis: options.commandTimeoutMillis ?? 2000 })
    yield* RedisClient.connect(tracked, unavailable("connect"))
    return tracked.client
  })
