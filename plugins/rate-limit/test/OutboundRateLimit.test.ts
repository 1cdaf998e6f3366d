import { OutboundPipeline } from "@cartero/delivery"
import { PolicyStore } from "@cartero/policy-store"
import { SmtpReply } from "@cartero/smtp"
import { TestSession } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { OutboundRateLimit } from "../src/index.ts"

const pipelineWith = (options: OutboundRateLimit.Options) =>
  OutboundPipeline.OutboundPipeline.layer([OutboundRateLimit.plugin(options)]).pipe(Layer.provide(PolicyStore.PolicyStore.layerMemory()))

const deferredEvent = (messageId: string, domain: string) => ({
  ...TestSession.claim([`bob@${domain}`], { messageId }),
  results: [],
  attempts: 1,
  // Queued at the start of the tests' clock.
  arrivedAt: 1_080_000_000_000
})

describe("OutboundRateLimit", () => {
  it.effect("defers a claim past the destination's rate, then schedules its retry when the window has room", () =>
    Effect.gen(function*() {
      const pipeline = yield* OutboundPipeline.OutboundPipeline
      // The start of an hour bucket, so that the numbers below are round.
      yield* TestClock.setTime(1_080_000_000_000)
      for (const id of ["m1", "m2"]) {
        assert.strictEqual((yield* pipeline.route(TestSession.claim(["bob@gmail.test"], { messageId: id })))._tag, "Continue")
      }
      const deferred = yield* pipeline.route(TestSession.claim(["carol@gmail.test"], { messageId: "m3" }))
      assert.strictEqual(deferred._tag, "Defer")
      assert.strictEqual(
        deferred._tag === "Defer" ? SmtpReply.toString(deferred.reply) : "",
        "451 4.7.1 Rate limit for gmail.test (2 per 1h), try again in 5400 s"
      )
      // The worker then asks the deferred hooks: the retry is when the window has room, not the back-off's.
      const retry = yield* pipeline.deferred(deferredEvent("m3", "gmail.test"))
      assert.deepStrictEqual(retry._tag === "Accept" ? retry.value : undefined, 1_080_000_000_000 + 5_400_000)
      // Asked once: a later deferral of the same claim for another reason is the retry policy's.
      assert.strictEqual((yield* pipeline.deferred(deferredEvent("m3", "gmail.test")))._tag, "Continue")
      assert.strictEqual((yield* pipeline.deferred(deferredEvent("m1", "gmail.test")))._tag, "Continue")
      // Other domains have their own budget; unlisted ones without perDestination are not limited.
      for (let i = 0; i < 5; i++) assert.strictEqual((yield* pipeline.route(TestSession.claim(["x@other.test"])))._tag, "Continue")
      yield* TestClock.adjust("90 minutes")
      assert.strictEqual((yield* pipeline.route(TestSession.claim(["carol@gmail.test"], { messageId: "m3" })))._tag, "Continue")
    }).pipe(Effect.provide(pipelineWith({ destinations: { "Gmail.test": { count: 2, per: "1 hour" } } }))))

  it.effect("a retry time past the queue's maximum age is left to the retry policy (which gives the message up)", () =>
    Effect.gen(function*() {
      const pipeline = yield* OutboundPipeline.OutboundPipeline
      yield* TestClock.setTime(1_080_000_000_000)
      yield* pipeline.route(TestSession.claim(["a@slow.test"], { messageId: "old" }))
      assert.strictEqual((yield* pipeline.route(TestSession.claim(["a@slow.test"], { messageId: "old" })))._tag, "Defer")
      // Arrived 23 h 50 min ago; the window has room in 1.5 h, past the 1-day maximum age.
      const event = { ...deferredEvent("old", "slow.test"), arrivedAt: 1_080_000_000_000 - 85_800_000 }
      assert.strictEqual((yield* pipeline.deferred(event))._tag, "Continue")
    }).pipe(Effect.provide(pipelineWith({ perDestination: { count: 1, per: "1 hour" }, maxAge: "1 day" }))))

  it.effect("perDestination applies to every domain without its own rate", () =>
    Effect.gen(function*() {
      const pipeline = yield* OutboundPipeline.OutboundPipeline
      assert.strictEqual((yield* pipeline.route(TestSession.claim(["a@one.test"])))._tag, "Continue")
      assert.strictEqual((yield* pipeline.route(TestSession.claim(["a@one.test"])))._tag, "Defer")
      assert.strictEqual((yield* pipeline.route(TestSession.claim(["a@two.test"])))._tag, "Continue")
      assert.strictEqual((yield* pipeline.route(TestSession.claim(["a@big.test"])))._tag, "Continue")
      assert.strictEqual((yield* pipeline.route(TestSession.claim(["a@big.test"])))._tag, "Continue")
    }).pipe(Effect.provide(pipelineWith({ perDestination: { count: 1, per: "1 minute" }, destinations: { "big.test": { count: 100, per: "1 minute" } } }))))

  it.effect("reads CARTERO_RATE_LIMIT_DESTINATION and CARTERO_RATE_LIMIT_DESTINATIONS; a bad list names the variable", () =>
    Effect.gen(function*() {
      const withEnv = (env: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
      const options = yield* OutboundRateLimit.config.pipe(withEnv({
        CARTERO_RATE_LIMIT_DESTINATION: "100/1h",
        CARTERO_RATE_LIMIT_DESTINATIONS: "gmail.com=500/1h, yahoo.com=50/10m"
      }))
      assert.strictEqual(options.perDestination?.count, 100)
      assert.deepStrictEqual(options.maxAge, Duration.days(5))
      assert.deepStrictEqual(Object.keys(options.destinations ?? {}), ["gmail.com", "yahoo.com"])
      const error = yield* Effect.flip(OutboundRateLimit.config.pipe(withEnv({ CARTERO_RATE_LIMIT_DESTINATIONS: "gmail.com:500/1h" })))
      assert.include(String(error), `CARTERO_RATE_LIMIT_DESTINATIONS: expected a list of domain=rate such as gmail.com=500/1h,yahoo.com=100/1h, got "gmail.com:500/1h"`)
    }))
})
