/**
 * The catcher's recipient policy: every recipient is accepted, whatever its domain, and none is ever relayed (the
 * only store is Maildir, which takes them all). The core pipeline refuses a recipient no plugin accepts, so a
 * catcher needs this one.
 *
 * @since 0.1.0
 */
import { Plugin } from "@cartero/core"
import { Verdict } from "@cartero/smtp"
import { Effect } from "effect"

const accepted = Effect.succeed(Verdict.accept())

/** Accepts every recipient. */
export const plugin = Plugin.make("accept-all", Effect.succeed({ rcptTo: () => accepted }))
