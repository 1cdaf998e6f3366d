/**
 * The hooks a plugin may implement, one per phase, as a typed record.
 *
 * Every hook returns a `Verdict` (see `@cartero/smtp`): decisions are values. A hook that fails (any error in the
 * error channel), dies, or exceeds its plugin's timeout is answered `451 4.3.0` by the pipeline and the cause is
 * logged with the plugin's name and the phase; the client never sees the detail.
 *
 * | phase        | when                                      | what the hook sees                       |
 * |--------------|-------------------------------------------|------------------------------------------|
 * | `connect`    | a client connected, before the banner     | the connection                           |
 * | `helo`       | HELO / EHLO                               | connection, verb and domain              |
 * | `auth`       | AUTH (submission)                         | connection, mechanism, user, verifier    |
 * | `mailFrom`   | MAIL FROM                                 | transaction (no recipients yet), sender  |
 * | `rcptTo`     | each RCPT TO (default-deny)               | transaction, the recipient               |
 * | `data`       | end of DATA, headers parsed               | transaction, the header fields           |
 * | `message`    | end of DATA, after `data`                 | transaction, the whole message           |
 * | `queue`      | after `message`: store or hand off        | transaction, the whole message           |
 * | `disconnect` | the connection closed (observers only)    | the connection                           |
 *
 * Outbound phases (`route`, `beforeSend`, `delivered`, `deferred`, `bounced`) are added by `@cartero/delivery`.
 *
 * @since 0.1.0
 */
import type { Address, Envelope, Verdict } from "@cartero/smtp"
import type { Effect } from "effect"
import type { Message } from "./Message.ts"
import type { AuthAttempt, Connection, Helo, Transaction } from "./Session.ts"

/** The result of a deciding hook. Any failure is treated as a temporary local problem. */
export type HookResult = Effect.Effect<Verdict.Verdict, unknown>

/** Inbound hooks. Every member is optional; a plugin implements the phases it cares about. */
export interface Hooks {
  readonly connect?: (connection: Connection) => HookResult
  readonly helo?: (connection: Connection, helo: Helo) => HookResult
  /** `Accept` authenticates the user; `Reject` answers 535 5.7.8 unless the verdict says otherwise. */
  readonly auth?: (connection: Connection, attempt: AuthAttempt) => HookResult
  readonly mailFrom?: (
    transaction: Transaction,
    sender: Address.Address | null,
    params: Envelope.MailParams
  ) => HookResult
  /** Default-deny: a recipient no plugin accepts is refused with 550 5.7.1. */
  readonly rcptTo?: (transaction: Transaction, recipient: Envelope.Recipient) => HookResult
  /** Headers of `Continue`/`Accept` verdicts are added to the message. */
  readonly data?: (transaction: Transaction, message: Message) => HookResult
  /** Headers of `Continue`/`Accept` verdicts are added to the message. */
  readonly message?: (transaction: Transaction, message: Message) => HookResult
  /**
   * Store or hand off the message. `Accept` means the message is durably stored: only then is 250 sent. When no
   * plugin accepts, the client gets 451 4.3.0 (nothing was stored).
   */
  readonly queue?: (transaction: Transaction, message: Message) => HookResult
  /** Observers: every plugin's hook runs, failures are logged and ignored. */
  readonly disconnect?: (connection: Connection) => Effect.Effect<void, unknown>
}

/** The inbound phases that take a verdict from plugins, in session order. */
export type DecidingPhase = Exclude<keyof Hooks, "disconnect">
