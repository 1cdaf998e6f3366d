import { assert, describe, it } from "@effect/vitest"
import { Dns } from "@cartero/dns"
import { MailQueue } from "@cartero/queue"
import { SmtpReply } from "@cartero/smtp"
import { TestTls } from "@cartero/testing"
import { ConfigProvider, Context, Effect, Layer, Logger, References } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { inspect } from "node:util"
import * as Auth from "../src/Auth.ts"
import * as RetryPolicy from "../src/RetryPolicy.ts"
import type * as DeliveryResult from "../src/DeliveryResult.ts"
import { DeliveryWorker } from "../src/DeliveryWorker.ts"
import * as OutboundHooks from "../src/OutboundHooks.ts"
import * as OutboundPipeline from "../src/OutboundPipeline.ts"
import * as StaticRoutes from "../src/StaticRoutes.ts"
import * as AuthServer from "./support/AuthServer.ts"
import { body, envelope, eventually, settled, setup } from "./support/worker.ts"

/**
 * The whole outbound side from environment variables, with a smarthost: no DNS is asked (nameserver unused).
 * With `logs`, every log line (message and annotations, at Debug) is captured there instead of printed.
 */
const fromEnv = (env: Record<string, string>, logs?: Array<string>) =>
  Effect.gen(function*() {
    const logging = logs === undefined
      ? Layer.succeed(References.MinimumLogLevel, "Warn")
      : Layer.mergeAll(
        Logger.layer([Logger.make<unknown, void>((o) => {
          logs.push(inspect([o.message, o.fiber.getRef(References.CurrentLogAnnotations)], { depth: 8 }))
        })]),
        Layer.succeed(References.MinimumLogLevel, "Debug")
      )
    const layer = DeliveryWorker.layerConfig(OutboundPipeline.OutboundPipeline.layerEmpty).pipe(
      Layer.provideMerge(Layer.mergeAll(
        MailQueue.MailQueue.layerStoreMemory({ retainFinishedMillis: 600_000 }),
        Dns.Dns.layer({ nameservers: ["127.0.0.1:9"] }),
        logging
      )),
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { CARTERO_HOSTNAME: "cartero.test", CARTERO_DELIVERY_WORKERS: "1", CARTERO_RETRY_SCHEDULE: "1h", CARTERO_MAX_QUEUE_AGE: "2h", ...env } })))
    )
    return Context.get(yield* Layer.build(layer), MailQueue.MailQueue)
  })

/** A PEM file of the test relay's certificate, to trust it as an operator trusts a private CA. */
const testCa = (() => {
  const file = join(mkdtempSync(join(tmpdir(), "cartero-ca-")), "relay-ca.pem")
  writeFileSync(file, TestTls.cert)
  return file
})()

const replyOf = (r: { readonly lastReply: SmtpReply.SmtpReply | undefined } | undefined) =>
  r?.lastReply === undefined ? "" : SmtpReply.toString(r.lastReply)

describe("DeliveryWorker: smarthost with credentials", () => {
  it.live("CARTERO_SMARTHOST + _USER + _PASSWORD: STARTTLS, AUTH, delivered through the relay", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.make()
      const queue = yield* fromEnv({
        CARTERO_SMARTHOST: `127.0.0.1:${server.port}`,
        CARTERO_SMARTHOST_USER: "relay",
        CARTERO_SMARTHOST_PASSWORD: "s3cret",
        CARTERO_SMARTHOST_CA: testCa
      })
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test", "carol@elsewhere.test"]), body: body() })
      const shown = yield* settled(queue, id)
      assert.deepStrictEqual(shown.recipients.map((r) => r.state), ["delivered", "delivered"])
      assert.deepStrictEqual(server.messages.map((m) => [m.user, m.secure]), [["relay", true], ["relay", true]], "one transaction per domain")
      assert.deepStrictEqual(server.auths.map((a) => [a.method, a.user, a.ok]), [["PLAIN", "relay", true]], "the second domain reused the session")
    }).pipe(Effect.scoped))

  it.live("a wrong password defers (451 4.7.0, the relay's 535 in the text), no bounce, no password in the queue", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.make()
      const logs: Array<string> = []
      const queue = yield* fromEnv({
        CARTERO_SMARTHOST: `127.0.0.1:${server.port}`,
        CARTERO_SMARTHOST_USER: "relay",
        CARTERO_SMARTHOST_PASSWORD: "not-the-password",
        CARTERO_SMARTHOST_CA: testCa
      }, logs)
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      const shown = yield* eventually(queue.show(id).pipe(Effect.map((m) => (m.recipients[0]?.state === "deferred" ? m : undefined))))
      const reply = replyOf(shown.recipients[0])
      assert.match(reply, /^451 4\.7\.0 authentication with 127\.0\.0\.1:\d+ failed: AUTH PLAIN as "relay" refused: 535 /)
      assert.notInclude(JSON.stringify(shown), "not-the-password")
      const logged = logs.join("\n")
      assert.include(logged, "connect failed", "the failure itself is logged")
      assert.include(logged, "refused: 535")
      assert.notInclude(logged, "not-the-password")
      assert.notInclude(logged, Buffer.from("\u0000relay\u0000not-the-password").toString("base64"))
      assert.strictEqual((yield* queue.list()).items.length, 1, "no DSN queued")
      assert.strictEqual(server.messages.length, 0)
    }).pipe(Effect.scoped))
})

