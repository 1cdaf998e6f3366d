/**
 * The connection and session limits of one listener, applied to smtp-server's connections by the prototype
 * patches (`CommandPatch`, `ReplyPatch`):
 *
 * - at connect, before the banner: {@link ConnectionLimits} (total, per client, per client per minute) → `421 4.7.0`;
 * - per reply: every 4yz/5yz reply but `421` is an error of the session ({@link ErrorCounter}); once the soft limit
 *   is reached every command is answered after the error sleep, at the hard limit `421 4.7.0` and close; a
 *   delivered message starts the counts over;
 * - per command: NOOP, RSET, VRFY, HELP beyond the junk limit count as errors;
 * - AUTH: a client with too many recent failures (counted across connections and listeners) gets `454 4.7.0`
 *   without its credentials being checked;
 * - a sweeper ({@link sweep}, every `tick`) closes with `421 4.4.2` the sessions whose DATA phase or whose whole
 *   life went past its bound. It never cuts a session while the server owes it a reply (a hook or a store still
 *   deciding): a message is never stored behind a client that was told `421`.
 *
 * Times come from Effect's `Clock` (read synchronously: smtp-server calls in from plain callbacks), and the error
 * sleep is an Effect sleep on the server's runtime, so `TestClock` drives both. Per command the cost is one map
 * lookup; per connection a few more and nothing is allocated but the session's counter.
 *
 * @since 0.1.0
 */
import type { SmtpReply } from "@cartero/smtp"
import { type Clock, Duration, Effect } from "effect"
import type { SMTPConnection } from "smtp-server/lib/smtp-connection.js"
import type { Bridge } from "./Bridge.ts"
import * as ClientKey from "./ClientKey.ts"
import * as EventLog from "./EventLog.ts"
import { ConnectionLimits, type Refusal } from "./ConnectionLimits.ts"
import { ErrorCounter, type Outcome } from "./ErrorCounter.ts"
import type { RateWindow } from "./RateWindow.ts"
import * as Replies from "./Replies.ts"
import type { ResolvedOptions } from "./ServerOptions.ts"
import type { Recorder } from "./ServerMetrics.ts"

/** What is known about one admitted connection. */
interface Tracked {
  readonly key: string
  readonly since: number
  /** When the last `354` was sent (the DATA phase of the current message, if the client is still sending it). */
  dataSince: number
  readonly errors: ErrorCounter
}

/** Failed AUTH per client, shared by the listeners of one server. */
export interface AuthFailures {
  readonly window: RateWindow
  readonly limit: number
}

/** Whether the server, not the client, has the next move: a handler or a store is deciding, TLS is being set up. */
const serverTurn = (connection: SMTPConnection): boolean =>
  connection._handlerPending || connection._upgrading ||
  (Boolean(connection._dataStream) && connection._parser !== false && !connection._parser._dataMode)

const inData = (connection: SMTPConnection): boolean => connection._parser !== false && connection._parser._dataMode

const refusalReply = (refusal: Refusal, client: string): SmtpReply.SmtpReply => {
  switch (refusal) {
    case "TooManyClients":
      return Replies.tooManyClients
    case "TooManyFromClient":
      return Replies.tooManyFromClient(client)
    case "RateExceeded":
      return Replies.connectionRateExceeded(client)
  }
}

/** The interval of the sweeper: a tenth of the shortest bound, between 10 ms and 1 s. */
export const tickOf = (options: ResolvedOptions): Duration.Duration =>
  Duration.millis(
    Math.min(1000, Math.max(10, Math.floor(Math.min(Duration.toMillis(options.dataTimeout), Duration.toMillis(options.sessionTimeout)) / 10)))
  )

/** The limits of one listener. */
export class ListenerLimits {
  private readonly tracked = new Map<SMTPConnection, Tracked>()
  private readonly connections: ConnectionLimits
  private readonly errorSleep: Duration.Duration
  private readonly dataMillis: number
  private readonly sessionMillis: number

  constructor(
    private readonly options: ResolvedOptions,
    private readonly authFailures: AuthFailures,
    private readonly clock: Clock.Clock,
    private readonly bridge: Bridge,
    private readonly listener: string,
    /** The server's metrics (connections here; replies and messages by `ReplyPatch` and `DataHandler`). */
    readonly metrics: Recorder
  ) {
    this.connections = new ConnectionLimits(options)
    this.errorSleep = options.errorSleep
    this.dataMillis = Duration.toMillis(options.dataTimeout)
    this.sessionMillis = Duration.toMillis(options.sessionTimeout)
  }

  /** Connections admitted and not closed yet. */
  get size(): number {
    return this.tracked.size
  }

  private now(): number {
    return this.clock.currentTimeMillisUnsafe()
  }

  private log(connection: SMTPConnection, message: string, annotations: Record<string, unknown>): void {
    this.bridge.fire(
      connection.id,
      Effect.logInfo(message).pipe(Effect.annotateLogs({ listener: this.listener, client: connection.remoteAddress, ...annotations }))
    )
  }

