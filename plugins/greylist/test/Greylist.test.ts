import { Pipeline } from "@cartero/core"
import { PolicyStore, PolicyStoreError } from "@cartero/policy-store"
import { TestSession } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { Greylist, Triplet } from "../src/index.ts"
import { acceptAll, pipeline, rcpt, stores } from "./fixtures.ts"

const greylisted = (seconds: number) => `451 4.7.1 Greylisted, please try again in ${seconds} s`

describe("Triplet", () => {
  it("keys by the client's /24 (IPv4) or /64 (IPv6), the sender and the recipient, lower case", () => {
    assert.strictEqual(
      Triplet.key("192.0.2.77", TestSession.address("Alice@Sender.test"), TestSession.address("Bob@Example.test")),
      "192.0.2.0/24/alice@sender.test/bob@example.test"
    )
    assert.strictEqual(Triplet.network("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64")
    assert.strictEqual(Triplet.network("::ffff:192.0.2.77"), "192.0.2.0/24")
    assert.strictEqual(Triplet.key("192.0.2.1", null, TestSession.address("b@x.test")), "192.0.2.0/24/<>/b@x.test")
  })
})

for (const [backend, store] of stores) {
  describe(`Greylist on ${backend}`, () => {
    it.effect("first sight 451 4.7.1; too early still 451 with the time left; after the delay passes and is remembered", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(1_000_000_000_000)
        assert.strictEqual(yield* rcpt("192.0.2.10", "alice@sender.test", "bob@example.test"), greylisted(300))
        yield* TestClock.adjust("4 minutes")
        assert.strictEqual(yield* rcpt("192.0.2.10", "alice@sender.test", "bob@example.test"), greylisted(60))
        // Another address of the same /24 is the same client (farms retry from another host).
        yield* TestClock.adjust("1 minute")
        assert.strictEqual(yield* rcpt("192.0.2.99", "alice@sender.test", "bob@example.test"), "Accept")
        // Another recipient is another triplet.
        assert.strictEqual(yield* rcpt("192.0.2.10", "alice@sender.test", "carol@example.test"), greylisted(300))
        // Remembered: days later, it passes at once.
        yield* TestClock.adjust("20 days")
        assert.strictEqual(yield* rcpt("192.0.2.10", "alice@sender.test", "bob@example.test"), "Accept")
        // Seen again 20 days ago, so remembered 35 days from then, not from the first pass.
        yield* TestClock.adjust("30 days")
        assert.strictEqual(yield* rcpt("192.0.2.10", "alice@sender.test", "bob@example.test"), "Accept")
        // Not seen for longer than the expiry: forgotten.
        yield* TestClock.adjust("36 days")
        assert.strictEqual(yield* rcpt("192.0.2.10", "alice@sender.test", "bob@example.test"), greylisted(300))
      }).pipe(Effect.provide(pipeline({ autoWhitelistClients: 0 }, store()))))

    it.effect("a retry after the retry window starts over", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(1_000_000_000_000)
        assert.strictEqual(yield* rcpt("192.0.2.10", "alice@sender.test", "bob@example.test"), greylisted(600))
        yield* TestClock.adjust("2 hours")
        assert.strictEqual(yield* rcpt("192.0.2.10", "alice@sender.test", "bob@example.test"), greylisted(600))
        yield* TestClock.adjust("10 minutes")
        assert.strictEqual(yield* rcpt("192.0.2.10", "alice@sender.test", "bob@example.test"), "Accept")
      }).pipe(Effect.provide(pipeline({ delay: "10 minutes", retryWindow: "1 hour", autoWhitelistClients: 0 }, store()))))

    it.effect("a client network that passed N times (counted once an hour) is auto-whitelisted", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(1_000_000_000_000)
        for (let i = 0; i < 2; i++) {
          assert.strictEqual(yield* rcpt("198.51.100.7", "news@list.test", `user${i}@example.test`), greylisted(300))
          yield* TestClock.adjust("5 minutes")
          assert.strictEqual(yield* rcpt("198.51.100.7", "news@list.test", `user${i}@example.test`), "Accept")
          // Within the hour, another pass does not count.
          assert.strictEqual(yield* rcpt("198.51.100.7", "news@list.test", `user${i}@example.test`), "Accept")
          yield* TestClock.adjust("1 hour")
          if (i === 0) assert.strictEqual(yield* rcpt("198.51.100.7", "other@list.test", "new@example.test"), greylisted(300))
        }
        assert.strictEqual(yield* rcpt("198.51.100.20", "someone@else.test", "brand-new@example.test"), "Accept")
        // Another network is not whitelisted.
        assert.strictEqual(yield* rcpt("198.51.101.7", "news@list.test", "user0@example.test"), greylisted(300))
      }).pipe(Effect.provide(pipeline({ autoWhitelistClients: 2 }, store()))))
  })
}

