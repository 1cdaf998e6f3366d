import { Pipeline, Plugin, type Session } from "@cartero/core"
import { PolicyStore, PolicyStoreError } from "@cartero/policy-store"
import { SmtpReply, Verdict } from "@cartero/smtp"
import { TestSession } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { ClientNetwork, Rate, RateLimit } from "../src/index.ts"

// rcptTo is default-deny: a plugin after the limiter accepts what it lets through.
const acceptAll = Plugin.make("accept-all", Effect.succeed({ rcptTo: () => Effect.succeed(Verdict.accept()) }))

const pipelineWith = (options: RateLimit.Options) =>
  Pipeline.Pipeline.layer([RateLimit.plugin(options), acceptAll]).pipe(Layer.provide(PolicyStore.PolicyStore.layerMemory()))

/** The reply of a refusal as sent (`450 4.7.1 …`), or the verdict's tag. */
const text = (v: Verdict.Verdict) => (v._tag === "Continue" || v._tag === "Accept" ? v._tag : SmtpReply.toString(v.reply))
const reply = text

const client = (remoteAddress: string, overrides: Partial<Omit<Session.Connection, "notes">> = {}) =>
  TestSession.connection({ remoteAddress, ...overrides })

describe("ClientNetwork", () => {
  it("IPv4 is one client, IPv6 a /64, IPv4-mapped IPv6 its IPv4 address", () => {
    assert.strictEqual(ClientNetwork.of("203.0.113.5"), "203.0.113.5")
    assert.strictEqual(ClientNetwork.of("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64")
    assert.strictEqual(ClientNetwork.of("2001:db8:1:2::99"), "2001:db8:1:2::/64")
    assert.strictEqual(ClientNetwork.of("::ffff:203.0.113.5"), "203.0.113.5")
    assert.strictEqual(ClientNetwork.of("203.0.113.5", 24), "203.0.113.0/24")
    assert.strictEqual(ClientNetwork.of("not an address"), undefined)
  })
})

describe("Rate", () => {
  it("parses count/duration and refuses the rest", () => {
    assert.deepStrictEqual(Rate.parse("100/1h")?.count, 100)
    assert.strictEqual(Rate.describe(Rate.parse("5/m") ?? { count: 0, per: 0 }), "5 per 1m")
    for (const bad of ["", "100", "0/1h", "10/500ms", "x/1h", "10/1y", "-1/1h"]) assert.isUndefined(Rate.parse(bad), bad)
  })
})

describe("RateLimit", () => {
  it.effect("at MAIL FROM: 450 4.7.1 past the client's messages per window, with the wait; the window slides", () =>
    Effect.gen(function*() {
      const pipeline = yield* Pipeline.Pipeline
      const conn = client("203.0.113.5")
      for (let i = 0; i < 2; i++) assert.strictEqual((yield* pipeline.mailFrom(TestSession.transaction(conn)))._tag, "Continue")
      const refused = yield* pipeline.mailFrom(TestSession.transaction(conn))
      assert.strictEqual(text(refused), "450 4.7.1 Too many messages from 203.0.113.5, try again in 90 s")
      // Another client is not affected; the same /64 of IPv6 is one client.
      assert.strictEqual((yield* pipeline.mailFrom(TestSession.transaction(client("203.0.113.6"))))._tag, "Continue")
      // Both hits were in this bucket: after 90 s they weigh 2 × (1 − 0.5) = 1 in the window ending then.
      yield* TestClock.adjust("89 seconds")
      assert.strictEqual((yield* pipeline.mailFrom(TestSession.transaction(conn)))._tag, "Defer")
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* pipeline.mailFrom(TestSession.transaction(conn)))._tag, "Continue")
    }).pipe(Effect.provide(pipelineWith({ perClient: { messages: { count: 2, per: "1 minute" } } }))))

  it.effect("IPv6 clients are counted per /64", () =>
    Effect.gen(function*() {
      const pipeline = yield* Pipeline.Pipeline
      assert.strictEqual((yield* pipeline.mailFrom(TestSession.transaction(client("2001:db8:0:1::1"))))._tag, "Continue")
      const refused = yield* pipeline.mailFrom(TestSession.transaction(client("2001:db8:0:1::2")))
      assert.match(text(refused), /^450 4\.7\.1 Too many messages from 2001:db8:0:1::\/64, try again in \d+ s$/)
      assert.strictEqual((yield* pipeline.mailFrom(TestSession.transaction(client("2001:db8:0:2::1"))))._tag, "Continue")
    }).pipe(Effect.provide(pipelineWith({ perClient: { messages: { count: 1, per: "1 hour" } } }))))

  it.effect("at connect: 421 4.7.0 past the connection rate (a Disconnect); trusted networks are never limited", () =>
    Effect.gen(function*() {
      const pipeline = yield* Pipeline.Pipeline
      assert.strictEqual((yield* pipeline.connect(client("198.51.100.1")))._tag, "Continue")
      const refused = yield* pipeline.connect(client("198.51.100.1"))
      assert.strictEqual(refused._tag, "Disconnect")
      assert.strictEqual(text(refused), "421 4.7.0 Too many connections from 198.51.100.1, try again in 120 s")
      for (let i = 0; i < 5; i++) assert.strictEqual((yield* pipeline.connect(client("10.1.2.3")))._tag, "Continue")
      for (let i = 0; i < 5; i++) assert.strictEqual((yield* pipeline.connect(client("192.0.2.9", { trusted: true })))._tag, "Continue")
    }).pipe(Effect.provide(pipelineWith({ perClient: { connections: { count: 1, per: "1 minute" } }, trustedNetworks: ["10.0.0.0/8"] }))))

  it.effect("per sender domain (as claimed), across clients; the null sender has no domain", () =>
    Effect.gen(function*() {
      const pipeline = yield* Pipeline.Pipeline
      const from = (ip: string, sender: string) => TestSession.transaction(client(ip), [], { mailFrom: TestSession.address(sender) })
      assert.strictEqual((yield* pipeline.mailFrom(from("192.0.2.1", "a@Bulk.example")))._tag, "Continue")
      assert.strictEqual(text(yield* pipeline.mailFrom(from("192.0.2.2", "b@bulk.example"))), "450 4.7.1 Too many messages from sender domain bulk.example, try again in 3600 s")
      assert.strictEqual((yield* pipeline.mailFrom(TestSession.transaction(client("192.0.2.3"), [], { mailFrom: null })))._tag, "Continue")
    }).pipe(Effect.provide(pipelineWith({ perSenderDomain: { messages: { count: 1, per: "30 minutes" } } }))))

  it.effect("an authenticated client is limited per user, not per address or sender domain", () =>
    Effect.gen(function*() {
      const pipeline = yield* Pipeline.Pipeline
      const alice = client("192.0.2.1", { user: "Alice" })
      for (let i = 0; i < 3; i++) assert.strictEqual((yield* pipeline.rcptTo(TestSession.transaction(alice), TestSession.recipient("x@y.test")))._tag, "Accept")
      assert.strictEqual(
        text(yield* pipeline.rcptTo(TestSession.transaction(client("192.0.2.1", { user: "alice" })), TestSession.recipient("x@y.test"))),
        "450 4.7.1 Too many recipients from user alice, try again in 80 s"
      )
      // Bob on the same address has his own budget.
      assert.strictEqual((yield* pipeline.rcptTo(TestSession.transaction(client("192.0.2.1", { user: "bob" })), TestSession.recipient("x@y.test")))._tag, "Accept")
    }).pipe(Effect.provide(pipelineWith({
      perUser: { recipients: { count: 3, per: "1 minute" } },
      perClient: { recipients: { count: 1, per: "1 minute" } }
    }))))

  it.effect("recipients per message: 452 4.5.3 for the one past the maximum (the client sends the rest later)", () =>
    Effect.gen(function*() {
      const pipeline = yield* Pipeline.Pipeline
      const conn = client("192.0.2.1")
      assert.strictEqual((yield* pipeline.rcptTo(TestSession.transaction(conn, ["a@x.test"]), TestSession.recipient("b@x.test")))._tag, "Accept")
      assert.strictEqual(
        text(yield* pipeline.rcptTo(TestSession.transaction(conn, ["a@x.test", "b@x.test"]), TestSession.recipient("c@x.test"))),
        "452 4.5.3 Too many recipients for one message (at most 2), send the rest in another"
      )
    }).pipe(Effect.provide(pipelineWith({ recipientsPerMessage: 2 }))))

  it.effect("a failing store lets mail through (logged), it does not answer 451", () =>
    Effect.gen(function*() {
      const pipeline = yield* Pipeline.Pipeline
      assert.strictEqual(reply(yield* pipeline.connect(client("192.0.2.1"))), "Continue")
      assert.strictEqual(reply(yield* pipeline.mailFrom(TestSession.transaction(client("192.0.2.1")))), "Continue")
    }).pipe(Effect.provide(Pipeline.Pipeline.layer([RateLimit.plugin({ perClient: { connections: { count: 1, per: "1 minute" }, messages: { count: 1, per: "1 minute" } } })]).pipe(
      Layer.provide(Layer.succeed(PolicyStore.PolicyStore, PolicyStore.PolicyStore.of({
        backend: "redis",
        counters: () => ({ hit: () => Effect.fail(new PolicyStoreError({ backend: "redis", operation: "hit", cause: new Error("Connection is closed.") })) }),
        records: () => ({ get: () => Effect.die("unused"), set: () => Effect.die("unused"), remove: () => Effect.die("unused") })
      })))
    ))))

  it.effect("a malformed trusted network fails the build", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Layer.build(pipelineWith({ trustedNetworks: ["10.1.2.3/8"] })))
      assert.include(error.message, "host bits are set")
    }).pipe(Effect.scoped))
})

