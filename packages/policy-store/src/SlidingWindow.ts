/**
 * The sliding-window approximation every counter backend uses: two fixed buckets, the current one and the one
 * before it, and the previous bucket's count weighted by how much of it still overlaps the window that ends now
 * (`previous × (1 − elapsed/window) + current`; Cloudflare's rate limiter, nginx's `limit_req` family).
 *
 * Why not an exact log (a Redis sorted set of hit times)? The log costs one entry per hit, so a hostile client
 * that is being refused still makes the server keep up to `limit` entries per key, and pruning costs a `ZREMRANGE`
 * per check. Two buckets are three numbers per key whatever the traffic, one hash in Redis, and the error is small
 * and bounded (it assumes the previous bucket's hits were spread evenly): good enough for abuse control, where the
 * limits themselves are rough.
 *
 * This module is pure; the backends keep the {@link State} (in a `Map`, or a Redis hash updated by one Lua script
 * that applies the same rule) and all of them use {@link retryAfter} for the hint in refusals.
 *
 * @since 0.1.0
 */

/** A limit: at most `limit` units (connections, messages, recipients) in any window of `windowMillis`. */
export interface Window {
  readonly limit: number
  readonly windowMillis: number
}

/** What a key holds: the index of its current bucket (`floor(now / window)`) and the two bucket counts. */
export interface State {
  readonly bucket: number
  readonly current: number
  readonly previous: number
}

/** The answer to one hit. */
export interface Outcome {
  /** Whether the hit fitted under the limit (and so was counted). Refused hits are not counted. */
  readonly allowed: boolean
  /** The estimated count in the window ending now, including this hit when it was allowed. */
  readonly count: number
  /** When refused: how long until the same hit would fit (0 when allowed; `Infinity` when it never can). */
  readonly retryAfterMillis: number
}

/** The state as of `now`: buckets that slid out of the window are dropped. */
export const advance = (state: State | undefined, now: number, windowMillis: number): State => {
  const bucket = Math.floor(now / windowMillis)
  if (state === undefined || state.bucket < bucket - 1) return { bucket, current: 0, previous: 0 }
  if (state.bucket === bucket - 1) return { bucket, current: 0, previous: state.current }
  // Same bucket, or (hosts sharing Redis with skewed clocks) a bucket ahead of ours: keep it as it is.
  return state
}

/** How far into its bucket `now` is, in [0, 1]. */
const elapsed = (state: State, now: number, windowMillis: number): number =>
  Math.min(1, Math.max(0, (now - state.bucket * windowMillis) / windowMillis))

/** The estimated count of the window that ends at `now`. */
export const estimate = (state: State, now: number, windowMillis: number): number =>
  state.previous * (1 - elapsed(state, now, windowMillis)) + state.current

/** Whole milliseconds, at least 1 (the epsilon keeps float noise, 3000.0000004, from adding a millisecond). */
const wait = (millis: number): number => Math.max(1, Math.ceil(millis - 1e-6))

/**
 * How long until a hit of `cost` would fit, for an (advanced) state that refused it: either later in this bucket,
 * as the previous bucket's weight fades, or in the next one, where this bucket becomes the fading one.
 */
export const retryAfter = (state: State, now: number, window: Window, cost: number): number => {
  const { limit, windowMillis } = window
  if (cost > limit) return Infinity
  const f = elapsed(state, now, windowMillis)
  if (estimate(state, now, windowMillis) + cost <= limit) return 0
  const room = limit - state.current - cost
  if (room >= 0 && state.previous > 0) {
    // previous × (1 − g) + current + cost ≤ limit  ⇔  g ≥ 1 − room / previous
    const g = 1 - room / state.previous
    return wait((g - f) * windowMillis)
  }
  // Next bucket: current × (1 − h) + cost ≤ limit  ⇔  h ≥ 1 − (limit − cost) / current
  const h = state.current > 0 ? Math.max(0, 1 - (limit - cost) / state.current) : 0
  return wait((1 - f + h) * windowMillis)
}

/** Applies one hit of `cost` at `now`: the outcome, and the state to keep. */
export const hit = (previous: State | undefined, now: number, window: Window, cost: number): { readonly outcome: Outcome; readonly state: State } => {
  const state = advance(previous, now, window.windowMillis)
  const before = estimate(state, now, window.windowMillis)
  if (before + cost <= window.limit) {
    const next = { ...state, current: state.current + cost }
    return { outcome: { allowed: true, count: before + cost, retryAfterMillis: 0 }, state: next }
  }
  return { outcome: { allowed: false, count: before, retryAfterMillis: retryAfter(state, now, window, cost) }, state }
}

/** How long a key must be kept: after two windows both its buckets have slid out. */
export const ttlMillis = (window: Window): number => 2 * window.windowMillis
