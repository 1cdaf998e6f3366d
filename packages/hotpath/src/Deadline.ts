/**
 * `Effect.timeout` for effects that usually finish at once.
 *
 * `Effect.timeout` races the effect against a sleep in two forked fibers. Hooks mostly answer synchronously (a
 * recipient policy, a header check), and the pipeline runs several per SMTP command, so the race showed up in
 * profiles (≈ 1.9 µs per call against ≈ 0.8 µs here, docs/benchmarks.md "Round 3"). Here the effect starts at once in
 * a child fiber; when it is already done, its exit is the result and no timer exists. Only an effect that suspends
 * (I/O, a sleep) gets a timer: one sleeping fiber, whichever of the two ends first decides (≈ 4–6 µs per call, as
 * `Effect.timeout`; racing a join of the child cost 7–11 µs, docs/benchmarks.md "Round 4"). The outcome is the one
 * of `Effect.timeout`: the value, the effect's own failure, or a `TimeoutError` after `duration` (measured on the
 * `Clock`, so `TestClock` drives it), with the effect interrupted.
 *
 * A hook that returns `Effect.succeed(verdict)` hands over an `Exit`, which is already done: it is returned as is,
 * without a fiber.
 *
 * @since 0.1.0
 */
import { Cause, Duration, Effect, Exit, Fiber } from "effect"

/** The effect's result, or `Cause.TimeoutError` once `duration` has passed (the effect is then interrupted). */
export const within = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  duration: Duration.Duration
): Effect.Effect<A, E | Cause.TimeoutError, R> =>
  Exit.isExit(effect) ? effect : Effect.flatMap(Effect.forkChild(effect, { startImmediately: true }), (fiber) => {
    const exit = fiber.pollUnsafe()
    if (exit !== undefined) return exit
    return Effect.flatMap(Effect.forkChild(Effect.sleep(duration), { startImmediately: true }), (timer) =>
      Effect.callback<A, E | Cause.TimeoutError>((resume) => {
        const stopWaiting = fiber.addObserver((done) => {
          stopTimer()
          timer.interruptUnsafe()
          resume(done)
        })
        const stopTimer = timer.addObserver((slept) => {
          if (!Exit.isSuccess(slept)) return
          stopWaiting()
          resume(Effect.andThen(
            Fiber.interrupt(fiber),
            Effect.fail(new Cause.TimeoutError(`Operation timed out after '${Duration.format(duration)}'`))
          ))
        })
        // The caller was interrupted: the effect and the timer go with it.
        return Effect.suspend(() => {
          stopWaiting()
          stopTimer()
          timer.interruptUnsafe()
          return Fiber.interrupt(fiber)
        })
      }))
  })
