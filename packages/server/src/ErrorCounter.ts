/**
 * The errors of one session, Postfix's way (`smtpd_soft_error_limit`, `smtpd_hard_error_limit`,
 * `smtpd_junk_command_limit`): a client that keeps getting refusals (a dictionary attack on recipients, a
 * confused or hostile program) is slowed down, then disconnected.
 *
 * - every 4yz/5yz reply the server sends in the session is one error (what counts is decided by the caller, see
 *   `ListenerLimits` and docs/decisions/connection-and-session-limits.md);
 * - once the session made `softErrorLimit` errors it is {@link ErrorCounter.slowed}: every further command is
 *   answered after the error sleep;
 * - the error that reaches `hardErrorLimit` is answered, then the session gets `421 4.7.0` and is closed;
 * - the commands that change nothing (NOOP, RSET, VRFY, HELP) are free up to `junkCommandLimit`; each one after
 *   that counts as an error;
 * - a delivered message (`250` at the end of DATA) starts the counts over: the limits are on errors "without
 *   delivering mail", as Postfix words it.
 *
 * @since 0.1.0
 */

/** The limits a counter applies. */
export interface Limits {
  readonly softErrorLimit: number
  readonly hardErrorLimit: number
  readonly junkCommandLimit: number
}

/** What the session does after an event: go on, or be closed with `421 4.7.0`. */
export type Outcome = "Continue" | "Drop"

/** The counts of one session. */
export class ErrorCounter {
  private errors = 0
  private junk = 0

  constructor(readonly limits: Limits) {}

  /** Errors since the session started or last delivered a message. */
  get count(): number {
    return this.errors
  }

  /** Whether replies are slowed down now (the soft limit was reached). */
  get slowed(): boolean {
    return this.errors >= this.limits.softErrorLimit
  }

  /** An error reply was sent. */
  error(): Outcome {
    this.errors++
    return this.errors >= this.limits.hardErrorLimit ? "Drop" : "Continue"
  }

  /** A junk command arrived: free up to the junk limit, an error after it. */
  junkCommand(): Outcome {
    this.junk++
    return this.junk > this.limits.junkCommandLimit ? this.error() : "Continue"
  }

  /** A message was delivered: the counts start over. */
  delivered(): void {
    this.errors = 0
    this.junk = 0
  }
}
