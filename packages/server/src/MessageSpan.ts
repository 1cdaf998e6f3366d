/**
 * The span of one message in the session that received it, `smtp.message` (when message traces are on,
 * `TraceGate`): from the end of DATA to the reply, around the `message` and `queue` phases, which get spans of
 * their own (`smtp.phase.message`, `smtp.phase.queue`), as do the stores that keep the message (the queue's
 * `queue.enqueue`). The queue stores this trace with the message, so its delivery attempts, in any process, are
 * children of this span.
 *
 * Attributes: `client.address`, `client.port`, `cartero.helo`, `cartero.user`, `cartero.sender`,
 * `cartero.recipients` (count), `cartero.size` (octets), `cartero.txn` (the transaction id of the logs and the
 * `Received:` field); when answered, `smtp.reply.code`, `smtp.reply.enhanced` and, for a refusal,
 * `cartero.refused.phase` and `cartero.refused.plugin`.
 *
 * @since 0.1.0
 */
import { TraceGate } from "@cartero/hotpath"
import { Address, type SmtpReply } from "@cartero/smtp"
import type { Effect } from "effect"
import type * as SessionState from "./SessionState.ts"

/** Wraps the handling of one message in its span (nothing when traces are off). */
export const around = (state: SessionState.ConnState, txn: SessionState.TxnState, size: number) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  self.pipe(TraceGate.root("smtp.message", () => ({
    "client.address": state.session.remoteAddress,
    "client.port": state.session.remotePort,
    "cartero.helo": state.helo ?? "",
    "cartero.user": state.user ?? "",
    "cartero.sender": Address.formatPath(txn.mailFrom),
    "cartero.recipients": txn.recipients.length,
    "cartero.size": size,
    "cartero.txn": txn.id
  })))

/** Records the reply on the current span; for a refusal, the phase and plugin that refused. */
export const answered = (reply: SmtpReply.SmtpReply, refused?: { readonly phase: string; readonly plugin: string }): Effect.Effect<void> =>
  TraceGate.annotate(() => ({
    "smtp.reply.code": reply.code,
    "smtp.reply.enhanced": reply.enhanced ?? "",
    ...(refused === undefined ? {} : { "cartero.refused.phase": refused.phase, "cartero.refused.plugin": refused.plugin })
  }))
