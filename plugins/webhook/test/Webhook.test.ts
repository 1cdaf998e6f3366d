/**
 * The webhook plugin through the real delivery worker and a real queue (memory and SQLite stores), to a real HTTP
 * server on 127.0.0.1 that the test scripts (fail, then succeed; never answer; go away and come back). Retry
 * schedules run on the TestClock: an attempt is "the worker delivers what the queue says is due now".
 */
import { assert, describe, it } from "@effect/vitest"
import { DeliveryConfig, DeliveryWorker, OutboundPipeline, RetryPolicy, Router, SmtpClient } from "@cartero/delivery"
import { Dns } from "@cartero/dns"
import { MailQueue, MemoryQueueStore, type QueueStore } from "@cartero/queue"
import { SqliteQueueStore } from "@cartero/queue-sqlite"
import { Address, Envelope, SmtpReply } from "@cartero/smtp"
import { TestTls } from "@cartero/testing"
import { Clock, ConfigProvider, Context, Effect, Exit, Layer, Redacted, References, Scope } from "effect"
import { TestClock } from "effect/testing"
import * as http from "node:http"
import * as https from "node:https"
import { Payload, Signature, Webhook } from "../src/index.ts"

const stores: ReadonlyArray<{ readonly name: string; readonly layer: () => Layer.Layer<QueueStore.QueueStore, unknown> }> = [
  { name: "memory", layer: () => MemoryQueueStore.MemoryQueueStore.layer({ retainFinishedMillis: 600_000 }) },
  { name: "SQLite", layer: () => SqliteQueueStore.SqliteQueueStore.layerTemp({ retainFinishedMillis: 600_000 }) }
]

const secret = Redacted.make("a test secret of some length")

interface Received {
  readonly headers: http.IncomingHttpHeaders
  readonly body: Buffer
}

/** An HTTP endpoint answering the n-th request (from 0) with `answer(n)`: a status, or `hang` (never answers). */
const endpoint = (
  answer: (n: number) => number | "hang",
  port = 0
): Effect.Effect<{ readonly port: number; readonly received: Array<Received>; readonly stop: Effect.Effect<void> }> =>
  Effect.gen(function*() {
    const received: Array<Received> = []
    const scope = yield* Scope.make()
    const server = yield* Effect.acquireRelease(
      Effect.callback<http.Server>((resume) => {
        const s = http.createServer((req, res) => {
          const chunks: Array<Buffer> = []
          req.on("data", (c: Buffer) => chunks.push(c))
          req.on("end", () => {
            const n = received.length
            received.push({ headers: req.headers, body: Buffer.concat(chunks) })
            const status = answer(n)
            if (status === "hang") return
            res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "stored\n" : `no: attempt ${n}\n`)
          })
        })
        s.listen(port, "127.0.0.1", () => resume(Effect.succeed(s)))
      }),
      (s) => Effect.callback<void>((resume) => {
        s.closeAllConnections()
        s.close(() => resume(Effect.void))
      })
    ).pipe(Scope.provide(scope))
    const bound = server.address()
    return {
      port: typeof bound === "object" && bound !== null ? bound.port : 0,
      received,
      stop: Scope.close(scope, Exit.void)
    }
  })

/** The worker without its fibers (each attempt is driven by the test), the webhook plugin for `hooks.test`. */
const setup = Effect.fnUntraced(function*(store: Layer.Layer<QueueStore.QueueStore, unknown>, options: Omit<Webhook.Options, "domains" | "secret">) {
  const shared = Layer.mergeAll(
    MailQueue.MailQueue.layer.pipe(Layer.provideMerge(store)),
    DeliveryConfig.DeliveryConfig.layer({ hostname: "mx.local.test", retry: RetryPolicy.make(["1 minute"], "1 day", 0) })
  )
  const base = Layer.mergeAll(
    SmtpClient.SmtpClient.layer(),
    Dns.Dns.layerTest({}),
    OutboundPipeline.OutboundPipeline.layer([Webhook.plugin({ ...options, secret, domains: ["hooks.test"] })]),
    Layer.succeed(References.MinimumLogLevel, "Error")
  ).pipe(Layer.provideMerge(shared))
  const context = yield* Layer.build(DeliveryWorker.DeliveryWorker.layerNoWorkers.pipe(Layer.provideMerge(Router.Router.layer), Layer.provideMerge(base)))
  const queue = Context.get(context, MailQueue.MailQueue)
  const worker = Context.get(context, DeliveryWorker.DeliveryWorker)
  const round = Effect.gen(function*() {
    const claims = yield* queue.claim({ limit: 16 })
    yield* Effect.forEach(claims, (claim) => worker.deliver(claim))
    return claims.map((c) => c.domain)
  })
  const state = (id: string) =>
    Effect.map(queue.show(id), (m) => m.recipients.map((r) => `${r.state} ${r.lastReply === undefined ? "" : SmtpReply.toString(r.lastReply)}`))
  return { queue, round, state }
})