describe("Greylist", () => {
  it.effect("never greylists authenticated clients, trusted listeners or trusted networks", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* rcpt("192.0.2.10", "a@b.test", "c@d.test", { user: "alice" }), "Accept")
      assert.strictEqual(yield* rcpt("192.0.2.10", "a@b.test", "c@d.test", { trusted: true }), "Accept")
      assert.strictEqual(yield* rcpt("10.9.8.7", "a@b.test", "c@d.test"), "Accept")
      assert.strictEqual(yield* rcpt("192.0.2.10", "a@b.test", "c@d.test"), greylisted(300))
    }).pipe(Effect.provide(pipeline({ trustedNetworks: ["10.0.0.0/8"] }, PolicyStore.PolicyStore.layerMemory()))))

  it.effect("a failing store lets mail through (logged) rather than answering 451 to everyone", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* rcpt("192.0.2.10", "a@b.test", "c@d.test"), "Accept")
    }).pipe(Effect.provide(Pipeline.Pipeline.layer([Greylist.plugin(), acceptAll]).pipe(Layer.provide(Layer.succeed(
      PolicyStore.PolicyStore,
      PolicyStore.PolicyStore.of({
        backend: "redis",
        counters: () => ({ hit: () => Effect.die("unused") }),
        records: () => {
          const down = Effect.fail(new PolicyStoreError({ backend: "redis", operation: "get", cause: new Error("Connection is closed.") }))
          return { get: () => down, set: () => down, remove: () => down }
        }
      })
    ))))))

  it.effect("bad options fail the build, naming the option", () =>
    Effect.gen(function*() {
      const build = (options: Greylist.Options) =>
        Effect.flip(Layer.build(Pipeline.Pipeline.layer([Greylist.plugin(options)]).pipe(Layer.provide(PolicyStore.PolicyStore.layerMemory()))))
      assert.strictEqual((yield* build({ delay: "1 hour", retryWindow: "30 minutes" })).message, "greylist retryWindow: must be longer than the delay")
      assert.strictEqual((yield* build({ autoWhitelistClients: -1 })).message, "greylist autoWhitelistClients: expected a whole number (0 turns it off)")
      assert.include((yield* build({ trustedNetworks: ["nonsense"] })).message, "nonsense")
    }).pipe(Effect.scoped))
})

describe("Greylist.config", () => {
  const withEnv = (env: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))

  it.effect("reads CARTERO_GREYLIST_* with the defaults of postgrey", () =>
    Effect.gen(function*() {
      const defaults = yield* Greylist.config.pipe(withEnv({}))
      assert.deepStrictEqual([defaults.delayMillis, defaults.retryWindowMillis, defaults.expiryMillis, defaults.autoWhitelistClients], [
        300_000,
        86_400_000,
        35 * 86_400_000,
        5
      ])
      const set = yield* Greylist.config.pipe(withEnv({
        CARTERO_GREYLIST_DELAY: "1m",
        CARTERO_GREYLIST_RETRY_WINDOW: "12h",
        CARTERO_GREYLIST_EXPIRY: "7d",
        CARTERO_GREYLIST_AUTO_WHITELIST_CLIENTS: "0",
        CARTERO_GREYLIST_AUTHENTICATED_SENDERS: "false"
      }))
      assert.deepStrictEqual([set.delayMillis, set.retryWindowMillis, set.expiryMillis, set.autoWhitelistClients, set.authenticatedSenders], [
        60_000,
        43_200_000,
        7 * 86_400_000,
        0,
        false
      ])
    }))

  it.effect("a bad value or combination stops start-up naming the variable", () =>
    Effect.gen(function*() {
      const bad = (env: Record<string, string>) => Effect.map(Effect.flip(Greylist.config.pipe(withEnv(env))), String)
      assert.include(yield* bad({ CARTERO_GREYLIST_DELAY: "soon" }), `CARTERO_GREYLIST_DELAY: expected a duration such as 5m, 24h or 35d, got "soon"`)
      assert.include(yield* bad({ CARTERO_GREYLIST_DELAY: "2d" }), "CARTERO_GREYLIST_RETRY_WINDOW: must be longer than the delay")
    }))

  it.effect("the plugin from the settings greylists with them", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* rcpt("192.0.2.10", "a@b.test", "c@d.test"), greylisted(60))
    }).pipe(
      Effect.provide(Pipeline.Pipeline.layer([Greylist.pluginConfig, acceptAll]).pipe(Layer.provide(PolicyStore.PolicyStore.layerMemory()))),
      withEnv({ CARTERO_GREYLIST_DELAY: "1m" })
    ))
})

