import { Pipeline } from "@cartero/core"
import { DeliveryWorker, OutboundPipeline } from "@cartero/delivery"
import { Dns } from "@cartero/dns"
import { LocalDomains } from "@cartero/plugin-local-domains"
import { Maildir } from "@cartero/plugin-maildir"
import { QueueHandoff } from "@cartero/plugin-queue"
import { MailQueue } from "@cartero/queue"
import { SqliteQueueStore } from "@cartero/queue-sqlite"
import { SmtpServer } from "@cartero/server"
import { Layer } from "effect"
import * as Path from "node:path"
import * as RecipientLimit from "./RecipientLimit.ts"

/** Where the server listens and keeps its files. */
export interface Options {
  readonly port: number
  readonly dataDir: string
}

/**
 * An MX for example.com: mail for its users goes to Maildirs, mail that clients on this host relay goes to a SQLite
 * queue, and delivery workers send it on (MX routing; settings such as CARTERO_DNS_SERVERS from the environment).
 */
export const layer = (options: Options) => {
  const queue = MailQueue.MailQueue.layer.pipe(
    Layer.provideMerge(SqliteQueueStore.SqliteQueueStore.layer({ filename: Path.join(options.dataDir, "queue.sqlite") }))
  )
  const inbound = Pipeline.Pipeline.layer([
    RecipientLimit.plugin({ max: 20 }),
    LocalDomains.plugin({ domains: ["example.com"], trustedNetworks: ["127.0.0.0/8", "::1/128"] }),
    Maildir.plugin({ root: Path.join(options.dataDir, "mail"), isLocal: LocalDomains.isLocal }),
    QueueHandoff.plugin
  ])
  const server = SmtpServer.SmtpServer.layer({
    hostname: "mx.example.com",
    listeners: [{ kind: "mx", host: "127.0.0.1", port: options.port }]
  }).pipe(Layer.provide(inbound))
  const delivery = DeliveryWorker.DeliveryWorker.layerConfig(OutboundPipeline.OutboundPipeline.layerEmpty).pipe(
    Layer.provide(Dns.Dns.layerConfig)
  )
  return Layer.mergeAll(server, delivery).pipe(Layer.provideMerge(queue))
}
