import { HttpEndpoint } from "../src/HttpApp.ts"
import { TempDir } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer } from "effect"
import nodemailer from "nodemailer"
import * as MtaApp from "../src/MtaApp.ts"
import { startApp } from "./support/ApiApp.ts"

const tempDir = TempDir.make()


const get = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(url)
    return { status: response.status, text: await response.text() }
  })

/** The value of a Prometheus sample line (`name{labels} value`), 0 when absent. */
const sample = (text: string, series: string): number => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

describe("the reference MTA's HTTP API", () => {
  it.live("is off without CARTERO_HTTP_PORT", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const context = yield* Layer.build(
        MtaApp.MtaApp.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({
          env: { CARTERO_SMTP_PORT: "0", CARTERO_DATA_DIR: dataDir, CARTERO_LOG_LEVEL: "warn" }
        }))))
      )
      assert.isUndefined(Context.get(context, HttpEndpoint).address)
    }).pipe(Effect.scoped))

  it.live("readyz, and the metrics move after an SMTP message: connections, replies, accepted, size, queue depth", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const { base, mx } = yield* startApp({
        CARTERO_SMTP_PORT: "0",
        CARTERO_HTTP_PORT: "0",
        CARTERO_DATA_DIR: dataDir,
        CARTERO_HOSTNAME: "mx.test",
        CARTERO_LOCAL_DOMAINS: "example.test",
        CARTERO_TRUSTED_NETWORKS: "127.0.0.0/8",
        CARTERO_LOG_LEVEL: "warn",
        // Remote mail stays queued: no DNS server answers, so delivery defers it.
        CARTERO_DNS_SERVERS: "127.0.0.1:9",
        CARTERO_DNS_TIMEOUT: "200ms"
      })
      const ready = yield* get(`${base}/readyz`)
      assert.strictEqual(ready.status, 200, ready.text)
      assert.include(ready.text, "\"listeners\"")

      const before = (yield* get(`${base}/metrics`)).text
      const transport = nodemailer.createTransport({ host: mx.host, port: mx.port, secure: false, ignoreTLS: true })
      const info = yield* Effect.promise(() =>
        transport.sendMail({
          envelope: { from: "alice@example.test", to: ["bob@example.test", "carol@remote.test"] },
          raw: "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: metrics\r\n\r\nhello\r\n"
        })
      ).pipe(Effect.ensuring(Effect.sync(() => transport.close())), Effect.timeout("20 seconds"))
      assert.strictEqual(info.accepted.length, 2)

      const after = (yield* get(`${base}/metrics`)).text
      const delta = (series: string) => sample(after, series) - sample(before, series)
      assert.strictEqual(delta("cartero_smtp_connections_total"), 1)
      assert.strictEqual(delta("cartero_smtp_messages_accepted_total"), 1)
      assert.strictEqual(delta("cartero_smtp_message_size_bytes_count"), 1)
      assert.isAtLeast(delta("cartero_smtp_replies_total{class=\"2xx\"}"), 4)
      assert.match(after, /# TYPE cartero_delivery_delivered_total counter/)
      assert.strictEqual(sample(after, "cartero_queue_messages"), 1)
      assert.strictEqual(sample(after, "cartero_queue_up"), 1)

      const listing = yield* get(`${base}/api/queue/messages?recipient=carol@remote.test`)
      assert.strictEqual(listing.status, 200)
      assert.strictEqual((JSON.parse(listing.text) as { items: ReadonlyArray<unknown> }).items.length, 1)
    }).pipe(Effect.scoped))

  it.live("bound beyond loopback without TLS it refuses to start, naming the way out", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const exit = yield* Effect.exit(startApp({
        CARTERO_SMTP_PORT: "0",
        CARTERO_HTTP_PORT: "0",
        CARTERO_HTTP_HOST: "0.0.0.0",
        CARTERO_DATA_DIR: dataDir,
        CARTERO_LOG_LEVEL: "warn"
      }))
      assert.strictEqual(exit._tag, "Failure")
      assert.include(String(exit), "CARTERO_HTTP_PLAINTEXT")
    }).pipe(Effect.scoped))

  it.live("with CARTERO_HTTP_AUTH=required, only /healthz answers without credentials of the users file", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const { base } = yield* startApp({
        CARTERO_SMTP_PORT: "0",
        CARTERO_HTTP_PORT: "0",
        CARTERO_HTTP_AUTH: "required",
        CARTERO_DATA_DIR: dataDir,
        CARTERO_LOG_LEVEL: "warn"
      })
      assert.strictEqual((yield* get(`${base}/healthz`)).status, 200)
      assert.strictEqual((yield* get(`${base}/readyz`)).status, 401)
      assert.strictEqual((yield* get(`${base}/metrics`)).status, 401)
      assert.strictEqual((yield* get(`${base}/api/queue/stats`)).status, 401)
      assert.strictEqual((yield* get(`${base}/api/mailboxes`)).status, 401)
      assert.strictEqual((yield* get(`${base}/api/events`)).status, 401)
    }).pipe(Effect.scoped))

  it.live("a message sent over SMTP to a local user is read back over the API", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const { base, mx } = yield* startApp({
        CARTERO_SMTP_PORT: "0",
        CARTERO_HTTP_PORT: "0",
        CARTERO_DATA_DIR: dataDir,
        CARTERO_HOSTNAME: "mx.test",
        CARTERO_LOCAL_DOMAINS: "example.test",
        CARTERO_LOG_LEVEL: "warn"
      })
      const raw = [
        "From: =?UTF-8?Q?Al=C3=ADce?= <alice@example.org>",
        "To: Bob <bob@example.test>",
        "Subject: =?UTF-8?B?w7xiZXIgdGhlIEFQSQ==?=",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        "Grüße aus dem SMTP.",
        ""
      ].join("\r\n")
      const transport = nodemailer.createTransport({ host: mx.host, port: mx.port, secure: false, ignoreTLS: true })
      const info = yield* Effect.promise(() =>
        transport.sendMail({ envelope: { from: "alice@example.org", to: ["bob@example.test"] }, raw })
      ).pipe(Effect.ensuring(Effect.sync(() => transport.close())), Effect.timeout("20 seconds"))
      assert.deepStrictEqual(info.accepted, ["bob@example.test"])

      const mailboxes = yield* get(`${base}/api/mailboxes`)
      assert.strictEqual(mailboxes.status, 200, mailboxes.text)
      assert.deepStrictEqual(JSON.parse(mailboxes.text), { mailboxes: [{ address: "bob@example.test", messages: 1, unread: 1 }] })
      const page = JSON.parse((yield* get(`${base}/api/mailboxes/bob%40example.test/messages`)).text) as {
        messages: ReadonlyArray<{ id: string; from: string; subject: string; snippet: string }>
        total: number
      }
      assert.strictEqual(page.total, 1)
      const summary = page.messages[0]
      assert.deepInclude(summary, { from: "Alíce <alice@example.org>", subject: "über the API", snippet: "Grüße aus dem SMTP." })
      const view = JSON.parse((yield* get(`${base}/api/mailboxes/bob%40example.test/messages/${summary?.id ?? ""}`)).text) as { text: string; headers: ReadonlyArray<{ name: string }> }
      assert.strictEqual(view.text, "Grüße aus dem SMTP.\n")
      // The stored copy has the server's trace header on top.
      assert.strictEqual(view.headers[0]?.name, "Received")
      const stored = yield* get(`${base}/api/mailboxes/bob%40example.test/messages/${summary?.id ?? ""}/raw`)
      assert.isTrue(stored.text.endsWith(raw), stored.text)
    }).pipe(Effect.scoped))
})
