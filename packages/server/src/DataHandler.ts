/**
 * DATA, once the client was told to go ahead (the `data` phase ran at the DATA command, see `Handlers`): reads the
 * message with the streaming checks of `DataReader`, then runs the `message` → `queue` phases and answers once.
 *
 * - A message that fails a check (size, bare CR/LF, 998-octet line, more `Received:` fields than the hop limit) is
 *   refused without running any hook and nothing is stored: `552 5.3.4`, `550 5.6.0` or `554 5.4.6`.
 * - The `Received:` header is rendered first and put in `Message.prepend`; headers that `data` and `message`
 *   verdicts add are prepended above it, each phase's on top of the previous ones (newest first, as trace and
 *   authentication headers are meant to be read, RFC 5321 §4.4, RFC 8601 §5), in the order the verdict lists them.
 * - Header fields that hooks asked to remove (`HeaderEdits`) are removed after the `message` phase, before the
 *   `message` verdict's headers are prepended and before `queue` (`RemoveFields`).
 * - `queue` must `Accept` (the message is stored) for the client to get `250`; its reply, if it has one, is sent,
 *   else `250 2.6.0 Message queued as <id>`.
 *
 * @since 0.1.0
 */
import { HeaderEdits, type Message, type Pipeline, type Session } from "@cartero/core"
import { TraceGate } from "@cartero/hotpath"
import { Headers } from "@cartero/mime"
import { type Header, HopCount, Verdict } from "@cartero/smtp"
import { Effect } from "effect"
import type { SMTPServerDataStream, SMTPServerError, SMTPServerSession } from "smtp-server"
import { DataReader, type Result } from "./DataReader.ts"
import * as EventLog from "./EventLog.ts"
import * as MessageSpan from "./MessageSpan.ts"
import type { Context } from "./Handlers.ts"
import { succeed } from "./Handlers.ts"
import * as ReceivedHeader from "./ReceivedHeader.ts"
import * as RemoveFields from "./RemoveFields.ts"
import * as Replies from "./Replies.ts"
import * as ReplyPatch from "./ReplyPatch.ts"
import * as SessionState from "./SessionState.ts"

type Callback = (err: SMTPServerError | null | undefined, message?: string) => void

const refusal = (result: Exclude<Result, { _tag: "Ok" }>, options: Context["options"]) => {
  switch (result._tag) {
    case "TooBig":
      return Replies.messageTooBig(options.maxMessageSize)
    case "HeaderTooBig":
      return Replies.headerTooBig(options.spillThreshold)
    case "SpillFailed":
      return Replies.spillFailed
    case "BareLf":
      return Replies.bareLf
    case "BareCr":
      return Replies.bareCr
    case "LineTooLong":
      return Replies.lineTooLong
  }
}

const render = (headers: ReadonlyArray<Header.Header>, utf8: boolean): string =>
  headers.map((h) => Headers.format(h.name, h.value, { utf8 })).join("")

/** The deciding verdict of message → queue, and the phase that gave it. */
export interface Delivered {
  readonly phase: "message" | "queue"
  readonly verdict: Verdict.Verdict
}

const noAttributes = () => ({})

/**
 * Runs message → queue on an accepted body; returns the deciding verdict and its phase. `added` are the headers the
 * `data` phase asked for, `received` the rendered `Received:` field.
 */
export const deliver = Effect.fnUntraced(function*(
  pipeline: Pipeline.PipelineShape,
  txn: Session.Transaction,
  data: Message.Data,
  head: Buffer,
  received: string,
  added: ReadonlyArray<Header.Header>
) {
  const utf8 = txn.params.smtpUtf8
  let message: Message.Message = { headers: Headers.view(head), prepend: render(added, utf8) + received, data }
  const verdict = yield* pipeline.message(txn, message).pipe(TraceGate.span("smtp.phase.message", noAttributes))
  if (!Verdict.isSuccess(verdict)) return { phase: "message", verdict } satisfies Delivered
  // Removals hooks asked for (HeaderEdits) go before the message verdict's headers are added, so that a hook can
  // remove forged fields and add its own in one verdict.
  const removals = yield* HeaderEdits.requested(txn)
  if (removals.length > 0) message = RemoveFields.apply(message, head, removals)
  const more = Verdict.headersOf(verdict)
  if (more.length > 0) message = { ...message, prepend: render(more, utf8) + message.prepend }
  return { phase: "queue", verdict: yield* pipeline.queue(txn, message).pipe(TraceGate.span("smtp.phase.queue", noAttributes)) } satisfies Delivered
})

