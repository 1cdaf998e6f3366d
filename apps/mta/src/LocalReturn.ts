/**
 * Mail the queue holds for one of our own local domains (delivery status notifications to local senders, above
 * all) is handed back to our own MX listener over loopback, where the local-domains and Maildir plugins store it
 * as they store any inbound message. Without this, MX routing would find ourselves and bounce the mail as a loop.
 *
 * It is the outbound `route` hook of the reference app: other domains keep MX routing.
 *
 * @since 0.1.0
 */
import { OutboundHooks, TlsPolicy } from "@cartero/delivery"
import { SmtpServer } from "@cartero/server"
import { Verdict } from "@cartero/smtp"
import { Effect } from "effect"
import { AppConfig } from "./AppConfig.ts"

/** A wildcard listen address is reached over loopback. */
const reachable = (host: string): string => (host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host)

export const plugin = OutboundHooks.make(
  "local-return",
  Effect.gen(function*() {
    const server = yield* SmtpServer.SmtpServer
    const config = yield* AppConfig
    const local = new Set(config.localDomains)
    return {
      route: (context) =>
        Effect.sync(() => {
          const mx = server.address("mx")
          if (!local.has(context.domain) || mx === undefined) return Verdict.next
          return OutboundHooks.relay({ host: reachable(mx.host), port: mx.port, tls: TlsPolicy.none })
        })
    }
  })
)
