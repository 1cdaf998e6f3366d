// The webhook recipe of docs/delivery.md: mail to hooks.example.com becomes a signed POST to the application, the
// rest of example.com is stored in Maildirs as by default. A POST that fails is retried from Cartero's queue.
//
// The signing secret comes from the environment (CARTERO_WEBHOOK_SECRET), never from this file. Every
// `*.pluginConfig` reads its CARTERO_* settings: from `settings` below, overridden by the environment.
import { defaults, defineConfig } from "@cartero/mta/config"
import { Auth } from "@cartero/plugin-auth"
import { LocalDomains } from "@cartero/plugin-local-domains"
import { Maildir } from "@cartero/plugin-maildir"
import { QueueHandoff } from "@cartero/plugin-queue"
import { Webhook } from "@cartero/plugin-webhook"
import { Effect } from "effect"

const webhookDomains = ["hooks.example.com"]

// Maildir stores the local recipients but those of the webhook's domains, which the queue then takes.
const isMaildir: typeof LocalDomains.isLocal = (transaction, recipient) =>
  webhookDomains.includes(recipient.address.domain)
    ? Effect.succeed(false)
    : LocalDomains.isLocal(transaction, recipient)

export default defineConfig({
  plugins: [Auth.pluginConfig, LocalDomains.pluginConfig, Maildir.pluginConfig({ isLocal: isMaildir }), QueueHandoff.plugin],
  outbound: [Webhook.pluginConfig, ...defaults.outbound],
  settings: {
    CARTERO_HOSTNAME: "mx.example.com",
    CARTERO_LOCAL_DOMAINS: ["example.com", "hooks.example.com"],
    CARTERO_WEBHOOK_DOMAINS: webhookDomains,
    CARTERO_WEBHOOK_URL: "https://app.example.com/inbound-mail",
    CARTERO_WEBHOOK_FORMAT: "json"
  }
})