describe("RateLimit.config", () => {
  const withEnv = (env: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))

  it.effect("reads every limit from CARTERO_RATE_LIMIT_*", () =>
    Effect.gen(function*() {
      const options = yield* RateLimit.config.pipe(withEnv({
        CARTERO_RATE_LIMIT_CLIENT_CONNECTIONS: "30/1m",
        CARTERO_RATE_LIMIT_USER_RECIPIENTS: "500/1d",
        CARTERO_RATE_LIMIT_RECIPIENTS_PER_MESSAGE: "50",
        CARTERO_TRUSTED_NETWORKS: "10.0.0.0/8"
      }))
      assert.strictEqual(options.perClient?.connections?.count, 30)
      assert.strictEqual(options.perUser?.recipients?.count, 500)
      assert.isUndefined(options.perClient?.messages)
      assert.strictEqual(options.recipientsPerMessage, 50)
      assert.deepStrictEqual(options.trustedNetworks, ["10.0.0.0/8"])
    }))

  it.effect("a bad value stops start-up naming the variable", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(RateLimit.config.pipe(withEnv({ CARTERO_RATE_LIMIT_CLIENT_MESSAGES: "lots" })))
      assert.include(String(error), `CARTERO_RATE_LIMIT_CLIENT_MESSAGES: expected a rate such as 100/1h (count/duration, the window at least 1s), got "lots"`)
    }))

  it.effect("the plugin from the settings limits as configured", () =>
    Effect.gen(function*() {
      const pipeline = yield* Pipeline.Pipeline
      assert.strictEqual((yield* pipeline.mailFrom(TestSession.transaction(client("192.0.2.1"))))._tag, "Continue")
      assert.strictEqual((yield* pipeline.mailFrom(TestSession.transaction(client("192.0.2.1"))))._tag, "Defer")
    }).pipe(Effect.provide(Pipeline.Pipeline.layer([RateLimit.pluginConfig]).pipe(Layer.provide(PolicyStore.PolicyStore.layerMemory()))), withEnv({ CARTERO_RATE_LIMIT_CLIENT_MESSAGES: "1/1h" })))
})
