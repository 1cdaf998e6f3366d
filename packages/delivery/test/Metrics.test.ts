/**
 * The delivery metrics (DeliveryMetrics) move with real deliveries: a real SMTP sink on 127.0.0.1, FakeDns (a real
 * dns2 server), the memory queue. Each test has a metric registry of its own.
 */
import { SmtpSink, TestTls } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import * as DeliveryMetrics from "../src/DeliveryMetrics.ts"
import * as SmtpClient from "../src/SmtpClient.ts"
import * as StaticRoutes from "../src/StaticRoutes.ts"
import * as TlsPolicy from "../src/TlsPolicy.ts"
import * as RawServer from "./support/RawServer.ts"
import { clientOptions, envelope as clientEnvelope, message } from "./support/fixtures.ts"
import { body, envelope, eventually, settled, setup } from "./support/worker.ts"

const value = (metric: Metric.Metric<number, unknown>) =>
  Effect.map(Metric.value(metric), (state) => {
    const s = state as { readonly count?: number; readonly value?: number }
    return Number(s.count ?? s.value)
  })

const isolated = <A, E, R>(f: Effect.Effect<A, E, R>) => Effect.provideService(f, Metric.MetricRegistry, new Map())

describe("DeliveryMetrics", () => {
  it.live("attempts and recipients by destination class; the pool's connections opened, reused, open and idle", () =>
    isolated(Effect.gen(function*() {
      const { queue, sink } = yield* setup({
        zones: { "relayed.test": { MX: [{ priority: 10, exchange: "mx1.dest.test" }] }, "relay.test": { A: ["127.0.0.1"] } },
        settings: { tls: "none", staticRoutes: StaticRoutes.make({ domains: { "relayed.test": { host: "relay.test" } } }) }
      })
      // One after the other, so that the second finds the first's connection idle.
      const first = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      yield* settled(queue, first)
      const second = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["carol@dest.test", "dave@dest.test"]), body: body() })
      yield* settled(queue, second)
      const relayed = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["erin@relayed.test"]), body: body() })
      yield* settled(queue, relayed)
      // From the null sender: no DSN to deliver afterwards.
      const nowhere = yield* queue.enqueue({ envelope: envelope(null, ["frank@nowhere.test"]), body: body() })
      yield* settled(queue, nowhere)
      yield* sink.awaitMessages(3)

      const { mx, relay, none, plugin } = DeliveryMetrics.byClass
      assert.deepStrictEqual(
        yield* Effect.all({
          mxAttempts: value(mx.attempts),
          mxDelivered: value(mx.recipients.delivered),
          relayAttempts: value(relay.attempts),
          relayDelivered: value(relay.recipients.delivered),
          // NXDOMAIN: routing bounced, no host tried.
          noneAttempts: value(none.attempts),
          noneBounced: value(none.recipients.bounced),
          pluginAttempts: value(plugin.attempts),
          delivered: value(DeliveryMetrics.delivered),
          bounced: value(DeliveryMetrics.bounced)
        }),
        { mxAttempts: 2, mxDelivered: 3, relayAttempts: 1, relayDelivered: 1, noneAttempts: 1, noneBounced: 1, pluginAttempts: 0, delivered: 4, bounced: 1 }
      )
      // Every connection went to 127.0.0.1 on the sink's port in plaintext: one connection, reused by the other
      // transactions, idle once the queue is done.
      assert.strictEqual(yield* value(DeliveryMetrics.connectionsOpened), 1)
      assert.strictEqual(yield* value(DeliveryMetrics.connectionsReused), 2)
      assert.strictEqual(yield* value(DeliveryMetrics.connectionsOpen), 1)
      yield* eventually(Effect.map(value(DeliveryMetrics.connectionsIdle), (n) => (n === 1 ? n : undefined)))
      assert.strictEqual(yield* value(DeliveryMetrics.tls.disabled), 1)
    }).pipe(Effect.scoped)))

  it.live("outbound TLS: established (unverified), not offered, failed handshake", () =>
    isolated(Effect.gen(function*() {
      const withTls = yield* SmtpSink.make({ starttls: { key: TestTls.key, cert: TestTls.cert } })
      const plain = yield* SmtpSink.make({})
      // Answers STARTTLS with 220, then hangs up instead of a handshake.
      const broken = yield* RawServer.make({ tls: { key: TestTls.key, cert: TestTls.cert }, breakTls: true })
      const client = yield* SmtpClient.make(clientOptions({ tls: TlsPolicy.opportunistic }))
      const send = (port: number) => client.send({ host: "127.0.0.1", port, envelope: clientEnvelope(["a"]), message: message() })
      assert.strictEqual((yield* send(withTls.port)).recipients[0]?._tag, "Delivered")
      assert.strictEqual((yield* send(plain.port)).recipients[0]?._tag, "Delivered")
      // Opportunistic: the failed handshake, then a plaintext connection (policy none: `disabled`) that delivers.
      assert.strictEqual((yield* send(broken.port)).recipients[0]?._tag, "Delivered")
      assert.deepStrictEqual(
        yield* Effect.all({
          verified: value(DeliveryMetrics.tls.verified),
          unverified: value(DeliveryMetrics.tls.unverified),
          notOffered: value(DeliveryMetrics.tls.not_offered),
          failed: value(DeliveryMetrics.tls.failed),
          disabled: value(DeliveryMetrics.tls.disabled)
        }),
        { verified: 0, unverified: 1, notOffered: 1, failed: 1, disabled: 1 }
      )
    }).pipe(Effect.scoped)))
})
