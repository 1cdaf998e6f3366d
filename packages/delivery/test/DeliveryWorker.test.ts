import { assert, describe, it } from "@effect/vitest"
import { Dns } from "@cartero/dns"
import { MailQueue } from "@cartero/queue"
import { SmtpReply } from "@cartero/smtp"
import { FakeDns, SmtpSink } from "@cartero/testing"
import { ConfigProvider, Context, Duration, Effect, Layer } from "effect"
import { DeliveryWorker } from "../src/DeliveryWorker.ts"
import * as RetryPolicy from "../src/RetryPolicy.ts"
import { OutboundPipeline } from "../src/OutboundPipeline.ts"
import { body, dsns, envelope, eventually, settled, setup, zones } from "./support/worker.ts"

const replyOf = (r: { readonly lastReply: SmtpReply.SmtpReply | undefined } | undefined) =>
  r?.lastReply === undefined ? "" : SmtpReply.toString(r.lastReply)

describe("DeliveryWorker: delivery and classification", () => {
  it.live("250: delivered through the MX on the configured port, bytes intact", () =>
    Effect.gen(function*() {
      const { queue, sink } = yield* setup()
      const msg = body()
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: msg })
      const [m] = yield* sink.awaitMessages(1)
      assert.strictEqual(m?.mailFrom, "sender@origin.test")
      assert.deepStrictEqual(m?.rcptTo, ["bob@dest.test"])
      assert.isTrue(m?.data.equals(Buffer.from(msg)))
      const shown = yield* settled(queue, id)
      assert.strictEqual(shown.recipients[0]?.state, "delivered")
      assert.match(replyOf(shown.recipients[0]), /^250 /)
    }).pipe(Effect.scoped))

  it.live("first MX refuses connections (127.0.0.2), the second accepts", () =>
    Effect.gen(function*() {
      const { queue, sink } = yield* setup({
        zones: {
          "dest.test": { MX: [{ priority: 10, exchange: "down.dest.test" }, { priority: 20, exchange: "mx1.dest.test" }] },
          "down.dest.test": { A: ["127.0.0.2"] }
        }
      })
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      yield* sink.awaitMessages(1)
      assert.strictEqual((yield* settled(queue, id)).recipients[0]?.state, "delivered")
    }).pipe(Effect.scoped))

  it.live("implicit MX: a domain with only an A record", () =>
    Effect.gen(function*() {
      const { queue, sink } = yield* setup({ zones: { "dest.test": { A: ["127.0.0.1"] } } })
      yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      const [m] = yield* sink.awaitMessages(1)
      assert.deepStrictEqual(m?.rcptTo, ["bob@dest.test"])
    }).pipe(Effect.scoped))

  it.live("451 then 250 on a later attempt", () =>
    Effect.gen(function*() {
      let calls = 0
      const { queue, sink } = yield* setup({
        sink: { rcptTo: () => (++calls === 1 ? SmtpSink.reply(451, "4.2.1 try later") : undefined) }
      })
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      yield* sink.awaitMessages(1)
      const shown = yield* settled(queue, id)
      assert.strictEqual(shown.recipients[0]?.state, "delivered")
      assert.strictEqual(shown.recipients[0]?.attempts, 2)
      assert.strictEqual(calls, 2)
    }).pipe(Effect.scoped))

  it.live("SERVFAIL defers (4.4.3), delivery succeeds once DNS recovers", () =>
    Effect.gen(function*() {
      const { dns, queue, sink } = yield* setup({ zones: { "dest.test": { fail: "SERVFAIL" } } })
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      const first = yield* eventually(queue.show(id).pipe(Effect.map((m) => (m.recipients[0]?.state === "deferred" ? m : undefined))))
      assert.match(replyOf(first.recipients[0]), /^451 4\.4\.3 /)
      yield* dns.setZone("dest.test", { MX: [{ priority: 10, exchange: "mx1.dest.test" }] })
      yield* sink.awaitMessages(1)
      assert.strictEqual((yield* settled(queue, id)).recipients[0]?.state, "delivered")
    }).pipe(Effect.scoped))

  it.live("a delivery longer than its lease keeps it: renewed every third, never claimed twice", () =>
    Effect.gen(function*() {
      // The sink answers the end of data after 1.2 s, four times the lease: without renewals the lease would lapse
      // and the other (idle) worker would claim and send the message again.
      const { queue, sink } = yield* setup({
        settings: { lease: Duration.millis(300) },
        sink: { message: () => SmtpSink.reply(250, "2.0.0 ok", { delay: "1200 millis" }) }
      })
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      const shown = yield* settled(queue, id)
      assert.strictEqual(shown.recipients[0]?.state, "delivered")
      assert.strictEqual(shown.recipients[0]?.attempts, 1)
      yield* Effect.sleep("500 millis")
      assert.strictEqual(yield* sink.count, 1)
    }).pipe(Effect.scoped))

  it.live("connection dropped mid-DATA: deferred, then delivered on retry", () =>
    Effect.gen(function*() {
      const { queue, sink } = yield* setup({ sink: { dropDuringData: true } })
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      const first = yield* eventually(queue.show(id).pipe(Effect.map((m) => (m.recipients[0]?.state === "deferred" ? m : undefined))))
      assert.match(replyOf(first.recipients[0]), /^451 4\./)
      yield* sink.setScript({})
      yield* sink.awaitMessages(1)
      assert.strictEqual((yield* settled(queue, id)).recipients[0]?.state, "delivered")
    }).pipe(Effect.scoped))
})

