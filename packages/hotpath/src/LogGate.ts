/**
 * Log lines of the per-command and per-message path, built only when their level is enabled.
 *
 * `Effect.logDebug(...).pipe(Effect.annotateLogs({ from: Address.formatPath(sender) }))` formats its annotations
 * and copies the fiber's context for `annotateLogs` before the logger looks at the level: at the usual `info` or
 * `warn` level, every MAIL and RCPT paid for a debug line nobody sees (docs/benchmarks.md, "Round 3").
 *
 * ```ts
 * yield* LogGate.whenEnabled("Debug", () =>
 *   Effect.logDebug("RCPT TO").pipe(Effect.annotateLogs({ to: Address.formatPath(recipient) })))
 * ```
 *
 * @since 0.1.0
 */
import { Effect, LogLevel, References } from "effect"

/** Runs `log()` when `level` is at or above the fiber's `References.MinimumLogLevel`, else nothing. */
export const whenEnabled = (level: LogLevel.LogLevel, log: () => Effect.Effect<void>): Effect.Effect<void> =>
  Effect.withFiber((fiber) => LogLevel.isLessThan(level, fiber.getRef(References.MinimumLogLevel)) ? Effect.void : log())
