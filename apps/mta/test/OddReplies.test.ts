/**
 * Replies are data, end to end (property): generated replies (any code `000`–`999`, any text, one to four lines,
 * with or without enhanced codes) are sent by a real `SmtpSink` to the real client, at RCPT or after the message,
 * through the delivery worker into each store (memory, SQLite, Redis), read back with `list` and `show`, and
 * rendered by the CLI's views; then the CLI itself lists the SQLite and Redis queues. Nothing throws, nothing is
 * quarantined, and the outcome is the rule: 2yz delivered, 4yz deferred, 5yz failed (bounced), anything else
 * deferred with `451 4.5.0 unexpected reply … <what came back>`. A few dozen runs per store: every run is a real SMTP session.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { randomBytes } from "node:crypto"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DeliveryConfig, DeliveryWorker, OutboundPipeline, RetryPolicy, Router, SmtpClient, Timeouts, TlsPolicy } from "@cartero/delivery"
import { Dns } from "@cartero/dns"
import { MailQueue, MemoryQueueStore } from "@cartero/queue"
import type { QueuedMessage, QueueStore } from "@cartero/queue"
import { Purge, RedisQueueStore } from "@cartero/queue-redis"
import { SqliteQueueStore } from "@cartero/queue-sqlite"
import { Address, Envelope, SmtpReply } from "@cartero/smtp"
import { Arbitraries } from "@cartero/smtp/testing"
import { FakeDns, SmtpSink } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, References, Schedule } from "effect"
import fc from "fast-check"
import * as Views from "../src/cli/Views.ts"
import { cli, type Env, itemsOf, json } from "./support/Cli.ts"

const runsPerStore = 30

const redisUrl = process.env["CARTERO_REDIS_URL"] ?? "redis://127.0.0.1:6379"

interface StoreCase {
  readonly name: string
  /** A fresh store, the environment under which the CLI opens the same one (none for memory), and its clean-up. */
  readonly make: () => { readonly layer: Layer.Layer<QueueStore.QueueStore, unknown>; readonly env: Env | undefined; readonly cleanup: Effect.Effect<void> }
}

const stores: ReadonlyArray<StoreCase> = [
  {
    name: "memory",
    make: () => ({ layer: MemoryQueueStore.MemoryQueueStore.layer({ retainFinishedMillis: 600_000 }), env: undefined, cleanup: Effect.void })
  },
  {
    name: "SQLite",
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), "cartero-odd-"))
      return {
        layer: SqliteQueueStore.SqliteQueueStore.layer({ filename: join(dir, "queue.sqlite"), retainFinishedMillis: 600_000 }),
        env: { CARTERO_DATA_DIR: dir },
        cleanup: Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
      }
    }
  },
  {
    name: "Redis",
    make: () => {
      const prefix = `cartero-test:odd:${randomBytes(6).toString("hex")}:`
      return {
        layer: RedisQueueStore.RedisQueueStore.layer({ url: redisUrl, prefix, retainFinishedMillis: 600_000 }),
        env: { CARTERO_REDIS_URL: redisUrl, CARTERO_QUEUE_PREFIX: prefix },
        cleanup: Effect.promise(() => Purge.prefix(redisUrl, prefix))
      }
    }
  }
]

const zones: FakeDns.Zones = {
  "dest.test": { MX: [{ priority: 10, exchange: "mx1.dest.test" }] },
  "mx1.dest.test": { A: ["127.0.0.1"] },
  "origin.test": { MX: [{ priority: 10, exchange: "mx1.dest.test" }] }
}

/** Every wait of the client bounded well below the test's timeout. */
const timeouts = Object.fromEntries(Object.keys(Timeouts.defaults).map((k) => [k, "2 seconds"]))

/** FakeDns, a sink, the store behind a `MailQueue`, the client and the worker, for the enclosing scope. */
const delivery = (store: Layer.Layer<QueueStore.QueueStore, unknown>) =>
  Effect.gen(function*() {
    const dns = yield* FakeDns.make(zones)
    const sink = yield* SmtpSink.make()
    const shared = Layer.mergeAll(
      MailQueue.MailQueue.layer.pipe(Layer.provideMerge(store)),
      DeliveryConfig.DeliveryConfig.layer({
        hostname: "cartero.test",
        port: sink.port,
        workers: 2,
        shutdownTimeout: Duration.seconds(2),
        // Deferred recipients stay deferred for the whole test.
        retry: RetryPolicy.make(["1 hour"], "5 days", 0)
      })
    )
    const base = Layer.mergeAll(
      SmtpClient.SmtpClient.layer({ heloName: "cartero.test", tls: TlsPolicy.none, timeouts }),
      Dns.Dns.layer({ nameservers: [dns.nameserver], timeout: "500 millis", retry: Schedule.recurs(0), cacheSize: 0 }),
      OutboundPipeline.OutboundPipeline.layerEmpty,
      Layer.succeed(References.MinimumLogLevel, "Error")
    ).pipe(Layer.provideMerge(shared))
    const context = yield* Layer.build(DeliveryWorker.DeliveryWorker.layer.pipe(Layer.provideMerge(Router.Router.layer), Layer.provideMerge(base)))
    return { sink, queue: Context.get(context, MailQueue.MailQueue) }
  })

/** Where the generated reply is given, and the reply, as written on the wire. */
const scenario = fc.record({ stage: fc.constantFrom("RCPT" as const, "message" as const), parts: Arbitraries.replyParts })

