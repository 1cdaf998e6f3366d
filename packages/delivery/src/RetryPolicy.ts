/**
 * When to try a deferred recipient again, and when to give up.
 *
 * A policy is a list of delays (the last one repeats), a jitter fraction and a maximum queue age. The default
 * is 1m, 5m, 15m, 30m, 1h, then every 2h, ±10 % jitter, give up after 5 days (Postfix's
 * `maximal_queue_lifetime`). The last attempt happens at the maximum age at the latest; a failure after it gives
 * up, and the delivery side turns that into a bounce (DSN).
 *
 * {@link nextAttempt} is a pure function ("given the attempts so far, the arrival time and now, when next?"); the
 * delivery side's `Disposition` applies it, after the `deferred` hooks had their say.
 *
 * @since 0.1.0
 */
import { Setting } from "@cartero/settings"
import { Config, Duration, Effect, Schema } from "effect"

/** A retry policy. */
export interface RetryPolicy {
  /** Delay after the 1st, 2nd, … failed attempt; the last repeats. Never empty. */
  readonly delays: ReadonlyArray<Duration.Duration>
  /** After this age (from arrival) no further attempt is made. */
  readonly maxAge: Duration.Duration
  /** Each delay is scaled by a random factor in [1 − jitter, 1 + jitter] so retries of a burst spread out. */
  readonly jitter: number
}

/** The policy text could not be parsed (bad configuration). */
export class InvalidRetryPolicy extends Schema.TaggedError<InvalidRetryPolicy>()("InvalidRetryPolicy", {
  text: Schema.String
}) {}

/** 1m, 5m, 15m, 30m, 1h, then every 2h, ±10 % jitter, give up after 5 days. */
export const defaultPolicy: RetryPolicy = {
  delays: ["1 minute", "5 minutes", "15 minutes", "30 minutes", "1 hour", "2 hours"].map((d) =>
    Duration.fromInputUnsafe(d as Duration.Input)
  ),
  maxAge: Duration.days(5),
  jitter: 0.1
}

/** Builds a policy from delays (last repeating) and a maximum age. */
export const make = (
  delays: ReadonlyArray<Duration.Input>,
  maxAge: Duration.Input,
  jitter = 0.1
): RetryPolicy => {
  if (delays.length === 0) throw new RangeError("a retry policy needs at least one delay")
  return {
    delays: delays.map((d) => Duration.fromInputUnsafe(d)),
    maxAge: Duration.fromInputUnsafe(maxAge),
    jitter: Math.min(Math.max(jitter, 0), 1)
  }
}

/** Parses a compact duration: `90s`, `1m`, `1h`, `5d`, `250ms` (a bare number is seconds); {@link Setting.duration}. */
export const parseDuration: Setting.Parser<Duration.Duration> = Setting.duration

/** Parses `1m,5m,15m,30m,1h,2h` (the format of `CARTERO_RETRY_SCHEDULE`). */
export const parseDelays = (text: string): ReadonlyArray<Duration.Duration> | undefined => {
  const parts = text.split(",").map(parseDuration)
  if (parts.length === 0 || parts.some((p) => p === undefined || Duration.toMillis(p) <= 0)) return undefined
  return parts.filter((p): p is Duration.Duration => p !== undefined)
}

/** A policy from the text forms of `CARTERO_RETRY_SCHEDULE` and `CARTERO_MAX_QUEUE_AGE`. */
export const fromStrings = (
  schedule: string,
  maxAge: string,
  jitter = 0.1
): Effect.Effect<RetryPolicy, InvalidRetryPolicy> => {
  const delays = parseDelays(schedule)
  if (delays === undefined) return Effect.fail(new InvalidRetryPolicy({ text: schedule }))
  const age = parseDuration(maxAge)
  if (age === undefined) return Effect.fail(new InvalidRetryPolicy({ text: maxAge }))
  return Effect.succeed(make(delays, age, jitter))
}

/**
 * Reads `CARTERO_RETRY_SCHEDULE` (default `1m,5m,15m,30m,1h,2h`) and `CARTERO_MAX_QUEUE_AGE` (default `5d`).
 * A malformed value is a `ConfigError` worded by `Setting`: `CARTERO_MAX_QUEUE_AGE: expected a duration like 5d, got "x"`.
 */
export const config: Config.Config<RetryPolicy> = Config.all({
  delays: Setting.config("CARTERO_RETRY_SCHEDULE", "durations like 1m,5m,1h", parseDelays).pipe(
    Config.withDefault(defaultPolicy.delays)
  ),
  maxAge: Setting.config("CARTERO_MAX_QUEUE_AGE", "a duration like 5d", parseDuration).pipe(Config.withDefault(defaultPolicy.maxAge))
}).pipe(Config.map(({ delays, maxAge }) => make(delays, maxAge)))

/** The un-jittered delay after `attempts` failed attempts (1-based; 0 is treated as 1). */
export const baseDelay = (policy: RetryPolicy, attempts: number): Duration.Duration => {
  const i = Math.min(Math.max(attempts, 1), policy.delays.length) - 1
  return policy.delays[i] ?? Duration.minutes(1)
}

/** The decision after a failed attempt. */
export type Decision =
  | { readonly _tag: "Retry"; readonly at: number }
  | { readonly _tag: "GiveUp"; readonly ageMillis: number }

/**
 * When to try again after the `attempts`-th failed attempt, made at `now`, of a message that arrived at
 * `arrivedAt`. `random` in [0, 1) picks the jitter (0.5 = none), so the function stays pure.
 * Gives up when the message has reached the maximum age; otherwise never schedules past it, so that the final
 * attempt happens at the maximum age.
 */
export const nextAttempt = (
  policy: RetryPolicy,
  input: { readonly attempts: number; readonly arrivedAt: number; readonly now: number; readonly random?: number }
): Decision => {
  const maxAge = Duration.toMillis(policy.maxAge)
  const age = input.now - input.arrivedAt
  if (age >= maxAge) return { _tag: "GiveUp", ageMillis: age }
  const base = Duration.toMillis(baseDelay(policy, input.attempts))
  const factor = 1 + policy.jitter * (2 * (input.random ?? 0.5) - 1)
  const at = input.now + Math.max(1, Math.round(base * factor))
  return { _tag: "Retry", at: Math.min(at, input.arrivedAt + maxAge) }
}
