/**
 * Runs pipeline effects from smtp-server's node callbacks.
 *
 * A runtime is captured once per server with `FiberSet.makeRuntime`: every fiber it starts belongs to the server's
 * scope and is interrupted when the layer closes. Each call is annotated with the session id, so every log line of a
 * session carries `session=<id>`.
 *
 * A fiber runs synchronously until it first waits; most phases (MAIL, RCPT) decide without waiting, and then the
 * reply is given at once, in the same call, rather than through a promise and a later microtask (the library's
 * command loop takes synchronous continuations without recursing). A fiber that waits answers when it ends.
 *
 * Nothing that happens here may crash the process: a failed or interrupted run answers `451 4.3.0` (a failure is
 * logged), and an exception thrown by the continuation (i.e. by smtp-server while it writes the reply) is caught and
 * logged.
 *
 * @since 0.1.0
 */
import { Verdict } from "@cartero/smtp"
import { Cause, Context, Effect, Exit, FiberSet, type Scope, Tracer } from "effect"

/** The bridge of one server. */
export interface Bridge {
  /**
   * Runs a phase and calls `respond` exactly once with its verdict (`451 4.3.0` if the effect failed or died):
   * before returning when the phase needed no waiting, later otherwise.
   */
  readonly decide: (
    sessionId: string,
    effect: Effect.Effect<Verdict.Verdict>,
    respond: (verdict: Verdict.Verdict) => void
  ) => void
  /** Runs an effect for its side effects only (disconnect observers, logging). */
  readonly fire: (sessionId: string, effect: Effect.Effect<void>) => void
}

/**
 * Captures the runtime; fibers are interrupted when the surrounding scope closes. Its fibers start under no span:
 * the span current here is the server's start-up (`SmtpServer.make`), and with a tracer installed every session's
 * spans would otherwise join that one trace for the life of the process (a message's trace starts at its own
 * span, `MessageSpan`).
 */
export const make = Effect.gen(function*() {
  const run = yield* FiberSet.makeRuntime<never>().pipe(
    Effect.updateContext((context: Context.Context<Scope.Scope>) => Context.omit(Tracer.ParentSpan)(context))
  )

  const fire = (sessionId: string, effect: Effect.Effect<void>): void => {
    run(effect.pipe(Effect.annotateLogs({ session: sessionId }), Effect.catchCause(() => Effect.void)))
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
    const answer = (exit: Exit.Exit<Verdict.Verdict>): void => {
      if (Exit.isSuccess(exit)) return guarded(sessionId, "answering", () => respond(exit.value))
      if (!Cause.hasInterruptsOnly(exit.cause)) {
        fire(sessionId, Effect.logError("session handler failed; answering 451 4.3.0", exit.cause))
      }
      guarded(sessionId, "answering", () => respond(Verdict.tempFail))
    }
    // Under `Effect.exit`, the fiber itself never fails: the set keeps no failure, nothing is reported twice.
    const settle = (outer: Exit.Exit<Exit.Exit<Verdict.Verdict>>): void =>
      answer(Exit.isSuccess(outer) ? outer.value : Exit.failCause(outer.cause))
    const fiber = run(Effect.exit(Effect.annotateLogs(effect, { session: sessionId })))
    const done = fiber.pollUnsafe()
    if (done !== undefined) settle(done)
    else fiber.addObserver(settle)
  }

  return { decide, fire } satisfies Bridge
})