const addr = (s: string) => {
  const [local = "", domain = ""] = s.split("@")
  return Address.make(local, domain)
}
const envelope = (recipients: ReadonlyArray<string>) =>
  Envelope.make(addr("sender@origin.test"), recipients.map((r) => ({ address: addr(r) })), { smtpUtf8: false })
const body = Buffer.from("From: <sender@origin.test>\r\nTo: <orders@hooks.test>\r\nSubject: order\r\n\r\nOne box, please.\r\n.\r\n")

const url = (port: number) => new URL(`http://127.0.0.1:${port}/inbound/mail?token=xyz`)
const nowSeconds = Effect.map(Clock.currentTimeMillis, (m) => Math.floor(m / 1000))

for (const store of stores) {
  describe(`webhook delivery (${store.name} store)`, () => {
    it.effect("503, then 200: deferred, then delivered exactly once; both POSTs signed, with the same delivery id", () =>
      Effect.gen(function*() {
        const hook = yield* endpoint((n) => (n === 0 ? 503 : 200))
        const { queue, round, state } = yield* setup(store.layer(), { url: url(hook.port) })
        const id = yield* queue.enqueue({ envelope: envelope(["orders@hooks.test", "sales@hooks.test"]), body })

        yield* round
        const where = `http://127.0.0.1:${hook.port}/inbound/mail`
        assert.deepStrictEqual(yield* state(id), [
          `deferred 451 4.3.0 webhook ${where} answered HTTP 503 Service Unavailable: no: attempt 0`,
          `deferred 451 4.3.0 webhook ${where} answered HTTP 503 Service Unavailable: no: attempt 0`
        ])
        yield* TestClock.adjust("59 seconds")
        assert.deepStrictEqual(yield* round, [], "not due before its retry time")
        yield* TestClock.adjust("1 second")
        yield* round
        assert.deepStrictEqual(yield* state(id), [
          `delivered 250 2.0.0 webhook ${where} accepted the message: HTTP 200 OK: stored`,
          `delivered 250 2.0.0 webhook ${where} accepted the message: HTTP 200 OK: stored`
        ])
        yield* TestClock.adjust("1 hour")
        assert.deepStrictEqual(yield* round, [])
        assert.strictEqual(hook.received.length, 2, "one failed POST, one accepted, nothing after")

        const [first, second] = hook.received
        assert.strictEqual(first?.headers["webhook-id"], second?.headers["webhook-id"], "a retry carries the same delivery id")
        // Each attempt is signed when it is made: at 0 s and at 60 s on the TestClock.
        assert.deepStrictEqual(hook.received.map((r) => r.headers["webhook-timestamp"]), ["0", "60"])
        for (const [i, request] of hook.received.entries()) {
          assert.isUndefined(Signature.verify(secret, { headers: request.headers, body: request.body }, i * 60 + 5, 300))
          const json = JSON.parse(request.body.toString()) as Payload.Metadata & { readonly message: string }
          assert.strictEqual(json.id, request.headers["webhook-id"])
          assert.strictEqual(json.queueId, id)
          assert.strictEqual(json.mailFrom, "sender@origin.test")
          assert.deepStrictEqual(json.recipients, ["orders@hooks.test", "sales@hooks.test"])
          assert.strictEqual(Buffer.from(json.message, "base64").toString(), body.toString(), "the raw message, unchanged")
          assert.strictEqual(request.headers["content-type"], "application/json")
        }
        // What a receiver's check refuses: another body, an old timestamp, another secret.
        const signed = { headers: second?.headers ?? {}, body: second?.body ?? Buffer.alloc(0) }
        assert.strictEqual(Signature.verify(secret, { ...signed, body: Buffer.from("{}") }, 60), "bad signature")
        assert.strictEqual(Signature.verify(secret, signed, 60 + 301), "timestamp out of tolerance", "a replay 5 minutes later")
        assert.strictEqual(Signature.verify(Redacted.make("another secret of some length"), signed, 60), "bad signature")
      }).pipe(Effect.scoped))

    it.effect("the endpoint is down: deferred (4.4.1), then delivered once when it is back", () =>
      Effect.gen(function*() {
        const gone = yield* endpoint(() => 200)
        yield* gone.stop
        const { queue, round, state } = yield* setup(store.layer(), { url: url(gone.port) })
        const id = yield* queue.enqueue({ envelope: envelope(["orders@hooks.test"]), body })
        yield* round
        assert.deepStrictEqual(yield* state(id), [`deferred 451 4.4.1 webhook http://127.0.0.1:${gone.port}/inbound/mail unreachable: ECONNREFUSED`])

        const back = yield* endpoint(() => 200, gone.port)
        yield* TestClock.adjust("1 minute")
        yield* round
        assert.match((yield* state(id))[0] ?? "", /^delivered 250 2\.0\.0 /)
        yield* TestClock.adjust("1 hour")
        yield* round
        assert.strictEqual(back.received.length, 1, "delivered exactly once")
      }).pipe(Effect.scoped))

    it.effect("a 4xx other than 408 and 429 fails for good, with a DSN to the sender; 408 and 429 defer", () =>
      Effect.gen(function*() {
        const statuses = [400, 408, 429, 410]
        const hook = yield* endpoint((n) => statuses[n] ?? 500)
        const { queue, round, state } = yield* setup(store.layer(), { url: url(hook.port) })
        const ids: Array<string> = []
        for (const _ of statuses) {
          ids.push(yield* queue.enqueue({ envelope: envelope(["orders@hooks.test"]), body }))
          yield* round
        }
        const outcomes = yield* Effect.forEach(ids, (id) => Effect.map(state(id), (s) => (s[0] ?? "").split(" ").slice(0, 3).join(" ")))
        assert.deepStrictEqual(outcomes, ["failed 554 5.3.0", "deferred 451 4.3.0", "deferred 451 4.3.0", "failed 554 5.3.0"])
        const dsns = (yield* queue.list()).items.filter((m) => !ids.includes(m.id))
        assert.strictEqual(dsns.length, 2, "one DSN per failed message")
        const dsn = Buffer.from(yield* queue.bytes(dsns[0]?.id ?? "")).toString()
        assert.match(dsn, /Status: 5\.3\.0/)
        assert.match(dsn, /554 5\.3\.0 webhook http:\/\/127\.0\.0\.1:\d+\/inbound\/mail refused the message: HTTP 4(00|10)/)
        assert.notMatch(dsn, /token=xyz/, "the query (a token) is never shown")
      }).pipe(Effect.scoped))
  })
}

