/**
 * Two plugin instances on one Redis (two processes' worth: two connections, two pipelines, one key prefix) share
 * their counters: together they let through exactly the limit.
 */
import { Pipeline, Plugin } from "@cartero/core"
import { PolicyStore } from "@cartero/policy-store"
import { Verdict } from "@cartero/smtp"
import { TestSession } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { Redis } from "ioredis"
import { randomBytes } from "node:crypto"
import { RateLimit } from "../src/index.ts"

const redisUrl = process.env["CARTERO_REDIS_URL"] ?? "redis://127.0.0.1:6379"

const deleteKeys = async (prefix: string) => {
  const r = new Redis(redisUrl)
  try {
    const keys = await r.keys(`${prefix}*`)
    if (keys.length > 0) await r.del(...keys)
    return keys
  } finally {
    await r.quit()
  }
}

const acceptAll = Plugin.make("accept-all", Effect.succeed({ rcptTo: () => Effect.succeed(Verdict.accept()) }))

describe("RateLimit on Redis", () => {
  it.live("two instances (two connections, one prefix) share one budget per client", () => {
    const prefix = `cartero-test:rate-limit:${randomBytes(6).toString("hex")}:`
    const instance = () =>
      Pipeline.Pipeline.layer([RateLimit.plugin({ perClient: { recipients: { count: 6, per: "1 minute" } } }), acceptAll]).pipe(
        Layer.provide(PolicyStore.PolicyStore.layerRedis({ url: redisUrl, prefix }))
      )
    return Effect.gen(function*() {
      const one = Context.get(yield* Layer.build(instance()), Pipeline.Pipeline)
      const two = Context.get(yield* Layer.build(instance()), Pipeline.Pipeline)
      const txn = TestSession.transaction(TestSession.connection({ remoteAddress: "203.0.113.77" }))
      const verdicts = yield* Effect.forEach(
        Array.from({ length: 12 }, (_, i) => i),
        (i) => (i % 2 === 0 ? one : two).rcptTo(txn, TestSession.recipient(`r${i}@example.test`)),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(verdicts.filter((v) => v._tag === "Accept").length, 6)
      assert.strictEqual(verdicts.filter((v) => v._tag === "Defer").length, 6)
      const keys = yield* Effect.promise(() => deleteKeys(prefix))
      assert.deepStrictEqual(keys, [`${prefix}rate-limit:c:rcpt:client:203.0.113.77`])
    }).pipe(Effect.scoped, Effect.ensuring(Effect.promise(() => deleteKeys(prefix))))
  })
})
