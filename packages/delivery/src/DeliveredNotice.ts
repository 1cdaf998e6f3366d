/**
 * `Action: delivered` notices (RFC 3464) for local delivery: an inbound plugin that observes the `stored` phase
 * and, for the recipients a mailbox store (Maildir: `Store.Spec.mailbox`) kept that asked with `NOTIFY=SUCCESS`,
 * queues one success notice per message to the envelope sender (see {@link SuccessNotice}).
 *
 * The notice is queued once every recipient is stored, before the client gets its `250`; queueing it can fail
 * (the queue is down) without failing the message, which is delivered: the failure is logged. Recipients the mail
 * queue took are the delivery worker's to report (`relayed`, or nothing when the next hop speaks DSN).
 *
 * ```ts
 * Pipeline.Pipeline.layer([LocalDomains.pluginConfig, Maildir.pluginConfig(...), QueueHandoff.plugin, DeliveredNotice.pluginConfig])
 * ```
 *
 * @since 0.1.0
 */
import { Message, Plugin, type Session, type Store } from "@cartero/core"
import { MailQueue } from "@cartero/queue"
import { Setting } from "@cartero/settings"
import { Cause, Clock, Config, Effect, Stream } from "effect"
import * as os from "node:os"
import * as SuccessNotice from "./SuccessNotice.ts"

/** The plugin's name, as it appears in span names and logs. */
export const name = "delivered-notice"

/** Options of {@link plugin}. */
export interface Options {
  /** Our host name: `Reporting-MTA`, `MAILER-DAEMON@<hostname>`. */
  readonly hostname: string
}

/** The most octets read to find the header block a notice returns (a longer one is cut; `Dsn` keeps it valid). */
const maxHeaderBytes = 256 * 1024

const crlfcrlf = Buffer.from("\r\n\r\n")

/** The message's header block (with the trace fields we added), read up to its end or {@link maxHeaderBytes}. */
export const headerBlock = (message: Message.Message): Effect.Effect<Uint8Array, Message.MessageReadError> =>
  Effect.gen(function*() {
    let head = Buffer.alloc(0)
    yield* Message.streamAll(message).pipe(
      Stream.takeUntil((chunk) => {
        head = Buffer.concat([head, chunk])
        return head.includes(crlfcrlf) || head.length >= maxHeaderBytes
      }),
      Stream.runDrain
    )
    const end = head.indexOf(crlfcrlf)
    return end < 0 ? head.subarray(0, maxHeaderBytes) : head.subarray(0, end + 4)
  })

/** The plugin. It needs the `MailQueue` (to queue the notice). */
export const plugin = (options: Options) =>
  Plugin.make(
    name,
    Effect.gen(function*() {
      const queue = yield* MailQueue.MailQueue
      const stored = Effect.fnUntraced(function*(
        transaction: Session.Transaction,
        message: Message.Message,
        parts: ReadonlyArray<Store.Stored>
      ) {
        if (transaction.mailFrom === null) return
        const delivered = parts.filter((p) => p.mailbox).flatMap((p) => p.recipients).filter(SuccessNotice.wantsSuccessNotice)
        if (delivered.length === 0) return
        const now = new Date(yield* Clock.currentTimeMillis)
        const notice = SuccessNotice.make({
          hostname: options.hostname,
          envelope: { mailFrom: transaction.mailFrom, params: transaction.params, recipients: transaction.recipients },
          arrivedAt: now.getTime(),
          recipients: delivered.map((recipient): SuccessNotice.Reported => ({ recipient, action: "delivered" })),
          original: yield* headerBlock(message),
          now
        })
        if (notice === undefined) return
        const queued = yield* Effect.result(queue.enqueue({ envelope: notice.envelope, body: notice.body, traceId: transaction.id }))
        if (queued._tag === "Failure") {
          return yield* Effect.logError("cannot queue the delivered notice", Cause.fail(queued.failure)).pipe(
            Effect.annotateLogs({ txn: transaction.id })
          )
        }
        yield* Effect.logInfo("delivered notice queued").pipe(
          Effect.annotateLogs({ txn: transaction.id, dsnId: queued.success, recipients: notice.recipients.length })
        )
      })
      return { stored }
    })
  )

/** The plugin with the host name from `CARTERO_HOSTNAME` (default the OS host name). */
export const pluginConfig = Plugin.make(
  name,
  Effect.gen(function*() {
    const hostname = yield* Setting.config("CARTERO_HOSTNAME", "a host name", (s) => (s.trim() === "" ? undefined : s.trim().toLowerCase())).pipe(
      Config.withDefault(os.hostname())
    )
    return yield* plugin({ hostname }).build
  })
)
