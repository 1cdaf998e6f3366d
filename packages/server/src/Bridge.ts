/**
 * Runs pipeline effects from smtp-server's node callbacks.
 *
 * A runtime is captured once per server with `FiberSet.makeRuntimePromise`: every fiber it starts belongs to the
 * server's scope and is interrupted when the layer closes. Each call is annotated with the session id, so every log
 * line of a session carries `session=<id>`.
 *
 * Nothing that happens here may crash the process: the effect runs under `Effect.exit`, a failed or rejected run
 * answers `451 4.3.0`, and an exception thrown by the continuation (i.e. by smtp-server while it writes the reply) is
 * caught and logged.
 *
 * @since 0.1.0
 */
import { Verdict } from "@cartero/smtp"
import { Cause, Effect, Exit, FiberSet } from "effect"

/** The bridge of one server. */
export interface Bridge {
  /**
   * Runs a phase and calls `respond` exactly once with its verdict (`451 4.3.0` if the effect failed or died).
   */
  readonly decide: (
    sessionId: string,
    effect: Effect.Effect<Verdict.Verdict>,
    respond: (verdict: Verdict.Verdict) => void
  ) => void
  /** Runs an effect for its side effects only (disconnect observers, logging). */
  readonly fire: (sessionId: string, effect: Effect.Effect<void>) => void
}

/** Captures the runtime; fibers are interrupted when the surrounding scope closes. */
export const make = Effect.gen(function*() {
  const run = yield* FiberSet.makeRuntimePromise<never>()

  const fire = (sessionId: string, effect: Effect.Effect<void>): void => {
    run(effect.pipe(Effect.annotateLogs({ session: sessionId }), Effect.catchCause(() => Effect.void))).catch(
      () => undefined
    )
  }

  const guarded = (sessionId: string, what: string, f: () => void): void => {
    try {
      f()
    } catch (error) {
      fire(sessionId, Effect.logError(`smtp-server threw while ${what}`, error))
    }
  }

  const decide = (
    sessionId: string,
    effect: Effect.Effect<Verdict.Verdict>,
    respond: (verdict: Verdict.Verdict) => void
  ): void => {
    const logged = effect.pipe(
      Effect.annotateLogs({ session: sessionId }),
      Effect.exit,
      Effect.tap((exit) =>
        Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)
          ? Effect.logError("session handler failed; answering 451 4.3.0", exit.cause).pipe(
            Effect.annotateLogs({ session: sessionId })
          )
          : Effect.void
      )
    )
    run(logged).then(
      (exit) => guarded(sessionId, "answering", () => respond(Exit.isSuccess(exit) ? exit.value : Verdict.tempFail)),
      () => guarded(sessionId, "answering", () => respond(Verdict.tempFail))
    )
  }

  return { decide, fire } satisfies Bridge
})
