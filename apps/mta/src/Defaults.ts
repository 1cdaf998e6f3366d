/**
 * The reference MTA's plugins, in hook order, as a config file gets them (`defaults.plugins`,
 * `defaults.outbound`) to extend or reorder.
 *
 * Inbound: submission users log in (AUTH) and may send only as themselves; the relay policy decides recipients
 * (local ones, or anything for authenticated or trusted clients); in the queue phase Maildir stores the local ones
 * and the mail queue takes the rest (both or neither: core's store protocol); local recipients that asked for it
 * (`NOTIFY=SUCCESS`) get their sender an `Action: delivered` notice (`DeliveredNotice`).
 *
 * Outbound: mail the queue holds for our own local domains (bounces to local senders) goes back to our MX listener
 * (`LocalReturn`); delay notices go out when `CARTERO_DELAY_NOTICE_AFTER` is set.
 *
 * @since 0.1.0
 */
import { DelayNotice, DeliveredNotice } from "@cartero/delivery"
import { Auth } from "@cartero/plugin-auth"
import { LocalDomains } from "@cartero/plugin-local-domains"
import { Maildir } from "@cartero/plugin-maildir"
import { QueueHandoff } from "@cartero/plugin-queue"
import * as LocalReturn from "./LocalReturn.ts"

/** The inbound plugins. */
export const plugins = [
  Auth.pluginConfig,
  LocalDomains.pluginConfig,
  Maildir.pluginConfig({ isLocal: LocalDomains.isLocal }),
  QueueHandoff.plugin,
  DeliveredNotice.pluginConfig
] as const

/** The outbound plugins. */
export const outbound = [LocalReturn.plugin, DelayNotice.pluginConfig] as const
