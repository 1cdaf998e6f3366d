// The LMTP recipe of docs/delivery.md: an MX for example.com whose mailboxes live in Dovecot. Local mail is queued
// (no Maildir plugin) and the delivery workers hand it to Dovecot's LMTP socket, one reply per recipient; when
// Dovecot is down or a mailbox is full the mail waits in Cartero's queue and is retried.
//
// Dovecot side (conf.d/10-master.conf): service lmtp { unix_listener /run/dovecot/cartero-lmtp { mode = 0600
// user = cartero group = cartero } }. Every `*.pluginConfig` reads its CARTERO_* settings: from `settings` below,
// overridden by the environment.
import { defaults, defineConfig } from "@cartero/mta/config"
import { Auth } from "@cartero/plugin-auth"
import { LocalDomains } from "@cartero/plugin-local-domains"
import { Lmtp } from "@cartero/plugin-lmtp"
import { QueueHandoff } from "@cartero/plugin-queue"

export default defineConfig({
  // The defaults without Maildir: the queue takes the local recipients too.
  plugins: [Auth.pluginConfig, LocalDomains.pluginConfig, QueueHandoff.plugin],
  // Before the default local-return hook: the first route hook that decides wins.
  outbound: [Lmtp.pluginConfig, ...defaults.outbound],
  settings: {
    CARTERO_HOSTNAME: "mx.example.com",
    CARTERO_LOCAL_DOMAINS: ["example.com"],
    CARTERO_LMTP_ADDRESS: "unix:/run/dovecot/cartero-lmtp"
  }
})