/** What the client reads: the lines as UTF-8 (a lone surrogate arrives as U+FFFD). */
const wireOf = (parts: Arbitraries.ReplyParts): Array<string> => Arbitraries.renderLines(parts).map((l) => Buffer.from(l).toString("utf8"))

/** Stands for the sink's port in an expected reply. */
const port = "\u0000"

/** The rule: 2yz delivered, 4yz deferred, 5yz failed, anything else deferred with the reply quoted. */
const expected = (stage: "RCPT" | "message", reply: SmtpReply.SmtpReply) => {
  const cls = SmtpReply.classOf(reply)
  if (cls === 5) return { state: "failed", reply: SmtpReply.toString(reply) }
  if (cls === 4) return { state: "deferred", reply: SmtpReply.toString(reply) }
  if (cls === 2) return { state: "delivered", reply: stage === "message" ? SmtpReply.toString(reply) : undefined }
  const quoted = SmtpReply.toString(reply)
  const to = stage === "RCPT" ? "RCPT TO" : "the end of data"
  return { state: "deferred", reply: `451 4.5.0 unexpected reply from mx1.dest.test[127.0.0.1]:${port} to ${to}: ${quoted.length > 200 ? `${quoted.slice(0, 200)}…` : quoted}` }
}

const settledState = (m: QueuedMessage.QueuedMessage) => {
  const state = m.recipients[0]?.state
  return state === "delivered" || state === "failed" || state === "deferred" ? m : undefined
}

const eventually = <A, E, R>(check: Effect.Effect<A | undefined, E, R>) =>
  check.pipe(
    Effect.flatMap((a) => (a === undefined ? Effect.fail("not yet" as const) : Effect.succeed(a))),
    Effect.retry(Schedule.spaced("10 millis")),
    Effect.timeoutOrElse({ duration: "8 seconds", orElse: () => Effect.die(new Error("the recipient never settled")) })
  )

const controls = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/

for (const store of stores) {
  describe(`odd replies end to end (${store.name} store)`, () => {
    it.live("generated replies: sink → client → worker → store → list/show → CLI views (property)", () => {
      const made = store.make()
      return Effect.gen(function*() {
        const { queue, sink } = yield* delivery(made.layer)
        const context = yield* Effect.context<never>()
        let n = 0
        const run = (stage: "RCPT" | "message", parts: Arbitraries.ReplyParts) =>
          Effect.gen(function*() {
            const wire = wireOf(parts)
            // A reply (not raw bytes) so that the sink takes a 2yz recipient as accepted.
            const response = SmtpSink.reply(parts.code, Arbitraries.lineTexts(parts))
            const rcpt = `u${++n}@dest.test`
            // Only this run's recipient meets the generated reply; bounces to origin.test are accepted.
            yield* sink.setScript({
              rcptTo: (to) => (stage === "RCPT" && to === rcpt ? response : undefined),
              message: (m) => (stage === "message" && m.rcptTo.includes(rcpt) ? response : undefined)
            })
            const envelope = Envelope.make(Address.make("sender", "origin.test"), [{ address: Address.make(`u${n}`, "dest.test") }], { smtpUtf8: false })
            const id = yield* queue.enqueue({ envelope, body: Buffer.from(`Subject: run ${n}\r\n\r\nhello\r\n`) })
            const m = yield* eventually(Effect.map(queue.show(id), settledState))
            const sent = SmtpReply.parse(wire)
            if (sent === undefined) return assert.fail(`the sink's reply did not parse: ${JSON.stringify(wire)}`)
            const want = expected(stage, sent)
            const r = m.recipients[0]
            const got = r?.lastReply === undefined ? "" : SmtpReply.toString(r.lastReply)
            assert.strictEqual(r?.state, want.state, `${JSON.stringify(wire)} at ${stage}: ${got}`)
            if (want.reply !== undefined) {
              const [before, after = ""] = want.reply.split(port)
              assert.isTrue(got.startsWith(before ?? "") && got.endsWith(after), `${JSON.stringify(got)} is not ${JSON.stringify(want.reply)}`)
            }
            assert.isUndefined(m.quarantine)
            // Read back by listing, and rendered by the CLI's views without throwing or leaking control characters.
            const page = yield* queue.list({}, { limit: 1000 })
            const listed = page.items.find((s) => s.id === id)
            assert.isDefined(listed)
            assert.isUndefined(listed?.quarantine)
            for (const text of [Views.listTable(page.items, page.next), Views.messageTable(m)]) {
              for (const line of text.split("\n")) assert.notMatch(line, controls)
            }
            const shownJson = JSON.parse(JSON.stringify(Views.messageJson(m))) as ReturnType<typeof Views.messageJson>
            assert.strictEqual(shownJson.recipients[0]?.state, want.state)
            assert.strictEqual(shownJson.quarantine, null)
            JSON.stringify(Views.listJson(page.items, page.next))
          })
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(scenario, ({ parts, stage }) => Effect.runPromiseWith(context)(run(stage, parts))),
            { numRuns: runsPerStore }
          )
        )
        // The CLI itself opens the same store and lists every message.
        if (made.env !== undefined) {
          const listed = itemsOf(json(yield* cli(made.env, "queue", "list", "--all", "--json")))
          assert.isAtLeast(listed.length, runsPerStore)
          assert.isTrue(listed.every((i) => i["quarantine"] === null))
        }
      }).pipe(Effect.scoped, Effect.ensuring(made.cleanup))
    }, 60_000)
  })
}
