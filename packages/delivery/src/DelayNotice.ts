/**
 * Delay notices (RFC 3464 DSN with `Action: delayed`): tell the sender, once, that a message is still being
 * retried after a while. Off by default, as in Postfix (`delay_warning_time = 0`); the reference app turns it on
 * with `CARTERO_DELAY_NOTICE_AFTER` (e.g. `4h`).
 *
 * It is an outbound plugin on the `deferred` phase, so the worker needs no special case. Exactly one notice per
 * recipient needs no extra queue state: the notice goes out with the deferral of the first attempt whose nominal
 * time (the retry schedule's delays summed, without jitter) is at or past the threshold. Each attempt number
 * occurs once per recipient, so that deferral happens at most once (an operator's `retry now` moves attempts
 * earlier, never repeats one).
 *
 * Rules: never for the null sender `<>`; only for recipients whose RCPT asked for delay notices (NOTIFY=DELAY, or no
 * NOTIFY at all, RFC 3461 §4.1); not when the recipient is past the queue's maximum age (it is about to bounce).
 * `Original-Envelope-Id` and `Original-Recipient` come from ENVID and ORCPT when given; only headers are returned.
 *
 * @since 0.1.0
 */
import { Setting } from "@cartero/settings"
import { TraceGate } from "@cartero/hotpath"
import { Dsn } from "@cartero/mime"
import { MailQueue } from "@cartero/queue"
import { Address, type Envelope, SmtpReply, Verdict } from "@cartero/smtp"
import { Clock, Config, Duration, Effect, Option } from "effect"
import { DeliveryConfig } from "./DeliveryConfig.ts"
import * as NoticeFields from "./NoticeFields.ts"
import * as OutboundHooks from "./OutboundHooks.ts"
import type * as RetryPolicy from "./RetryPolicy.ts"

/** The attempt (1-based) whose deferral triggers the notice: the first one scheduled at or after `after`. */
export const noticeAttempt = (policy: RetryPolicy.RetryPolicy, after: Duration.Duration): number => {
  const threshold = Duration.toMillis(after)
  let elapsed = 0
  // attempt 1 happens at arrival; attempt n after the first n-1 delays
  for (let attempt = 1; attempt <= 10_000; attempt++) {
    if (elapsed >= threshold && attempt > 1) return attempt
    const delay = policy.delays[Math.min(attempt - 1, policy.delays.length - 1)]
    elapsed += delay === undefined ? 0 : Duration.toMillis(delay)
  }
  return Number.POSITIVE_INFINITY
}

/** Whether a recipient wants delay notices (RFC 3461: NOTIFY absent, or listing DELAY). */
export const wantsDelayNotice = (recipient: Envelope.Recipient): boolean => NoticeFields.wants(recipient, "DELAY")

/** What a delay notice is about. */
export interface Input {
  /** Our host name: `Reporting-MTA`, `MAILER-DAEMON@<hostname>`. */
  readonly hostname: string
  readonly envelope: Envelope.Envelope
  readonly arrivedAt: number
  /** The deferred recipients with their last (temporary) reply. */
  readonly recipients: ReadonlyArray<{ readonly recipient: Envelope.Recipient; readonly reply: SmtpReply.SmtpReply }>
  /** The queued message (its header block is returned). */
  readonly original: Uint8Array
  /** When the queue gives up: `Will-Retry-Until`. */
  readonly retryUntil: Date
  readonly now: Date
}

/**
 * The delay notice to queue, or `undefined` when none is due (null sender, or no recipient asked for one). Only
 * the header block is returned, whatever RET says (RET is about failed DSNs, RFC 3461 §4.3).
 */
