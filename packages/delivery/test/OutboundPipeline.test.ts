import { assert, describe, it } from "@effect/vitest"
import { Address, Header, SmtpReply, Verdict } from "@cartero/smtp"
import { SmtpSink } from "@cartero/testing"
import { Effect } from "effect"
import * as OutboundHooks from "../src/OutboundHooks.ts"
import * as OutboundPipeline from "../src/OutboundPipeline.ts"
import { body, envelope, eventually, settled, setup } from "./support/worker.ts"

describe("OutboundPipeline", () => {
  it.live("route relays a domain without DNS; beforeSend headers are prepended in plugin order; delivered observed", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const relay = OutboundHooks.make("relay", Effect.succeed<OutboundHooks.OutboundHooks>({
        route: (ctx) => Effect.succeed(ctx.domain === "internal.test" ? OutboundHooks.relay({ host: "127.0.0.1" }) : Verdict.next)
      }))
      const signer = OutboundHooks.make("signer", Effect.succeed<OutboundHooks.OutboundHooks>({
        beforeSend: (ctx) =>
          Effect.map(ctx.message, (m) => [Header.make("X-Signed", `bytes=${m.length} for ${ctx.domain}`)]),
        delivered: (event) => Effect.sync(() => seen.push(...event.results.map((r) => Address.format(r.recipient.address))))
      }))
      const tagger = OutboundHooks.make("tagger", Effect.succeed<OutboundHooks.OutboundHooks>({
        beforeSend: () => Effect.succeed([Header.make("X-Second", "yes")])
      }))
      const { queue, sink } = yield* setup({ pipeline: OutboundPipeline.OutboundPipeline.layer([relay, signer, tagger]) })
      const msg = body()
      yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@internal.test"]), body: msg })
      const [m] = yield* sink.awaitMessages(1)
      assert.isTrue(m?.data.toString("latin1").startsWith(`X-Signed: bytes=${msg.length} for internal.test\r\nX-Second: yes\r\nFrom: `))
      yield* eventually(Effect.sync(() => (seen.length > 0 ? seen : undefined)))
      assert.deepStrictEqual(seen, ["bob@internal.test"])
    }).pipe(Effect.scoped))

  it.live("a failing beforeSend defers (451 4.3.0) instead of sending unsigned mail", () =>
    Effect.gen(function*() {
      const broken = OutboundHooks.make("broken", Effect.succeed<OutboundHooks.OutboundHooks>({
        beforeSend: () => Effect.fail("no key")
      }))
      const { queue, sink } = yield* setup({ pipeline: OutboundPipeline.OutboundPipeline.layer([broken]) })
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      const shown = yield* eventually(queue.show(id).pipe(Effect.map((m) => (m.recipients[0]?.state === "deferred" ? m : undefined))))
      const reply = shown.recipients[0]?.lastReply
      assert.strictEqual(reply === undefined ? "" : SmtpReply.toString(reply), "451 4.3.0 Temporary local problem (outbound plugin)")
      assert.strictEqual(yield* sink.count, 0)
    }).pipe(Effect.scoped))

  it.live("deferred may set the next attempt; bounced may suppress or redirect", () =>
    Effect.gen(function*() {
      const later = Date.now() + 3_600_000
      const policy = OutboundHooks.make("policy", Effect.succeed<OutboundHooks.OutboundHooks>({
        deferred: () => Effect.succeed(OutboundHooks.retryAt(later)),
        bounced: (event) =>
          Effect.succeed(
            event.envelope.mailFrom?.localPart === "quiet"
              ? OutboundHooks.suppress("no bounces for quiet")
              : OutboundHooks.redirect(Address.make("postmaster", "origin.test"))
          )
      }))
      const { queue, sink } = yield* setup({
        pipeline: OutboundPipeline.OutboundPipeline.layer([policy]),
        sink: {
          rcptTo: (to) =>
            to.startsWith("temp") ? SmtpSink.reply(451, "4.2.1 busy") : to.startsWith("gone") ? SmtpSink.reply(550, "5.1.1 no such user") : undefined
        }
      })
      const t = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["temp@dest.test"]), body: body() })
      const deferred = yield* eventually(queue.show(t).pipe(Effect.map((m) => (m.recipients[0]?.state === "deferred" ? m : undefined))))
      assert.strictEqual(deferred.recipients[0]?.nextAttemptAt, later)

      const q = yield* queue.enqueue({ envelope: envelope("quiet@origin.test", ["gone@dest.test"]), body: body() })
      yield* settled(queue, q)
      const r = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["gone@dest.test"]), body: body() })
      yield* settled(queue, r)
      const [dsn] = yield* sink.awaitMessages(1)
      assert.deepStrictEqual(dsn?.rcptTo, ["postmaster@origin.test"])
      yield* Effect.sleep("300 millis")
      assert.strictEqual(yield* sink.count, 1, "the quiet sender's bounce was suppressed")
    }).pipe(Effect.scoped))
})
