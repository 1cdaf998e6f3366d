/**
 * The LMTP plugin through the real delivery worker and a real queue (memory and SQLite stores), to a real LMTP
 * server (`@cartero/testing` `LmtpSink`) on a Unix socket in a temp dir and on 127.0.0.1. Retry schedules run on the
 * TestClock: an attempt is "the worker delivers what the queue says is due now".
 */
import { assert, describe, it } from "@effect/vitest"
import { DeliveryConfig, DeliveryWorker, OutboundPipeline, RetryPolicy, Router, SmtpClient } from "@cartero/delivery"
import { Dns } from "@cartero/dns"
import { MailQueue, MemoryQueueStore, type QueueStore } from "@cartero/queue"
import { SqliteQueueStore } from "@cartero/queue-sqlite"
import { Address, Envelope, SmtpReply } from "@cartero/smtp"
import { LmtpSink, TempDir } from "@cartero/testing"
import { Context, Effect, Exit, Layer, References, Scope } from "effect"
import { TestClock } from "effect/testing"
import * as Path from "node:path"
import { Lmtp } from "../src/index.ts"

const stores: ReadonlyArray<{ readonly name: string; readonly layer: () => Layer.Layer<QueueStore.QueueStore, unknown> }> = [
  { name: "memory", layer: () => MemoryQueueStore.MemoryQueueStore.layer({ retainFinishedMillis: 600_000 }) },
  { name: "SQLite", layer: () => SqliteQueueStore.SqliteQueueStore.layerTemp({ retainFinishedMillis: 600_000 }) }
]

/** The worker without its fibers (each attempt is driven by the test), the LMTP plugin for `local.test`. */
const setup = Effect.fnUntraced(function*(store: Layer.Layer<QueueStore.QueueStore, unknown>, address: Lmtp.Address) {
  const shared = Layer.mergeAll(
    MailQueue.MailQueue.layer.pipe(Layer.provideMerge(store)),
    // A retry a minute after each deferral, no jitter; given up after a day.
    DeliveryConfig.DeliveryConfig.layer({ hostname: "mx.local.test", retry: RetryPolicy.make(["1 minute"], "1 day", 0) })
  )
  const base = Layer.mergeAll(
    SmtpClient.SmtpClient.layer(),
    Dns.Dns.layerTest({}),
    OutboundPipeline.OutboundPipeline.layer([Lmtp.plugin({ address, domains: ["local.test"], lhloName: "mx.local.test" })]),
    Layer.succeed(References.MinimumLogLevel, "Error")
  ).pipe(Layer.provideMerge(shared))
  const context = yield* Layer.build(DeliveryWorker.DeliveryWorker.layerNoWorkers.pipe(Layer.provideMerge(Router.Router.layer), Layer.provideMerge(base)))
  const queue = Context.get(context, MailQueue.MailQueue)
  const worker = Context.get(context, DeliveryWorker.DeliveryWorker)
  /** One round: every due claim delivered; the claims' domains. */
  const round = Effect.gen(function*() {
    const claims = yield* queue.claim({ limit: 16 })
    yield* Effect.forEach(claims, (claim) => worker.deliver(claim))
    return claims.map((c) => c.domain)
  })
  return { queue, round }
})

const addr = (s: string) => {
  const [local = "", domain = ""] = s.split("@")
  return Address.make(local, domain)
}
const envelope = (sender: string, recipients: ReadonlyArray<string>) =>
  Envelope.make(addr(sender), recipients.map((r) => ({ address: addr(r) })), { smtpUtf8: false })
const body = Buffer.from("From: <sender@origin.test>\r\nTo: <bob@local.test>\r\nSubject: hi\r\nMessage-ID: <m1@origin.test>\r\n\r\nHello.\r\n.leading dot\r\n")

/** A sink that can be stopped and started again on the same address. */
const restartable = (options: LmtpSink.Options) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const sink = yield* LmtpSink.make(options).pipe(Scope.provide(scope))
    return { sink, stop: Scope.close(scope, Exit.void) }
  })