describe("DeliveryWorker: the smarthost password goes to a verified peer only", () => {
  it.live("a relay whose certificate does not verify (a man-in-the-middle): no AUTH sent, deferred 451 4.7.0, nothing delivered", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.make()
      const queue = yield* fromEnv({
        CARTERO_SMARTHOST: `127.0.0.1:${server.port}`,
        CARTERO_SMARTHOST_USER: "relay",
        CARTERO_SMARTHOST_PASSWORD: "s3cret"
      })
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      const shown = yield* eventually(queue.show(id).pipe(Effect.map((m) => (m.recipients[0]?.state === "deferred" ? m : undefined))))
      assert.match(replyOf(shown.recipients[0]), /^451 4\.7\.0 authentication with 127\.0\.0\.1:\d+ failed: AUTH requires a verified certificate/)
      assert.deepStrictEqual(server.auths, [], "the password never left")
      assert.deepStrictEqual(server.messages, [])
    }).pipe(Effect.scoped))

  it.live("CARTERO_SMARTHOST_PASSWORD_TO_UNVERIFIED_PEER=true sends it anyway, and says so at start", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.make()
      const logs: Array<string> = []
      const queue = yield* fromEnv({
        CARTERO_SMARTHOST: `127.0.0.1:${server.port}`,
        CARTERO_SMARTHOST_USER: "relay",
        CARTERO_SMARTHOST_PASSWORD: "s3cret",
        CARTERO_SMARTHOST_PASSWORD_TO_UNVERIFIED_PEER: "true"
      }, logs)
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      assert.strictEqual((yield* settled(queue, id)).recipients[0]?.state, "delivered")
      assert.deepStrictEqual(server.auths.map((a) => [a.user, a.ok]), [["relay", true]])
      assert.include(logs.join("\n"), "CARTERO_SMARTHOST_PASSWORD_TO_UNVERIFIED_PEER is on")
    }).pipe(Effect.scoped))
})

describe("DeliveryWorker: MX name and address", () => {
  it.live("after a routed delivery remote.host is the MX name and remote.address the IP", () =>
    Effect.gen(function*() {
      const remotes: Array<DeliveryResult.Remote | undefined> = []
      const capture = OutboundHooks.make("capture", Effect.succeed<OutboundHooks.OutboundHooks>({
        delivered: (event) => Effect.sync(() => remotes.push(event.remote))
      }))
      const { queue, sink } = yield* setup({ pipeline: OutboundPipeline.OutboundPipeline.layer([capture]) })
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      yield* sink.awaitMessages(1)
      assert.strictEqual((yield* settled(queue, id)).recipients[0]?.state, "delivered")
      const [remote] = yield* eventually(Effect.sync(() => (remotes.length > 0 ? remotes : undefined)))
      assert.deepStrictEqual([remote?.host, remote?.address, remote?.port, remote?.greetingName], ["mx1.dest.test", "127.0.0.1", sink.port, "sink.test"])
    }).pipe(Effect.scoped))

  it.live("a static route with credentials to a named relay: AUTH at the relay, remote.host the relay's name, SNI sent", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.make()
      const remotes: Array<DeliveryResult.Remote | undefined> = []
      const capture = OutboundHooks.make("capture", Effect.succeed<OutboundHooks.OutboundHooks>({
        delivered: (event) => Effect.sync(() => remotes.push(event.remote))
      }))
      const { queue } = yield* setup({
        zones: { "relay.dest.test": { A: ["127.0.0.1"] } },
        pipeline: OutboundPipeline.OutboundPipeline.layer([capture]),
        settings: {
          tls: "opportunistic",
          staticRoutes: StaticRoutes.make({
            domains: {
              "dest.test": {
                host: "relay.dest.test",
                port: server.port,
                // relay.dest.test is not a name on the test certificate: this test is about names, not trust
                auth: Auth.make("relay", "s3cret", { allowUnverifiedPeer: true })
              }
            }
          })
        }
      })
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      assert.strictEqual((yield* settled(queue, id)).recipients[0]?.state, "delivered")
      assert.deepStrictEqual(server.messages.map((m) => [m.user, m.secure]), [["relay", true]])
      const [remote] = yield* eventually(Effect.sync(() => (remotes.length > 0 ? remotes : undefined)))
      assert.deepStrictEqual([remote?.host, remote?.address], ["relay.dest.test", "127.0.0.1"])
      assert.isDefined(remote?.tls)
      assert.deepStrictEqual(server.servernames, ["relay.dest.test"])
    }).pipe(Effect.scoped))

  it.live("a refused MX address: the deferral names the MX and its address", () =>
    Effect.gen(function*() {
      const { queue } = yield* setup({
        retry: RetryPolicy.make(["1 hour"], "2 hours", 0),
        zones: { "dest.test": { MX: [{ priority: 10, exchange: "down.dest.test" }] }, "down.dest.test": { A: ["127.0.0.2"] } }
      })
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      const shown = yield* eventually(queue.show(id).pipe(Effect.map((m) => (m.recipients[0]?.state === "deferred" ? m : undefined))))
      assert.match(replyOf(shown.recipients[0]), /^451 4\.4\.1 connection refused by down\.dest\.test\[127\.0\.0\.2\]:\d+$/)
    }).pipe(Effect.scoped))
})