describe("DeliveryWorker: bounces", () => {
  it.live("550 → one DSN to the sender naming the recipient and the remote reply", () =>
    Effect.gen(function*() {
      const { queue, sink } = yield* setup({
        sink: { rcptTo: (to) => (to.startsWith("gone") ? SmtpSink.reply(550, "5.1.1 no such user") : undefined) }
      })
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["gone@dest.test", "gone2@dest.test"]), body: body() })
      const shown = yield* settled(queue, id)
      assert.deepStrictEqual(shown.recipients.map((r) => [r.state, replyOf(r)]), [
        ["failed", "550 5.1.1 no such user"],
        ["failed", "550 5.1.1 no such user"]
      ])
      const [dsn] = yield* sink.awaitMessages(1)
      assert.strictEqual(dsn?.mailFrom, "")
      assert.deepStrictEqual(dsn?.rcptTo, ["sender@origin.test"])
      const text = dsn?.data.toString("latin1") ?? ""
      assert.include(text, "Content-Type: multipart/report; report-type=delivery-status")
      assert.include(text, "Final-Recipient: rfc822; gone@dest.test")
      assert.include(text, "Final-Recipient: rfc822; gone2@dest.test")
      assert.include(text, "Status: 5.1.1")
      assert.include(text, "Diagnostic-Code: smtp; 550 5.1.1 no such user")
      assert.include(text, "Remote-MTA: dns; mx1.dest.test")
      assert.include(text, "Reporting-MTA: dns; cartero.test")
      assert.include(text, "Subject: test", "the original headers are returned")
      yield* Effect.sleep("300 millis")
      assert.strictEqual((yield* dsns(sink)).length, 1, "one DSN per message per batch")
    }).pipe(Effect.scoped))

  it.live("mixed per-recipient results in one transaction: delivered / deferred / failed, DSN for the failed only", () =>
    Effect.gen(function*() {
      const { queue, sink } = yield* setup({
        retry: RetryPolicy.make(["1 hour"], "2 hours", 0),
        sink: {
          rcptTo: (to) =>
            to.startsWith("temp") ? SmtpSink.reply(451, "4.2.1 mailbox busy")
            : to.startsWith("gone") ? SmtpSink.reply(550, "5.1.1 no such user")
            : undefined
        }
      })
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["ok@dest.test", "temp@dest.test", "gone@dest.test"]), body: body() })
      const shown = yield* eventually(queue.show(id).pipe(Effect.map((m) => (m.recipients.every((r) => r.state !== "pending" && r.state !== "inflight") ? m : undefined))))
      assert.deepStrictEqual(shown.recipients.map((r) => r.state), ["delivered", "deferred", "failed"])
      const messages = yield* sink.awaitMessages(2)
      assert.deepStrictEqual(messages.find((m) => m.mailFrom !== "")?.rcptTo, ["ok@dest.test"])
      const dsn = messages.find((m) => m.mailFrom === "")?.data.toString("latin1") ?? ""
      assert.include(dsn, "Final-Recipient: rfc822; gone@dest.test")
      assert.notInclude(dsn, "temp@dest.test")
      assert.notInclude(dsn, "Final-Recipient: rfc822; ok@dest.test")
    }).pipe(Effect.scoped))

  it.live("null MX and NXDOMAIN fail at once (5.1.10, 5.1.2) and bounce", () =>
    Effect.gen(function*() {
      const { queue, sink } = yield* setup({ zones: { "nullmx.test": { MX: [{ priority: 0, exchange: "." }] } } })
      const a = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["x@nullmx.test"]), body: body() })
      const b = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["x@nowhere.test"]), body: body() })
      assert.strictEqual(replyOf((yield* settled(queue, a)).recipients[0]), "550 5.1.10 nullmx.test does not accept mail (null MX)")
      assert.strictEqual(replyOf((yield* settled(queue, b)).recipients[0]), "550 5.1.2 nowhere.test does not exist (NXDOMAIN)")
      const got = yield* sink.awaitMessages(2)
      const texts = got.map((m) => m.data.toString("latin1")).join("\n")
      assert.include(texts, "Status: 5.1.10")
      assert.include(texts, "Status: 5.1.2")
      assert.notInclude(texts, "Remote-MTA", "no remote said anything")
    }).pipe(Effect.scoped))

  it.live("a queued message with more Received: fields than the hop limit is bounced 5.4.6, never sent", () =>
    Effect.gen(function*() {
      const { queue, sink } = yield* setup({ settings: { maxHops: 3 } })
      const received = (n: number) => Array.from({ length: n }, (_, i) => `Received: from hop${i}.test\r\n`).join("")
      const looping = Buffer.concat([Buffer.from(received(4)), Buffer.from(body("looping"))])
      const fine = Buffer.concat([Buffer.from(received(3)), Buffer.from(body("fine"))])
      const a = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: looping })
      const b = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: fine })
      assert.strictEqual(replyOf((yield* settled(queue, a)).recipients[0]), "554 5.4.6 too many hops: 4 Received: fields and the limit is 3; a mail loop?")
      assert.strictEqual((yield* settled(queue, b)).recipients[0]?.state, "delivered")
      const got = yield* sink.awaitMessages(2)
      const texts = got.map((m) => m.data.toString("latin1"))
      assert.isTrue(texts.some((t) => t.includes("Subject: fine") && !t.includes("Delivery-Status")))
      assert.isFalse(texts.some((t) => t.includes("Subject: looping") && !t.includes("Status: 5.4.6")), "the looping message went out only inside its DSN")
    }).pipe(Effect.scoped))

  it.live("a null-sender message that fails produces no bounce", () =>
    Effect.gen(function*() {
      const { queue, sink } = yield* setup({ sink: { rcptTo: () => SmtpSink.reply(550, "5.1.1 no such user") } })
      const id = yield* queue.enqueue({ envelope: envelope(null, ["gone@dest.test"]), body: body() })
      assert.strictEqual((yield* settled(queue, id)).recipients[0]?.state, "failed")
      yield* Effect.sleep("300 millis")
      assert.strictEqual((yield* queue.list()).items.length, 1, "nothing else was queued")
      assert.strictEqual(yield* sink.count, 0)
    }).pipe(Effect.scoped))

  it.live("retry policy gives up → DSN with 5.4.7 and the last temporary reply", () =>
    Effect.gen(function*() {
      const { queue, sink } = yield* setup({
        retry: RetryPolicy.make(["100 millis"], "400 millis", 0),
        sink: { rcptTo: (to) => (to.startsWith("bob") ? SmtpSink.reply(451, "4.2.1 mailbox busy") : undefined) }
      })
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      const shown = yield* settled(queue, id)
      assert.strictEqual(shown.recipients[0]?.state, "failed")
      assert.isAbove(shown.recipients[0]?.attempts ?? 0, 1)
      const [dsn] = yield* sink.awaitMessages(1)
      const text = dsn?.data.toString("latin1") ?? ""
      assert.include(text, "Status: 5.4.7")
      assert.include(text, "Diagnostic-Code: smtp; 451 4.2.1 mailbox busy")
    }).pipe(Effect.scoped))
})

