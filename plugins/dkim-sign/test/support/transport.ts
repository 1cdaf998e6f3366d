/**
 * The signature's trip through our own transport: a message is queued, the delivery worker (with the plugin in its
 * outbound pipeline) signs and sends it over SMTP on loopback to an `SmtpSink`, whose MX and the keys' DKIM records
 * are served by FakeDns. What the sink received (dot-unstuffed, as a receiving server stores it) is returned.
 */
import { DeliveryConfig, DeliveryWorker, OutboundPipeline, RetryPolicy, Router, SmtpClient, TlsPolicy } from "@cartero/delivery"
import { Dns } from "@cartero/dns"
import { MailQueue } from "@cartero/queue"
import { Address, Envelope } from "@cartero/smtp"
import { FakeDns, SmtpSink } from "@cartero/testing"
import { Context, Duration, Effect, Layer, References, Schedule } from "effect"
import * as DkimSign from "../../src/DkimSign.ts"
import { keyDir, type TestKey, zones } from "./fixtures.ts"

/** Mail for dest.test goes to the sink on 127.0.0.1. */
const routing: FakeDns.Zones = {
  "dest.test": { MX: [{ priority: 10, exchange: "mx.dest.test" }] },
  "mx.dest.test": { A: ["127.0.0.1"] }
}

/** Queues `raw` from alice@example.test to bob@dest.test with the plugin signing with `keys`; the bytes received. */
export const deliverSigned = (keys: ReadonlyArray<TestKey>, raw: string | Uint8Array, options: Omit<DkimSign.Options, "keys"> = {}) =>
  Effect.gen(function*() {
    const { sources } = yield* keyDir(keys)
    const dkimZones = zones(keys)
    const dns = yield* FakeDns.make({ ...routing, ...dkimZones })
    const sink = yield* SmtpSink.make({})
    const base = Layer.mergeAll(
      MailQueue.MailQueue.layerStoreMemory({ retainFinishedMillis: 60_000 }),
      DeliveryConfig.DeliveryConfig.layer({
        hostname: "cartero.test",
        port: sink.port,
        workers: 1,
        shutdownTimeout: Duration.seconds(2),
        retry: RetryPolicy.make(["200 millis"], "1 hour", 0)
      }),
      SmtpClient.SmtpClient.layer({ heloName: "cartero.test", tls: TlsPolicy.none }),
      Dns.Dns.layer({ nameservers: [dns.nameserver], timeout: "500 millis", retry: Schedule.recurs(0), cacheSize: 0 }),
      Layer.succeed(References.MinimumLogLevel, "Warn")
    )
    const pipeline = OutboundPipeline.OutboundPipeline.layer([DkimSign.plugin({ keys: sources, ...options })])
    const context = yield* Layer.build(
      DeliveryWorker.DeliveryWorker.layer.pipe(Layer.provideMerge(Router.Router.layer), Layer.provideMerge(pipeline), Layer.provideMerge(base))
    )
    const queue = Context.get(context, MailQueue.MailQueue)
    const envelope = Envelope.make(Address.make("alice", "example.test"), [{ address: Address.make("bob", "dest.test") }], { smtpUtf8: false })
    yield* queue.enqueue({ envelope, body: typeof raw === "string" ? Buffer.from(raw, "utf8") : raw })
    const [received] = yield* sink.awaitMessages(1, "10 seconds")
    if (received === undefined) return yield* Effect.die(new Error("the sink received nothing"))
    return { received: new Uint8Array(received.data), wire: received.raw, zones: dkimZones }
  })

/** A message whose body needs care on the way: 8-bit text, lines starting with dots (stuffed on the wire), blank lines at the end. */
export const trickyMessage = [
  "From: Alice <alice@example.test>",
  "To: Bob <bob@dest.test>",
  "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=",
  "Date: Mon, 01 Jan 2024 10:00:00 +0000",
  "Message-ID: <transport@example.test>",
  "MIME-Version: 1.0",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: 8bit",
  "",
  "Grüße aus Köln — ça va? 日本語",
  ".",
  "..two dots",
  ".leading dot",
  "trailing spaces   ",
  "",
  "",
  ""
].join("\r\n")
