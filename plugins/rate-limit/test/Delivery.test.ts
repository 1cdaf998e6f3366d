/**
 * The outbound limiter under the real delivery worker: a memory queue, the worker with MX routing over FakeDns to
 * an SMTP sink on loopback. The first message to the destination is delivered; the second is deferred without a
 * connection, and the queue holds it until the window has room (not until the retry policy's next step).
 */
import { DeliveryConfig, DeliveryWorker, OutboundPipeline, RetryPolicy, Router, SmtpClient, TlsPolicy } from "@cartero/delivery"
import { Dns } from "@cartero/dns"
import { PolicyStore } from "@cartero/policy-store"
import { MailQueue } from "@cartero/queue"
import { Address, Envelope, SmtpReply } from "@cartero/smtp"
import { FakeDns, SmtpSink } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, References, Schedule } from "effect"
import { OutboundRateLimit } from "../src/index.ts"

const zones: FakeDns.Zones = {
  "dest.test": { MX: [{ priority: 10, exchange: "mx.dest.test" }] },
  "mx.dest.test": { A: ["127.0.0.1"] }
}

const message = (n: number) =>
  ({
    envelope: Envelope.make(Address.make("sender", "origin.test"), [{ address: Address.make(`bob${n}`, "dest.test") }], { smtpUtf8: false }),
    body: Buffer.from(`From: <sender@origin.test>\r\nTo: <bob${n}@dest.test>\r\nSubject: ${n}\r\n\r\nHello.\r\n`)
  }) as const

/** Until `check` gives a value (real time, bounded). */
const eventually = <A, E>(check: Effect.Effect<A | undefined, E>) =>
  check.pipe(
    Effect.flatMap((a) => (a === undefined ? Effect.fail("not yet" as const) : Effect.succeed(a))),
    Effect.retry(Schedule.spaced("25 millis")),
    Effect.timeoutOrElse({ duration: "8 seconds", orElse: () => Effect.die(new Error("condition not reached within 8 s")) })
  )

describe("OutboundRateLimit under the delivery worker", () => {
  it.live("the claim past the rate is not sent, and waits in the queue until the window has room", () =>
    Effect.gen(function*() {
      const dns = yield* FakeDns.make(zones)
      const sink = yield* SmtpSink.make({})
      const shared = Layer.mergeAll(
        MailQueue.MailQueue.layerStoreMemory({ retainFinishedMillis: 600_000 }),
        DeliveryConfig.DeliveryConfig.layer({
          hostname: "cartero.test",
          port: sink.port,
          workers: 1,
          shutdownTimeout: Duration.seconds(2),
          // Without the plugin, a deferred claim would be retried after 200 ms.
          retry: RetryPolicy.make(["200 millis"], "1 day", 0)
        })
      )
      const base = Layer.mergeAll(
        SmtpClient.SmtpClient.layer({ heloName: "client.test", tls: TlsPolicy.none }),
        Dns.Dns.layer({ nameservers: [dns.nameserver], timeout: "500 millis", retry: Schedule.recurs(0), cacheSize: 0 }),
        OutboundPipeline.OutboundPipeline.layer([OutboundRateLimit.plugin({ destinations: { "dest.test": { count: 1, per: "1 hour" } } })]).pipe(
          Layer.provide(PolicyStore.PolicyStore.layerMemory())
        ),
        Layer.succeed(References.MinimumLogLevel, "Warn")
      ).pipe(Layer.provideMerge(shared))
      const context = yield* Layer.build(DeliveryWorker.DeliveryWorker.layer.pipe(Layer.provideMerge(Router.Router.layer), Layer.provideMerge(base)))
      const queue = Context.get(context, MailQueue.MailQueue)

      yield* queue.enqueue(message(1))
      yield* sink.awaitMessages(1)
      const before = Date.now()
      const second = yield* queue.enqueue(message(2))
      const deferred = yield* eventually(queue.show(second).pipe(Effect.map((m) => (m.recipients[0]?.state === "deferred" ? m.recipients[0] : undefined))))
      assert.match(deferred.lastReply === undefined ? "" : SmtpReply.toString(deferred.lastReply), /^451 4\.7\.1 Rate limit for dest\.test \(1 per 1h\), try again in \d+ s$/)
      // Not sent, and held until the window has room again (within two hours), not retried in 200 ms.
      assert.isAbove(deferred.nextAttemptAt, before + 60_000)
      assert.isAtMost(deferred.nextAttemptAt, Date.now() + 7_200_000)
      assert.strictEqual(yield* sink.count, 1)
    }).pipe(Effect.scoped))
})