/** The reply to a stored message: the last store's, else `250 2.6.0 Message queued as <txn>`. */
const chosenReply = (verdict: Verdict.Continue | Verdict.Accept, txn: SessionState.TxnState) =>
  (verdict._tag === "Accept" ? verdict.reply : undefined) ?? Replies.queued(txn.id)

const receivedHeader = (state: SessionState.ConnState, txn: SessionState.TxnState, hostname: string): string => {
  const cipher = state.session.tlsOptions
  const connection = SessionState.connection(state)
  return ReceivedHeader.render({
    helo: connection.helo,
    clientHostname: connection.clientHostname,
    remoteAddress: connection.remoteAddress,
    hostname,
    esmtp: connection.esmtp,
    secure: connection.secure,
    authenticated: connection.user !== undefined,
    tls: cipher === false || cipher === undefined
      ? undefined
      : { version: cipher.version, cipher: cipher.standardName ?? cipher.name },
    id: txn.id,
    recipients: txn.recipients,
    date: new Date()
  })
}

/** The `onData` callback of a listener. */
export const make = (ctx: Context) =>
(stream: SMTPServerDataStream, session: SMTPServerSession, callback: Callback): void => {
  const state = ctx.states.get(session)
  const txn = state === undefined ? undefined : SessionState.currentTxn(state)
  const reader = new DataReader(ctx.options.maxMessageSize, { threshold: ctx.options.spillThreshold, dir: ctx.options.spillDir })
  let done = false
  stream.on("data", (chunk: Buffer) => {
    // The spill file is behind the client: stop reading the socket until it caught up.
    if (!reader.push(chunk)) {
      stream.pause()
      void reader.drained().then(() => stream.resume())
    }
  })
  stream.once("error", () => {
    // The client went away mid-message: nothing to answer, nothing stored.
    void reader.discard()
    if (done) return
    done = true
    callback(ReplyPatch.toError(Replies.tempFail))
  })
  stream.once("end", () => {
    if (done) return
    done = true
    void reader.finish().then((result) => answer(result), () => answer({ _tag: "SpillFailed", cause: "finish failed" }))
  })
  // The spill file, if any, is removed once the client has its answer (stores have read it by then).
  const reply: Callback = (err, message) => {
    void reader.discard()
    callback(err, message)
  }
  const answer = (result: Result): void => {
    if (state === undefined || txn === undefined) return reply(ReplyPatch.toError(Replies.needMail))
    state.txn = undefined
    const hops = result._tag === "Ok" ? HopCount.count(result.head) : 0
    const refused = result._tag !== "Ok"
      ? { reply: refusal(result, ctx.options) }
      : HopCount.exceeds(hops, ctx.options.maxHops)
      ? { reply: Replies.tooManyHops(hops, ctx.options.maxHops) }
      : undefined
    if (refused !== undefined || result._tag !== "Ok") {
      const answered = refused?.reply ?? Replies.tempFail
      ctx.limits.metrics.messageRefused()
      ctx.bridge.fire(session.id, EventLog.refused(state, { phase: "message", reply: answered, plugin: EventLog.server, txn }))
      return reply(ReplyPatch.toError(answered))
    }
    const view = SessionState.transaction(state, txn)
    const received = receivedHeader(state, txn, ctx.options.hostname)
    const size = reader.received
    const effect = deliver(ctx.pipeline, view, result.data, result.head, received, txn.dataHeaders).pipe(
      Effect.tap(({ phase, verdict }) => {
        if (Verdict.isSuccess(verdict)) {
          const chosen = chosenReply(verdict, txn)
          return Effect.andThen(MessageSpan.answered(chosen), EventLog.accepted(state, txn, size, chosen))
        }
        const plugin = EventLog.pluginOf(verdict)
        return Effect.andThen(
          MessageSpan.answered(verdict.reply, { phase, plugin }),
          EventLog.refused(state, { phase, reply: verdict.reply, plugin, txn })
        )
      }),
      Effect.map(({ verdict }) => verdict),
      MessageSpan.around(state, txn, size)
    )
    ctx.bridge.decide(session.id, effect, (verdict) => {
      if (!Verdict.isSuccess(verdict)) {
        ctx.limits.metrics.messageRefused()
        return reply(ReplyPatch.toError(verdict.reply))
      }
      ctx.limits.metrics.messageAccepted(size)
      const chosen = chosenReply(verdict, txn)
      succeed(state, chosen, () => reply(null, ReplyPatch.encode(chosen)))
    })
  }
}
