import { Plugin } from "@cartero/core"
import { Header, Verdict } from "@cartero/smtp"
import { Effect } from "effect"

/** Options, given in code (or in `cartero.config.ts`). */
export interface Options {
  /** Most recipients an unauthenticated client may give one message. */
  readonly max: number
}

/**
 * Refuses a transaction with too many recipients at the DATA command, before the client sends the body
 * (authenticated users are not limited), and tags every message it lets through.
 */
export const plugin = (options: Options) =>
  Plugin.make("recipient-limit", Effect.succeed({
    data: (txn) =>
      Effect.succeed(
        txn.connection.user === undefined && txn.recipients.length > options.max
          ? Verdict.reject("5.5.3", `Too many recipients (at most ${options.max})`)
          : Verdict.next
      ),
    message: (txn) => Effect.succeed(Verdict.continueWith([Header.make("X-Recipient-Count", String(txn.recipients.length))]))
  }))