describe("webhook requests", () => {
  it.effect("multipart: a metadata part and the raw message part, signed over the whole body", () =>
    Effect.gen(function*() {
      const hook = yield* endpoint(() => 204)
      const { queue, round, state } = yield* setup(MemoryQueueStore.MemoryQueueStore.layer({ retainFinishedMillis: 600_000 }), { url: url(hook.port), format: "multipart" })
      const id = yield* queue.enqueue({ envelope: envelope(["orders@hooks.test"]), body })
      yield* round
      assert.match((yield* state(id))[0] ?? "", /^delivered 250 2\.0\.0 .*HTTP 204 No Content$/)
      const request = hook.received[0]
      const boundary = /^multipart\/form-data; boundary=(.+)$/.exec(request?.headers["content-type"] ?? "")?.[1]
      assert.isDefined(boundary)
      const text = request?.body.toString("latin1") ?? ""
      assert.include(text, `--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\nContent-Type: application/json\r\n\r\n{"id":"${request?.headers["webhook-id"]}"`)
      assert.include(text, `Content-Disposition: form-data; name="message"; filename="${id}.eml"\r\nContent-Type: message/rfc822\r\n\r\n${body.toString("latin1")}\r\n--${boundary}--\r\n`)
      assert.isUndefined(Signature.verify(secret, { headers: request?.headers ?? {}, body: request?.body ?? Buffer.alloc(0) }, yield* nowSeconds))
    }).pipe(Effect.scoped))

  it.effect("an endpoint that never answers: deferred 4.4.2 after the timeout", () =>
    Effect.gen(function*() {
      const hook = yield* endpoint(() => "hang")
      const { queue, round, state } = yield* setup(MemoryQueueStore.MemoryQueueStore.layer({ retainFinishedMillis: 600_000 }), { url: url(hook.port), timeout: "300 millis" })
      const id = yield* queue.enqueue({ envelope: envelope(["orders@hooks.test"]), body })
      yield* round
      assert.deepStrictEqual(yield* state(id), [`deferred 451 4.4.2 webhook http://127.0.0.1:${hook.port}/inbound/mail: no complete response within 300 ms`])
    }).pipe(Effect.scoped))

  it.effect("https: delivered to an endpoint whose certificate verifies (private CA); deferred when it does not", () =>
    Effect.gen(function*() {
      let posts = 0
      const server = yield* Effect.acquireRelease(
        Effect.callback<https.Server>((resume) => {
          const s = https.createServer({ key: TestTls.key, cert: TestTls.cert }, (req, res) => {
            req.resume()
            req.on("end", () => {
              posts++
              res.writeHead(200).end()
            })
          })
          s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
        }),
        (s) => Effect.callback<void>((resume) => {
          s.closeAllConnections()
          s.close(() => resume(Effect.void))
        })
      )
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      const target = new URL(`https://localhost:${port}/mail`)
      const trusted = yield* setup(MemoryQueueStore.MemoryQueueStore.layer({ retainFinishedMillis: 600_000 }), { url: target, ca: TestTls.cert })
      const one = yield* trusted.queue.enqueue({ envelope: envelope(["orders@hooks.test"]), body })
      yield* trusted.round
      assert.match((yield* trusted.state(one))[0] ?? "", /^delivered 250 2\.0\.0 webhook https:\/\/localhost:\d+\/mail accepted/)
      const untrusted = yield* setup(MemoryQueueStore.MemoryQueueStore.layer({ retainFinishedMillis: 600_000 }), { url: target })
      const two = yield* untrusted.queue.enqueue({ envelope: envelope(["orders@hooks.test"]), body })
      yield* untrusted.round
      assert.match((yield* untrusted.state(two))[0] ?? "", /^deferred 451 4\.4\.1 webhook https:\/\/localhost:\d+\/mail unreachable: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/)
      assert.strictEqual(posts, 1, "nothing is POSTed to an endpoint whose certificate does not verify")
    }).pipe(Effect.scoped))

  it.effect("settings: a short secret or a URL that is not http(s) stops start-up naming the variable", () =>
    Effect.gen(function*() {
      const read = (env: Record<string, string>) =>
        Effect.flip(Webhook.config.parse(ConfigProvider.fromEnv({ env: { CARTERO_LOCAL_DOMAINS: "hooks.test", ...env } })))
      const short = yield* read({ CARTERO_WEBHOOK_URL: "https://hooks.example/mail", CARTERO_WEBHOOK_SECRET: "short" })
      assert.include(short.message, "CARTERO_WEBHOOK_SECRET: expected at least 16 characters")
      assert.notInclude(short.message, "short\"")
      const ftp = yield* read({ CARTERO_WEBHOOK_URL: "ftp://hooks.example/", CARTERO_WEBHOOK_SECRET: "x".repeat(16) })
      assert.include(ftp.message, "CARTERO_WEBHOOK_URL: expected an http: or https: URL")
      const ok = yield* Webhook.config.parse(ConfigProvider.fromEnv({
        env: { CARTERO_LOCAL_DOMAINS: "local.test", CARTERO_WEBHOOK_URL: "https://hooks.example/mail", CARTERO_WEBHOOK_SECRET: "x".repeat(16), CARTERO_WEBHOOK_FORMAT: "multipart" }
      }))
      assert.deepStrictEqual(ok.domains, ["local.test"], "the local domains by default")
      assert.strictEqual(ok.format, "multipart")
    }))
})