export const make = (input: Input): { readonly envelope: Envelope.Envelope; readonly body: Uint8Array } | undefined => {
  const sender = input.envelope.mailFrom
  const recipients = input.recipients.filter((r) => wantsDelayNotice(r.recipient))
  if (sender === null || recipients.length === 0) return undefined
  const body = Dsn.make({
    ...NoticeFields.parties(input.hostname, sender),
    recipients: recipients.map((r): Dsn.Recipient => ({
      finalRecipient: Address.format(r.recipient.address),
      ...NoticeFields.originalRecipient(r.recipient),
      action: "delayed",
      status: r.reply.enhanced !== undefined && r.reply.enhanced.startsWith("4.") ? r.reply.enhanced : "4.0.0",
      diagnosticCode: SmtpReply.toString(r.reply),
      lastAttemptDate: input.now,
      willRetryUntil: input.retryUntil
    })),
    original: input.original,
    ...(input.envelope.params.envid !== undefined ? { originalEnvelopeId: input.envelope.params.envid } : {}),
    arrivalDate: new Date(input.arrivedAt),
    date: input.now
  })
  return { envelope: NoticeFields.envelopeTo(sender, body), body }
}

/** Options of {@link plugin}. */
export interface Options {
  /** Send the notice once a recipient has waited this long. */
  readonly after: Duration.Input
  /** Our host name: `Reporting-MTA`, `MAILER-DAEMON@<hostname>`. */
  readonly hostname: string
  /** The retry policy deliveries follow (the notice's attempt and its `Will-Retry-Until`). */
  readonly retry: RetryPolicy.RetryPolicy
}

/** The plugin. It needs the `MailQueue` (the queued message, and to queue the notice). */
export const plugin = (options: Options) =>
  OutboundHooks.make(
    "delay-notice",
    Effect.gen(function*() {
      const queue = yield* MailQueue.MailQueue
      const after = Duration.fromInputUnsafe(options.after)
      const trigger = noticeAttempt(options.retry, after)
      const maxAge = Duration.toMillis(options.retry.maxAge)
      return {
        deferred: Effect.fn("DelayNotice.deferred")(function*(event: OutboundHooks.DeferredEvent) {
          const sender = event.envelope.mailFrom
          const now = yield* Clock.currentTimeMillis
          if (event.attempts !== trigger || sender === null || now - event.arrivedAt >= maxAge) return Verdict.next
          const recipients = event.results.filter((r) => wantsDelayNotice(r.recipient))
          if (recipients.length === 0) return Verdict.next
          const notice = make({
            hostname: options.hostname,
            envelope: event.envelope,
            arrivedAt: event.arrivedAt,
            recipients,
            original: yield* queue.bytes(event.messageId),
            retryUntil: new Date(event.arrivedAt + maxAge),
            now: new Date(now)
          })
          if (notice === undefined) return Verdict.next
          const id = yield* queue.enqueue({
            envelope: notice.envelope,
            body: notice.body,
            traceId: event.traceId,
            // In the original's trace, a child of the attempt that deferred (when traces are on).
            traceParent: yield* TraceGate.traceParent
          })
          yield* Effect.logInfo("delay notice queued").pipe(
            Effect.annotateLogs({ queueId: event.messageId, notice: id, recipients: recipients.length })
          )
          return Verdict.next
        })
      }
    })
  )

const afterSetting: Setting.Parser<Duration.Duration> = (raw) => (raw.trim() === "0" ? Duration.zero : Setting.duration(raw))

/**
 * The plugin from the environment: `CARTERO_DELAY_NOTICE_AFTER` (a duration such as `4h`; unset or `0` = off), with
 * the host name (`CARTERO_HOSTNAME`) and the retry policy of `DeliveryConfig`.
 */
export const pluginConfig = OutboundHooks.make(
  "delay-notice",
  Effect.gen(function*() {
    const after = yield* Config.option(Setting.config("CARTERO_DELAY_NOTICE_AFTER", "a duration such as 4h, or 0 for off", afterSetting))
    if (Option.isNone(after) || Duration.toMillis(after.value) <= 0) return {}
    const { hostname, retry } = yield* DeliveryConfig
    return yield* plugin({ after: after.value, hostname, retry }).build
  })
)
