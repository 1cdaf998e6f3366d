/**
 * What `/readyz` checks. The app names its checks (the SMTP listeners are bound, the queue store answers); each
 * runs with a time bound ({@link timeout}), all at once, and the answer lists every check with its error.
 *
 * ```ts
 * Readiness.layer([Readiness.check("listeners", Effect.void), yield* Readiness.queue])
 * ```
 *
 * @since 0.1.0
 */
import { MailQueue } from "@cartero/queue"
import { Cause, Context, Duration, Effect, Layer } from "effect"
import type { Check } from "./ApiError.ts"

/** One named check: it succeeds when that part is ready; its failure (or defect) says why not. */
export interface ReadinessCheck {
  readonly name: string
  readonly check: Effect.Effect<void, unknown>
}

/** A check is cut short, and failed, after this long. */
export const timeout = Duration.seconds(2)

/** Builds a check. */
export const check = (name: string, effect: Effect.Effect<void, unknown>): ReadinessCheck => ({ name, check: effect })

/** The queue store answers a one-message listing (cheap on every store). */
export const queue: Effect.Effect<ReadinessCheck, never, MailQueue.MailQueue> = Effect.map(
  MailQueue.MailQueue.useSync((q) => q),
  (q) => check("queue", Effect.asVoid(q.list({}, { limit: 1 })))
)

const why = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  if (Cause.isTimeoutError(error)) return `no answer within ${Duration.format(timeout)}`
  const base = error instanceof Error ? error.message : String(error)
  // Tagged errors carry their underlying cause (QueueUnavailable → ECONNREFUSED …): the operator wants both.
  const inner = typeof error === "object" && error !== null && "cause" in error && error.cause instanceof Error ? error.cause.message : ""
  return inner === "" || inner === base ? base : `${base}: ${inner}`
}

/** The readiness checks of the app. */
export class Readiness extends Context.Service<Readiness, { readonly checks: ReadonlyArray<ReadinessCheck> }>()(
  "@cartero/http-api/Readiness"
) {
  static readonly layer = (checks: ReadonlyArray<ReadinessCheck>): Layer.Layer<Readiness> =>
    Layer.succeed(Readiness, Readiness.of({ checks }))
}

/** Runs every check; the result lists each one. */
export const run = (checks: ReadonlyArray<ReadinessCheck>): Effect.Effect<ReadonlyArray<Check>> =>
  Effect.forEach(checks, (c) =>
    c.check.pipe(
      Effect.timeout(timeout),
      Effect.exit,
      Effect.map((exit): Check =>
        exit._tag === "Success" ? { name: c.name, ok: true, error: null } : { name: c.name, ok: false, error: why(exit.cause) }
      )
    ), { concurrency: "unbounded" })
