/**
 * The inbound hooks a plugin may implement, one per phase of the SMTP session, as a typed record.
 *
 * Every deciding hook returns a `Verdict` (see `@cartero/smtp`): decisions are values. A hook that fails (any
 * error in the error channel), dies, or exceeds its plugin's timeout is answered `451 4.3.0` by the pipeline and
 * the cause is logged with the plugin's name and the phase; the client never sees the detail.
 *
 * | phase        | when                                                  | what the hook sees                      |
 * |--------------|-------------------------------------------------------|-----------------------------------------|
 * | `connect`    | a client connected, before the banner                 | the connection                          |
 * | `helo`       | HELO / EHLO                                           | connection, verb and domain             |
 * | `auth`       | AUTH (submission)                                     | connection, mechanism, user, verifier   |
 * | `mailFrom`   | MAIL FROM                                             | the transaction: sender, parameters     |
 * | `rcptTo`     | each RCPT TO (default-deny)                           | transaction, the recipient              |
 * | `data`       | the DATA command, before `354`                        | the transaction with every recipient    |
 * | `message`    | the whole message was read (after the final `.`)      | transaction, headers parsed, the body   |
 * | `queue`      | after `message`: the message is stored                | a {@link Store}: takes, write, undo     |
 * | `stored`     | every recipient was stored (observers only)           | transaction, message, who stored whom   |
 * | `disconnect` | the connection closed (observers only)                | the connection                          |
 *
 * The outbound phases (`route`, `beforeSend`, `delivered`, `deferred`, `bounced`) are `@cartero/delivery`'s
 * `OutboundHooks`, with the same verdicts, runner and plugin shape.
 *
 * @since 0.1.0
 */
import type { Envelope, Verdict } from "@cartero/smtp"
import type { Effect } from "effect"
import type { Message } from "./Message.ts"
import type { AuthAttempt, Connection, Helo, Transaction } from "./Session.ts"
import type { Store, Stored } from "./Store.ts"

/** The result of a deciding hook. Any failure is treated as a temporary local problem. */
export type HookResult = Effect.Effect<Verdict.Verdict, unknown>

/** Inbound hooks. Every member is optional; a plugin implements the phases it cares about. */
export interface Hooks {
  readonly connect?: (connection: Connection) => HookResult
  readonly helo?: (connection: Connection, helo: Helo) => HookResult
  /** `Accept` authenticates the user; without one the answer is `535 5.7.8` (default-deny). */
  readonly auth?: (connection: Connection, attempt: AuthAttempt) => HookResult
  /** The sender and the MAIL parameters are `transaction.mailFrom` and `transaction.params`. */
  readonly mailFrom?: (transaction: Transaction) => HookResult
  /** Default-deny: a recipient no plugin accepts is refused with `550 5.7.1`. */
  readonly rcptTo?: (transaction: Transaction, recipient: Envelope.Recipient) => HookResult
  /**
   * The DATA command, before the client is told to send the body (`354`): a refusal here costs the client no
   * bytes (recipient-count policies, rate limits). Headers of `Continue`/`Accept` verdicts are added to the message.
   */
  readonly data?: (transaction: Transaction) => HookResult
  /** After the final `.`: the parsed header fields and the body. Headers of `Continue`/`Accept` are added. */
  readonly message?: (transaction: Transaction, message: Message) => HookResult
  /**
   * A store of the message (Maildir, the mail queue, …): the pipeline runs the store protocol (see `Store`), so a
   * store cannot skip a step. `250` is sent only once every recipient is stored.
   */
  readonly queue?: Store
  /**
   * Observers: every recipient was stored (the `queue` phase accepted), before the client gets `250`; `stored`
   * says which store kept which recipients. Every plugin's hook runs; failures are logged and ignored.
   */
  readonly stored?: (transaction: Transaction, message: Message, stored: ReadonlyArray<Stored>) => Effect.Effect<void, unknown>
  /** Observers: every plugin's hook runs, failures are logged and ignored. */
  readonly disconnect?: (connection: Connection) => Effect.Effect<void, unknown>
}

/** The names of the inbound phases, in session order (also the only keys a hooks record may have). */
export const phases: ReadonlyArray<keyof Hooks> = [
  "connect",
  "helo",
  "auth",
  "mailFrom",
  "rcptTo",
  "data",
  "message",
  "queue",
  "stored",
  "disconnect"
]