for (const store of stores) {
  describe(`LMTP delivery (${store.name} store)`, () => {
    it.effect("per-recipient replies after DATA: 250 delivered, 452 deferred alone, 550 bounced alone; the 452 is delivered on retry", () =>
      Effect.gen(function*() {
        const dir = yield* TempDir.make("cartero-lmtp-")
        const path = Path.join(dir, "lmtp")
        let full = true
        const sink = yield* LmtpSink.make({
          listen: { path },
          deliver: (rcpt) =>
            rcpt.startsWith("carol@") && full ? { code: 452, text: "4.2.2 <carol@local.test> mailbox full" }
            : rcpt.startsWith("dave@") ? { code: 550, text: "5.1.1 <dave@local.test> no such user" }
            : undefined
        })
        const { queue, round } = yield* setup(store.layer(), { _tag: "Unix", path })
        const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@local.test", "carol@local.test", "dave@local.test"]), body })

        assert.deepStrictEqual(yield* round, ["local.test"])
        const first = yield* queue.show(id)
        assert.deepStrictEqual(first.recipients.map((r) => [r.recipient === undefined ? "" : Address.format(r.recipient.address), r.state, r.lastReply === undefined ? "" : SmtpReply.toString(r.lastReply)]), [
          ["bob@local.test", "delivered", "250 2.0.0 <bob@local.test> delivered"],
          ["carol@local.test", "deferred", "452 4.2.2 <carol@local.test> mailbox full"],
          ["dave@local.test", "failed", "550 5.1.1 <dave@local.test> no such user"]
        ])
        assert.deepStrictEqual(sink.deliveries().map((d) => d.recipient), ["bob@local.test"])
        const delivered = sink.deliveries()[0]
        assert.strictEqual(delivered?.mailFrom, "sender@origin.test")
        assert.strictEqual(Buffer.from(delivered?.data ?? []).toString(), body.toString(), "dot-stuffed on the wire, whole in the mailbox")
        assert.isTrue(sink.commands().some((c) => c === "LHLO mx.local.test"))

        // One DSN, to the sender, for dave only.
        const dsns = (yield* queue.list()).items.filter((m) => m.id !== id)
        assert.strictEqual(dsns.length, 1)
        const dsn = Buffer.from(yield* queue.bytes(dsns[0]?.id ?? "")).toString()
        assert.match(dsn, /Final-Recipient: rfc822; ?dave@local\.test/)
        assert.match(dsn, /Status: 5\.1\.1/)
        assert.notMatch(dsn, /Final-Recipient: rfc822; ?(bob|carol)@local\.test/)

        // Not due before its retry time; due after it, and then delivered (bob is not sent again).
        full = false
        yield* TestClock.adjust("30 seconds")
        assert.notInclude(yield* round, "local.test", "not due yet")
        yield* TestClock.adjust("31 seconds")
        assert.include(yield* round, "local.test")
        const second = yield* queue.show(id)
        assert.deepStrictEqual(second.recipients.map((r) => r.state), ["delivered", "delivered", "failed"])
        assert.deepStrictEqual(sink.deliveries().map((d) => d.recipient), ["bob@local.test", "carol@local.test"])
      }).pipe(Effect.scoped))

    it.effect("the LMTP server is down (no socket): deferred, then delivered once when it is back", () =>
      Effect.gen(function*() {
        const dir = yield* TempDir.make("cartero-lmtp-")
        const path = Path.join(dir, "lmtp")
        const { queue, round } = yield* setup(store.layer(), { _tag: "Unix", path })
        const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@local.test"]), body })

        yield* round
        const down = (yield* queue.show(id)).recipients[0]
        assert.strictEqual(down?.state, "deferred")
        assert.match(down?.lastReply === undefined ? "" : SmtpReply.toString(down.lastReply), new RegExp(`^451 4\\.4\\.\\d .*${path.replace(/[/.]/g, "\\$&")}`))

        const sink = yield* LmtpSink.make({ listen: { path } })
        yield* TestClock.adjust("1 minute")
        yield* round
        assert.strictEqual((yield* queue.show(id)).recipients[0]?.state, "delivered")
        yield* TestClock.adjust("10 minutes")
        assert.deepStrictEqual(yield* round, [], "nothing left to deliver")
        assert.deepStrictEqual(sink.deliveries().map((d) => d.recipient), ["bob@local.test"], "delivered exactly once")
      }).pipe(Effect.scoped))

    it.effect("over TCP: the server stops between two messages (deferred), restarts on its port, each message delivered once", () =>
      Effect.gen(function*() {
        const first = yield* restartable({})
        const listen = first.sink.listen
        const port = "port" in listen ? listen.port : 0
        const { queue, round } = yield* setup(store.layer(), { _tag: "Tcp", host: "127.0.0.1", port })
        const one = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@local.test"]), body })
        yield* round
        assert.strictEqual((yield* queue.show(one)).recipients[0]?.state, "delivered")

        yield* first.stop
        const two = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@local.test"]), body })
        yield* round
        const down = (yield* queue.show(two)).recipients[0]
        assert.strictEqual(down?.state, "deferred")
        assert.match(down?.lastReply === undefined ? "" : SmtpReply.toString(down.lastReply), new RegExp(`^451 4\\.4\\.1 .*127\\.0\\.0\\.1.*:${port}`))

        const again = yield* LmtpSink.make({ listen: { port } })
        yield* TestClock.adjust("1 minute")
        yield* round
        assert.strictEqual((yield* queue.show(two)).recipients[0]?.state, "delivered")
        assert.strictEqual(first.sink.deliveries().length, 1)
        assert.strictEqual(again.deliveries().length, 1)
      }).pipe(Effect.scoped))
  })
}

describe("Lmtp.parseAddress", () => {
  it("reads sockets, hosts and ports; refuses the rest", () => {
    assert.deepStrictEqual(Lmtp.parseAddress("unix:/run/dovecot/lmtp"), { _tag: "Unix", path: "/run/dovecot/lmtp" })
    assert.deepStrictEqual(Lmtp.parseAddress("/var/spool/postfix/private/dovecot-lmtp"), { _tag: "Unix", path: "/var/spool/postfix/private/dovecot-lmtp" })
    assert.deepStrictEqual(Lmtp.parseAddress("127.0.0.1:24"), { _tag: "Tcp", host: "127.0.0.1", port: 24 })
    assert.deepStrictEqual(Lmtp.parseAddress("imap.internal"), { _tag: "Tcp", host: "imap.internal", port: 24 })
    assert.deepStrictEqual(Lmtp.parseAddress("[::1]:2424"), { _tag: "Tcp", host: "::1", port: 2424 })
    for (const bad of ["", "unix:", "unix:relative", "host:0", "host:70000", "[nothost]:24", "a b:24", "::1"]) {
      assert.isUndefined(Lmtp.parseAddress(bad), bad)
    }
  })
})
