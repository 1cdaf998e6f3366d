/**
 * The `queue` plugin: hands accepted messages to the mail queue for delivery.
 *
 * It is a store of the `queue` phase (core `Store`) that takes every recipient no earlier store took (with the
 * reference app's pipeline, the non-local ones: Maildir runs first and takes the local ones). It names the queue
 * id before writing, enqueues one message for its recipients, and answers `250 2.6.0 Message queued as <id>` only
 * once the store confirmed the write. Should a later store fail, or the enqueue fail or time out half-way, the
 * pipeline undoes it: the message `<id>` is deleted (a no-op when it was never written). When the queue store is
 * down the client gets `451 4.3.0 Queue temporarily unavailable` and nothing of the message is kept.
 *
 * The body is stored as `message.prepend` followed by the message, streamed (`Message.streamAll`: two chunks in
 * memory, file reads for a spilled message), never concatenated.
 * Delivery workers may claim the message as soon as it is written: put this store last. With message traces on
 * (`TraceGate`), the write is a span, `queue.enqueue`, whose traceparent is stored with the message so that its
 * delivery continues the trace.
 *
 * ```ts
 * Pipeline.Pipeline.layer([LocalDomains.pluginConfig, Maildir.pluginConfig({ isLocal: LocalDomains.isLocal }), QueueHandoff.plugin])
 * ```
 *
 * @since 0.1.0
 */
import { Message, Plugin, type Session, Store } from "@cartero/core"
import { LogGate, TraceGate } from "@cartero/hotpath"
import { MailQueue, type QueuedMessage } from "@cartero/queue"
import { Envelope, Verdict } from "@cartero/smtp"
import { Effect } from "effect"

/** The plugin's name, as it appears in span names and logs. */
export const name = "queue"

/** Replies this plugin emits. */
export const replies = {
  unavailable: Verdict.defer("4.3.0", "Queue temporarily unavailable, try again later")
} as const


interface Receipt {
  readonly id: QueuedMessage.MessageId
  readonly transaction: Session.Transaction
  readonly recipients: ReadonlyArray<Envelope.Recipient>
}

/** The plugin. It needs the `MailQueue` service (with the store of the app's choice). */
export const plugin: Plugin.Plugin<never, MailQueue.MailQueue> = Plugin.make(
  name,
  Effect.gen(function*() {
    const queue = yield* MailQueue.MailQueue
    return {
      queue: Store.make<Receipt>({
        takes: () => Effect.succeed(true),
        prepare: (transaction, recipients) => Effect.map(queue.newId, (id) => ({ id, transaction, recipients })),
        // Runs per message: untraced (Effect.fn made a span and captured two stacks per call; docs/benchmarks.md,
        // "Profile and optimisations").
        write: Effect.fnUntraced(function*({ id, recipients, transaction }: Receipt, message: Message.Message) {
          const envelope = Envelope.make(transaction.mailFrom, recipients, transaction.params)
          const body = Message.streamAll(message)
          // With traces on, the write is the span `queue.enqueue`, stored with the message as its traceparent: the
          // delivery attempts, in whichever process claims it, are its children (and so in the session's trace).
          const queued = yield* Effect.result(
            Effect.flatMap(TraceGate.traceParent, (traceParent) => queue.enqueue({ id, envelope, body, traceId: transaction.id, traceParent })).pipe(
              TraceGate.span("queue.enqueue", () => ({ "cartero.queue.id": id, "cartero.recipients": recipients.length }))
            )
          )
          if (queued._tag === "Failure") {
            yield* Effect.logError("queue unavailable; answering 451", queued.failure).pipe(
              Effect.annotateLogs({ txn: transaction.id })
            )
            return replies.unavailable
          }
          yield* LogGate.whenEnabled("Info", () =>
            Effect.logInfo("queued").pipe(Effect.annotateLogs({ txn: transaction.id, queueId: id, recipients: recipients.length })))
          return Verdict.accept({ enhanced: "2.6.0", text: `Message queued as ${id}` })
        }),
        undo: ({ id }) => queue.delete(id).pipe(Effect.catchTag("MessageNotFound", () => Effect.void))
      })
    }
  })
)
