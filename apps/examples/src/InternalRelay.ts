import { OutboundHooks } from "@cartero/delivery"
import { Header, Verdict } from "@cartero/smtp"
import { Effect } from "effect"

/** Options, given in code (or in `cartero.config.ts`). */
export interface Options {
  /** Mail for this domain … */
  readonly domain: string
  /** … goes to this host (port 25), whatever its MX says. */
  readonly relay: string
}

/** Sends one domain's mail through a fixed relay, with a header saying so; other domains keep MX routing. */
export const plugin = (options: Options) =>
  OutboundHooks.make("internal-relay", Effect.succeed({
    route: (claim) => Effect.succeed(claim.domain === options.domain ? OutboundHooks.relay({ host: options.relay }) : Verdict.next),
    beforeSend: (send) => Effect.succeed(send.domain === options.domain ? [Header.make("X-Internal-Relay", options.relay)] : [])
  }))
