/**
 * The `queue` plugin: hands accepted messages to the mail queue for delivery.
 *
 * In the `queue` phase it takes every recipient no earlier store handled (with the reference app's pipeline, the
 * non-local ones: Maildir runs first and takes the local ones), enqueues one message for them and answers
 * `250 2.6.0 Message queued as <id>` only once the store confirmed the write. It takes part in the core
 * `Handoff`: should a later store fail, the queued message is deleted again. When the queue store is down the
 * client gets `451 4.3.0` and nothing of the message is kept (earlier stores are rolled back too).
 *
 * The body is stored as `message.prepend` followed by `message.raw`, streamed as two chunks, never concatenated.
 *
 * ```ts
 * Pipeline.layer([LocalDomains.pluginConfig, Maildir.pluginConfig({ isLocal: LocalDomains.isLocal }), QueueHandoff.plugin])
 * ```
 *
 * @since 0.1.0
 */
import { Handoff, LogGate, type Message, Plugin, type Session } from "@cartero/core"
import { MailQueue } from "@cartero/queue"
import { Envelope, Verdict } from "@cartero/smtp"
import { Effect, Stream } from "effect"

/** The plugin's name, as it appears in span names and logs. */
export const name = "queue"

const encoder = new TextEncoder()

/** The plugin. It needs the `MailQueue` service (with the store of the app's choice). */
export const plugin: Plugin.Plugin<never, MailQueue.MailQueue> = Plugin.make(
  name,
  Effect.gen(function*() {
    const queue = yield* MailQueue.MailQueue
    return {
      // Runs per message: untraced (Effect.fn("QueueHandoff.queue") made a span and captured two stacks per call;
      // docs/benchmarks.md, "Profile and optimisations").
      queue: Effect.fnUntraced(function*(transaction: Session.Transaction, message: Message.Message) {
        const rest = yield* Handoff.unhandled(transaction)
        if (rest.length === 0) return Verdict.next
        const envelope = Envelope.make(transaction.mailFrom, rest.map((r) => r.recipient), transaction.params)
        const body = Stream.make(encoder.encode(message.prepend), message.raw)
        const queued = yield* Effect.result(queue.enqueue({ envelope, body, traceId: transaction.id }))
        if (queued._tag === "Failure") {
          yield* Effect.logError("queue unavailable; answering 451", queued.failure).pipe(
            Effect.annotateLogs({ txn: transaction.id })
          )
          return Verdict.defer("4.3.0", "Queue temporarily unavailable, try again later")
        }
        const id = queued.success
        yield* Handoff.onRollback(transaction, queue.delete(id))
        yield* Handoff.markHandled(transaction, rest.map((r) => r.index))
        yield* LogGate.whenEnabled("Info", () =>
          Effect.logInfo("queued").pipe(Effect.annotateLogs({ txn: transaction.id, queueId: id, recipients: rest.length })))
        return (yield* Handoff.allHandled(transaction))
          ? Verdict.accept({ enhanced: "2.6.0", text: `Message queued as ${id}` })
          : Verdict.next
      })
    }
  })
)

