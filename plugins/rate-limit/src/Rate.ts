/**
 * A rate: at most `count` units per `per` (a sliding window). Written `100/1h`, `30/60s`, `5/m` in settings.
 *
 * @since 0.1.0
 */
import { Setting } from "@cartero/settings"
import type { SlidingWindow } from "@cartero/policy-store"
import { Duration } from "effect"

/** At most `count` in any window of `per`. */
export interface Rate {
  readonly count: number
  readonly per: Duration.Input
}

/** The window of a rate (as the counters take it); throws a `TypeError` for a rate that cannot be (a bad option). */
export const toWindow = (rate: Rate, option: string): SlidingWindow.Window => {
  const windowMillis = Duration.toMillis(Duration.fromInputUnsafe(rate.per))
  if (!Number.isSafeInteger(rate.count) || rate.count < 1) {
    throw new TypeError(`rate limit ${option}: count must be a whole number of at least 1, got ${rate.count}`)
  }
  if (!Number.isFinite(windowMillis) || windowMillis < 1000) {
    throw new TypeError(`rate limit ${option}: the window must be at least 1 second`)
  }
  return { limit: rate.count, windowMillis: Math.round(windowMillis) }
}

/** `count/duration` (`100/1h`; a unit alone is one of it: `5/m`); the window at least one second. */
export const parse: Setting.Parser<Rate> = (raw) => {
  const m = /^\s*(\d+)\s*\/\s*(.+?)\s*$/.exec(raw)
  if (m === null || m[1] === undefined || m[2] === undefined) return undefined
  const count = Number(m[1])
  const per = Setting.duration(/^[a-z]+$/i.test(m[2]) ? `1${m[2]}` : m[2])
  if (!Number.isSafeInteger(count) || count < 1 || per === undefined || Duration.toMillis(per) < 1000) return undefined
  return { count, per }
}

/** How a rate reads in a reply: `100 per 1h`. */
export const describe = (rate: Rate): string => `${rate.count} per ${Duration.format(Duration.fromInputUnsafe(rate.per))}`

/** Seconds to wait, for a reply's hint (at least 1). */
export const seconds = (millis: number): number => Math.max(1, Math.ceil(millis / 1000))

/** The hint in a refusal: `try again in 42 s`, or `try again later` when waiting will not help. */
export const hint = (retryAfterMillis: number): string =>
  Number.isFinite(retryAfterMillis) ? `try again in ${seconds(retryAfterMillis)} s` : "try again later"
