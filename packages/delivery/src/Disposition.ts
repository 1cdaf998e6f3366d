/**
 * What becomes of each recipient after a delivery attempt: the one place that decides delivered, retry (when), or
 * failed (and so bounced).
 *
 * - 2yz: delivered.
 * - 5yz (or a permanent routing or policy failure): failed, bounced with that reply.
 * - 4yz (or no host reachable): the `deferred` hooks decide first (`OutboundHooks.DeferredVerdict`): a time from an
 *   `Accept` is the next attempt; a `Reject` gives up now (failed, bounced with the verdict's reply). Otherwise the
 *   {@link RetryPolicy} gives the next attempt, or gives up once the message is older than the maximum age: failed,
 *   bounced as expired (`5.4.7`) with the last temporary reply as the diagnostic.
 *
 * The queue records the outcomes (`MailQueue.complete`); the worker then bounces the failed recipients the queue
 * applied (a recipient claimed by someone else meanwhile is theirs to report).
 *
 * @since 0.1.0
 */
import type { Claim, MailQueue } from "@cartero/queue"
import type * as DeliveryResult from "./DeliveryResult.ts"
import type { BouncedRecipient, DeferredVerdict } from "./OutboundHooks.ts"
import * as RetryPolicy from "./RetryPolicy.ts"

/** What the decision needs. `results` are in the order of `claim.recipients`. */
export interface Input {
  readonly claim: Claim.Claim
  readonly results: ReadonlyArray<DeliveryResult.RecipientResult>
  /** The `deferred` phase's verdict (`Continue` when no recipient was deferred). */
  readonly deferred: DeferredVerdict
  readonly policy: RetryPolicy.RetryPolicy
  readonly now: number
  /** In [0, 1): the retry policy's jitter. */
  readonly random: number
  /** The host that answered, for DSN `Remote-MTA` (not for replies this side wrote itself). */
  readonly remoteMta: string | undefined
}

/** A recipient to report in a DSN, by its index in the envelope. */
export interface Bounce {
  readonly index: number
  readonly recipient: BouncedRecipient
}

/** The decision: what to record, and whom to bounce once it is recorded. */
export interface Disposition {
  readonly outcomes: ReadonlyArray<MailQueue.Outcome>
  readonly bounces: ReadonlyArray<Bounce>
}

/** Decides every recipient of the attempt. */
export const decide = (input: Input): Disposition => {
  const { claim, deferred, now, policy, random, remoteMta, results } = input
  const outcomes: Array<MailQueue.Outcome> = []
  const bounces: Array<Bounce> = []
  results.forEach((r, i) => {
    const claimed = claim.recipients[i]
    if (claimed === undefined) return
    const { index } = claimed
    const from = r.stage !== "connect" && !r.synthetic ? remoteMta : undefined
    const fail = (reply: typeof r.reply, expired: boolean) => {
      outcomes.push({ _tag: "Failed", index, reply })
      bounces.push({ index, recipient: { recipient: r.recipient, reply, remoteMta: from, expired } })
    }
    if (r._tag === "Delivered") return void outcomes.push({ _tag: "Delivered", index, reply: r.reply })
    if (r._tag === "Failed") return fail(r.reply, false)
    if (deferred._tag === "Accept") return void outcomes.push({ _tag: "Deferred", index, reply: r.reply, retryAt: deferred.value })
    if (deferred._tag === "Reject") return fail(deferred.reply, false)
    const next = RetryPolicy.nextAttempt(policy, { attempts: claimed.attempts + 1, arrivedAt: claim.arrivedAt, now, random })
    if (next._tag === "Retry") return void outcomes.push({ _tag: "Deferred", index, reply: r.reply, retryAt: next.at })
    fail(r.reply, true)
  })
  return { outcomes, bounces }
}
