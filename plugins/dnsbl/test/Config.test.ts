import { Pipeline } from "@cartero/core"
import { Dns, MemoryDns } from "@cartero/dns"
import { TestSession } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Exit, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { Dnsbl, type Policy } from "../src/index.ts"
import { acceptAll, quiet, wire } from "./helpers.ts"

const { connection, recipient, transaction } = TestSession

const withEnv = (env: Record<string, string>) => ConfigProvider.layer(ConfigProvider.fromEnv({ env }))

/** An in-memory DNS (no sockets, TestClock-friendly) with one listed client and one listed domain. */
const memory = Dns.Dns.layerTest({
  "2.2.0.192.zen.test": { A: ["127.0.0.2"], TXT: ["listed"] },
  "spam.example.dbl.test": { A: ["127.0.1.2"] }
})

const buildError = (layer: Layer.Layer<Pipeline.Pipeline, unknown>) =>
  Layer.build(layer).pipe(Effect.scoped, Effect.exit, Effect.map((exit) => (Exit.isFailure(exit) ? String(exit) : "built")))

describe("Dnsbl.pluginConfig", () => {
  const pipeline = Pipeline.Pipeline.layer([Dnsbl.pluginConfig, acceptAll])

  it.effect("reads zones, domain zones and settings from CARTERO_DNSBL_*", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.Pipeline
      const listed = connection({ remoteAddress: "192.0.2.2" })
      assert.strictEqual(wire(yield* p.connect(listed)), "451 4.7.1 zen.test lists 192.0.2.2: listed")
      const conn = connection({ remoteAddress: "192.0.2.1" })
      assert.strictEqual(wire(yield* p.connect(conn)), "Continue")
      assert.strictEqual(wire(yield* p.helo(conn, { verb: "EHLO", domain: "spam.example" })), "Continue")
      const txn = transaction(conn, [], { mailFrom: TestSession.address("x@spam.example") })
      assert.strictEqual(wire(yield* p.mailFrom(txn)), "554 5.7.1 dbl.test lists spam.example")
      const submission = connection({ remoteAddress: "192.0.2.2", listener: "submission" })
      assert.strictEqual(wire(yield* p.connect(submission)), "Continue")
      // CARTERO_DNSBL_ALLOW and CARTERO_TRUSTED_NETWORKS are never checked
      assert.strictEqual(wire(yield* p.connect(connection({ remoteAddress: "198.51.100.7" }))), "Continue")
      const trusted = connection({ remoteAddress: "192.0.2.2" })
      const trustedOnly = yield* Layer.build(Pipeline.Pipeline.layer([Dnsbl.pluginConfig, acceptAll]).pipe(Layer.provide(memory), Layer.provide(withEnv({
        CARTERO_DNSBL_ZONES: "zen.test",
        CARTERO_DNSBL_DELAY_REJECT: "false",
        CARTERO_TRUSTED_NETWORKS: "192.0.2.0/24"
      })))).pipe(Effect.map((context) => Context.get(context, Pipeline.Pipeline)))
      assert.strictEqual(wire(yield* trustedOnly.connect(trusted)), "Continue")
    }).pipe(
      Effect.scoped,
      Effect.provide(pipeline),
      Effect.provide(memory),
      Effect.provide(withEnv({
        CARTERO_DNSBL_ZONES: "zen.test=127.0.0.[2..11]:defer, bl2.test",
        CARTERO_DNSBL_DOMAIN_ZONES: "dbl.test=127.0.1.[2..99]",
        CARTERO_DNSBL_DOMAIN_CHECKS: "mailFrom",
        CARTERO_DNSBL_DELAY_REJECT: "no",
        CARTERO_DNSBL_ALLOW: "198.51.100.0/24",
        CARTERO_DNSBL_TIMEOUT: "2s"
      })),
      Effect.provide(quiet)
    ))

  it.effect("a bad value, or no zone at all, fails start-up naming the variable", () =>
    Effect.gen(function*() {
      const errorWith = (env: Record<string, string>) => buildError(pipeline.pipe(Layer.provide(memory), Layer.provide(withEnv(env))))
      assert.include(yield* errorWith({}), "CARTERO_DNSBL_ZONES: no zone configured")
      assert.include(yield* errorWith({ CARTERO_DNSBL_ZONES: "zen.test=127.0.0.[9..2]" }), "CARTERO_DNSBL_ZONES: invalid zone")
      assert.include(yield* errorWith({ CARTERO_DNSBL_ZONES: "zen.test", CARTERO_DNSBL_ALLOW: "10.1.2.3/8" }), "CARTERO_DNSBL_ALLOW")
      assert.include(yield* errorWith({ CARTERO_DNSBL_ZONES: "zen.test", CARTERO_DNSBL_THRESHOLD: "0" }), "CARTERO_DNSBL_THRESHOLD: expected an integer 1-1000")
      assert.include(yield* errorWith({ CARTERO_DNSBL_ZONES: "zen.test", CARTERO_DNSBL_ON_TEMPFAIL: "reject" }), "CARTERO_DNSBL_ON_TEMPFAIL: expected pass or defer")
      assert.include(yield* errorWith({ CARTERO_DNSBL_ZONES: "zen.test", CARTERO_DNSBL_DOMAIN_CHECKS: "helo,uri" }), "CARTERO_DNSBL_DOMAIN_CHECKS")
      assert.include(yield* errorWith({ CARTERO_DNSBL_ZONES: "zen.test", CARTERO_DNSBL_LISTENERS: "mx,lmtp" }), "CARTERO_DNSBL_LISTENERS")
    }))
})

describe("Dnsbl.plugin", () => {
  it.effect("an invalid option fails the pipeline layer with the option's name", () =>
    Effect.gen(function*() {
      const errorWith = (options: Policy.Options) => buildError(Pipeline.Pipeline.layer([Dnsbl.plugin(options)]).pipe(Layer.provide(memory)))
      assert.include(yield* errorWith({ zones: ["zen.test=127.0.0.x"] }), "invalid zones")
      assert.include(yield* errorWith({ zones: ["zen.test"], allow: ["not-a-network"] }), "invalid allow")
      assert.include(yield* errorWith({ zones: [] }), "no zone configured")
    }))

  it.effect("all zones together get one time budget; a zone that never answers counts as not listing", () =>
    Effect.gen(function*() {
      const never = Dns.Dns.of({ ...MemoryDns.make({}), a: () => Effect.never })
      const pipeline = yield* Layer.build(
        Pipeline.Pipeline.layer([Dnsbl.plugin({ zones: ["a.test", "b.test", "c.test"], timeout: "3 seconds", onTempFail: "defer" }), acceptAll])
          .pipe(Layer.provide(Layer.succeed(Dns.Dns, never)))
      ).pipe(Effect.map((context) => Context.get(context, Pipeline.Pipeline)))
      const conn = connection({ remoteAddress: "192.0.2.2" })
      yield* pipeline.connect(conn)
      const txn = transaction(conn)
      const fiber = yield* Effect.forkChild(pipeline.rcptTo(txn, recipient("bob@example.test")))
      yield* TestClock.adjust("2999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(wire(yield* Fiber.join(fiber)), "451 4.7.1 Blocklist lookup failed for 192.0.2.2, please try again later")
    }).pipe(Effect.scoped, Effect.provide(quiet)))
})