describe("DeliveryWorker.layerConfig", () => {
  it.live("wires config, client, router and pipeline from the environment", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDns.make(zones)
      const sink = yield* SmtpSink.make()
      const env = { CARTERO_HOSTNAME: "wired.test", CARTERO_OUTBOUND_PORT: String(sink.port), CARTERO_OUTBOUND_TLS: "none", CARTERO_DELIVERY_WORKERS: "1" }
      const layer = DeliveryWorker.layerConfig(OutboundPipeline.layerEmpty).pipe(
        Layer.provideMerge(Layer.mergeAll(MailQueue.MailQueue.layerStoreMemory(), Dns.Dns.layer({ nameservers: [fake.nameserver] }))),
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
      )
      const context = yield* Layer.build(layer)
      const queue = Context.get(context, MailQueue.MailQueue)
      yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      const [m] = yield* sink.awaitMessages(1)
      assert.strictEqual(m?.helo, "wired.test")
    }).pipe(Effect.scoped))

  it.live("CARTERO_DELIVERY_WORKERS=0: a receive-only process claims nothing, and stops cleanly", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDns.make(zones)
      const sink = yield* SmtpSink.make()
      const env = { CARTERO_HOSTNAME: "wired.test", CARTERO_OUTBOUND_PORT: String(sink.port), CARTERO_OUTBOUND_TLS: "none", CARTERO_DELIVERY_WORKERS: "0" }
      const layer = DeliveryWorker.layerConfig(OutboundPipeline.layerEmpty).pipe(
        Layer.provideMerge(Layer.mergeAll(MailQueue.MailQueue.layerStoreMemory(), Dns.Dns.layer({ nameservers: [fake.nameserver] }))),
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
      )
      const queue = yield* Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(layer)
        const queue = Context.get(context, MailQueue.MailQueue)
        const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
        yield* Effect.sleep("500 millis")
        assert.strictEqual((yield* queue.show(id)).recipients[0]?.state, "pending")
        return queue
      }))
      assert.strictEqual(yield* sink.count, 0)
      // The queue still holds the message for whichever process delivers.
      assert.strictEqual((yield* queue.list()).items.length, 1)
    }).pipe(Effect.scoped))
})
