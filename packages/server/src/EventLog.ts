/**
 * The info lines an operator greps for, one per event, each with the same keys every time (empty when they do not
 * apply), in the spirit of Postfix's `client=` / `from=` / `to=` lines (docs/operations.md, "Logs"):
 *
 * - `message accepted`: `txn client helo user from to recipients size reply`;
 * - `refused` (any phase, by a plugin or by the server's own checks): `txn client helo user from to phase plugin
 *   reply`; `plugin` is the plugin whose verdict (or failed hook) refused (`Runner.decidedBy`), `server` for the
 *   server's own checks and a phase's default (`rcptTo`'s default-deny).
 *
 * Lines are built only when `Info` is logged (`LogGate`): the hot path pays nothing at `warn`.
 *
 * @since 0.1.0
 */
import { Runner } from "@cartero/core"
import { LogGate } from "@cartero/hotpath"
import { Address, type Envelope, SmtpReply } from "@cartero/smtp"
import { Effect } from "effect"
import type * as SessionState from "./SessionState.ts"

/** The phase a refusal happened in: a pipeline phase (`message` also covers the server's checks of the body). */
export type Phase = "connect" | "helo" | "auth" | "mailFrom" | "rcptTo" | "data" | "message" | "queue"

/** `plugin=` of the server's own refusals. */
export const server = "server"

const recipientList = (recipients: ReadonlyArray<Envelope.Recipient>): string =>
  recipients.map((r) => Address.formatPath(r.address)).join(",")

/** What every event of a session says about the client and the transaction. */
const who = (state: SessionState.ConnState, txn: SessionState.TxnState | undefined, to: string) => ({
  txn: txn?.id ?? "",
  client: state.session.remoteAddress,
  helo: state.helo ?? "",
  user: state.user ?? "",
  from: txn === undefined ? "" : Address.formatPath(txn.mailFrom),
  to
})

/** The line of an accepted message. */
export const accepted = (
  state: SessionState.ConnState,
  txn: SessionState.TxnState,
  size: number,
  reply: SmtpReply.SmtpReply
): Effect.Effect<void> =>
  LogGate.whenEnabled("Info", () =>
    Effect.logInfo("message accepted").pipe(Effect.annotateLogs({
      ...who(state, txn, recipientList(txn.recipients)),
      recipients: txn.recipients.length,
      size,
      reply: SmtpReply.toString(reply)
    })))

/** What a refusal is about: the transaction (if any) and the recipients it concerns (all of them when omitted). */
export interface Refusal {
  readonly phase: Phase
  readonly reply: SmtpReply.SmtpReply
  /** The plugin that refused: {@link pluginOf} the verdict, or {@link server}. */
  readonly plugin: string
  readonly txn?: SessionState.TxnState | undefined
  /** `rcptTo`: the recipient refused. */
  readonly recipient?: Envelope.Recipient | undefined
  /** `auth`: the user name the client tried (no user is authenticated when AUTH is refused). */
  readonly user?: string | undefined
}

/** The plugin a verdict names, or `server`. */
export const pluginOf = (verdict: object): string => Runner.decidedBy(verdict) ?? server

/**
 * The line of a refusal before the server knows the session (the connection limits, the AUTH throttle): only the
 * client's address; `txn helo user from to` are empty.
 */
export const refusedClient = (client: string, phase: Phase, reply: SmtpReply.SmtpReply): Effect.Effect<void> =>
  LogGate.whenEnabled("Info", () =>
    Effect.logInfo("refused").pipe(Effect.annotateLogs({
      txn: "",
      client,
      helo: "",
      user: "",
      from: "",
      to: "",
      phase,
      plugin: server,
      reply: SmtpReply.toString(reply)
    })))

/** The line of a refusal. */
export const refused = (state: SessionState.ConnState, refusal: Refusal): Effect.Effect<void> =>
  LogGate.whenEnabled("Info", () => {
    const to = refusal.recipient !== undefined
      ? Address.formatPath(refusal.recipient.address)
      : refusal.txn === undefined
      ? ""
      : recipientList(refusal.txn.recipients)
    const base = who(state, refusal.txn, to)
    return Effect.logInfo("refused").pipe(Effect.annotateLogs({
      ...base,
      user: refusal.user ?? base.user,
      phase: refusal.phase,
      plugin: refusal.plugin,
      reply: SmtpReply.toString(refusal.reply)
    }))
  })
