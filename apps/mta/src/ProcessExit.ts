/**
 * How the process ends. An operator who starts the server with a bad setting gets one line per problem on stderr
 * (`cartero: cannot start: CARTERO_SMTP_PORT: expected an integer 0-65535, got "abc"`) and exit code 1, without a
 * stack trace: configuration mistakes are not bugs. Defects (bugs) are still printed in full. A signal (SIGTERM,
 * SIGINT) interrupts the app, its layers close (listeners stop, sessions in progress finish within the server's
 * shutdown timeout), and the exit code is 0.
 *
 * @since 0.1.0
 */
import { Cause, Config, Effect, Exit } from "effect"

/**
 * The text of an expected failure, on one line. Tagged errors carry an operator-facing `message`; a
 * `Config.ConfigError` is unwrapped so the line starts with what went wrong, not with the wrapper's tag.
 */
export const describe = (error: unknown): string => {
  const text = error instanceof Config.ConfigError
    ? error.cause.message
    : error instanceof Error
    ? withCauses(error)
    : typeof error === "string"
    ? error
    : JSON.stringify(error)
  return text.replace(/\s*\n\s*/g, " ")
}

/**
 * An error's message followed by its causes' (`queue store unavailable during connect: connect ECONNREFUSED
 * 127.0.0.1:6390`): a tagged error says what failed, its cause says why, and an operator needs both. A cause whose
 * text the message already holds is not repeated; the chain is followed a few levels at most.
 */
export const withCauses = (error: Error): string => {
  let text = error.message
  let cause: unknown = error.cause
  for (let depth = 0; depth < 4 && cause !== undefined && cause !== null; depth++) {
    const next = cause instanceof Error ? cause.message : typeof cause === "string" ? cause : ""
    if (next !== "" && !text.includes(next)) text = `${text}: ${next}`
    cause = cause instanceof Error ? cause.cause : undefined
  }
  return text
}

/** Writes the failures of `cause` to stderr: expected errors as one line each, defects with their stack. */
export const report = <E>(cause: Cause.Cause<E>): Effect.Effect<void> =>
  Effect.sync(() => {
    for (const reason of cause.reasons) {
      if (Cause.isFailReason(reason)) process.stderr.write(`cartero: cannot start: ${describe(reason.error)}\n`)
      else if (Cause.isDieReason(reason)) process.stderr.write(`cartero: fatal: ${Cause.pretty(Cause.die(reason.defect))}\n`)
    }
  })

/** `NodeRuntime.runMain` teardown: interruption (a signal) is a clean stop (0); any failure is 1. */
export const teardown = <E, A>(exit: Exit.Exit<E, A>, onExit: (code: number) => void): void =>
  onExit(Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause) ? 0 : 1)