  /**
   * A new connection, before anything was sent on it: `undefined` when it may go on (it is then tracked until
   * {@link closed}), else the `421` to answer instead of the banner.
   */
  admit(connection: SMTPConnection): SmtpReply.SmtpReply | undefined {
    const key = ClientKey.of(connection.remoteAddress)
    const now = this.now()
    const refusal = this.connections.admit(key, now)
    if (refusal !== undefined) {
      this.metrics.connectionRefused(refusal)
      const reply = refusalReply(refusal, connection.remoteAddress)
      this.bridge.fire(connection.id, EventLog.refusedClient(connection.remoteAddress, "connect", reply))
      return reply
    }
    this.tracked.set(connection, { key, since: now, dataSince: Number.NaN, errors: new ErrorCounter(this.options) })
    this.metrics.connectionOpened()
    return undefined
  }

  /** The connection is gone (called once per connection; unknown ones are ignored). */
  closed(connection: SMTPConnection): void {
    const tracked = this.tracked.get(connection)
    if (tracked === undefined) return
    this.tracked.delete(connection)
    this.connections.release(tracked.key)
    this.metrics.connectionClosed()
  }

  /**
   * A reply was sent: an error (4yz/5yz but 421) counts, a `250` ending DATA starts the counts over. `Drop` when
   * the session must now get `421 4.7.0` and be closed.
   */
  replied(connection: SMTPConnection, code: number, context: string | false | undefined): Outcome {
    const tracked = this.tracked.get(connection)
    if (tracked === undefined) return "Continue"
    if (code < 400) {
      if (context === "DATA_OK") tracked.errors.delivered()
      return "Continue"
    }
    if (code === 421) return "Continue"
    return this.outcome(connection, tracked, tracked.errors.error())
  }

  /** A junk command (NOOP, RSET, VRFY, HELP) arrived. */
  junk(connection: SMTPConnection): Outcome {
    const tracked = this.tracked.get(connection)
    return tracked === undefined ? "Continue" : this.outcome(connection, tracked, tracked.errors.junkCommand())
  }

  private outcome(connection: SMTPConnection, tracked: Tracked, outcome: Outcome): Outcome {
    if (outcome === "Drop") this.log(connection, "too many errors", { errors: tracked.errors.count })
    return outcome
  }

  /** Whether the session's commands wait the error sleep now (the soft error limit was reached). */
  slowed(connection: SMTPConnection): boolean {
    const tracked = this.tracked.get(connection)
    return tracked !== undefined && tracked.errors.slowed && !Duration.isZero(this.errorSleep)
  }

  /** Runs `proceed` after the error sleep, on the server's runtime (so it ends with the server). */
  afterErrorSleep(connection: SMTPConnection, proceed: () => void): void {
    this.bridge.fire(connection.id, Effect.sleep(this.errorSleep).pipe(Effect.andThen(Effect.sync(proceed))))
  }

  /** The server sent `354`: the DATA phase of a message starts. */
  dataStarted(connection: SMTPConnection): void {
    const tracked = this.tracked.get(connection)
    if (tracked !== undefined) tracked.dataSince = this.now()
  }

  /** The refusal of an AUTH command from a client with too many recent failures, if it is one. */
  authRefusal(connection: SMTPConnection): SmtpReply.SmtpReply | undefined {
    const key = ClientKey.of(connection.remoteAddress)
    if (this.authFailures.window.count(key, this.now()) < this.authFailures.limit) return undefined
    this.bridge.fire(connection.id, EventLog.refusedClient(connection.remoteAddress, "auth", Replies.authThrottled))
    return Replies.authThrottled
  }

  /** An AUTH attempt from `remoteAddress` failed. */
  authFailed(remoteAddress: string): void {
    this.authFailures.window.hit(ClientKey.of(remoteAddress), this.now())
  }

  /**
   * The sessions past their DATA or lifetime bound, with the reply that closes them; connections that are gone
   * without smtp-server noticing (a safety net: their slots are released here) are dropped from the counts.
   */
  overdue(live: ReadonlySet<SMTPConnection>): ReadonlyArray<readonly [SMTPConnection, SmtpReply.SmtpReply]> {
    const now = this.now()
    const due: Array<readonly [SMTPConnection, SmtpReply.SmtpReply]> = []
    for (const [connection, tracked] of this.tracked) {
      if (!live.has(connection) && connection._socket.destroyed) {
        this.closed(connection)
        continue
      }
      if (connection._closing || connection._closed || serverTurn(connection)) continue
      if (inData(connection) && now - tracked.dataSince >= this.dataMillis) {
        this.log(connection, "DATA took too long", { millis: now - tracked.dataSince })
        due.push([connection, Replies.dataTimeout])
      } else if (now - tracked.since >= this.sessionMillis) {
        this.log(connection, "session lasted too long", { millis: now - tracked.since })
        due.push([connection, Replies.sessionTimeout])
      }
    }
    return due
  }
}
