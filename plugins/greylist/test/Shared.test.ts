/** Two greylist instances on one Redis (two processes' worth): a triplet greylisted by one passes on the other. */
import { Pipeline } from "@cartero/core"
import { PolicyStore } from "@cartero/policy-store"
import { TestSession } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { randomBytes } from "node:crypto"
import { Greylist } from "../src/index.ts"
import { acceptAll, attempt, deleteKeys, redisUrl, show } from "./fixtures.ts"

describe("Greylist on Redis", () => {
  it.effect("two instances share the triplets", () => {
    const prefix = `cartero-test:greylist:${randomBytes(6).toString("hex")}:`
    const instance = () =>
      Pipeline.Pipeline.layer([Greylist.plugin({ autoWhitelistClients: 0 }), acceptAll]).pipe(
        Layer.provide(PolicyStore.PolicyStore.layerRedis({ url: redisUrl, prefix }))
      )
    return Effect.gen(function*() {
      const one = Context.get(yield* Layer.build(instance()), Pipeline.Pipeline)
      const two = Context.get(yield* Layer.build(instance()), Pipeline.Pipeline)
      const ask = (p: Pipeline.PipelineShape) => Effect.map(p.rcptTo(attempt("192.0.2.10", "a@sender.test"), TestSession.recipient("b@example.test")), show)
      assert.strictEqual(yield* ask(one), "451 4.7.1 Greylisted, please try again in 300 s")
      yield* TestClock.adjust("2 minutes")
      assert.strictEqual(yield* ask(two), "451 4.7.1 Greylisted, please try again in 180 s")
      yield* TestClock.adjust("3 minutes")
      assert.strictEqual(yield* ask(two), "Accept")
      assert.strictEqual(yield* ask(one), "Accept")
      const keys = yield* Effect.promise(() => deleteKeys(prefix))
      assert.deepStrictEqual(keys, [`${prefix}greylist:r:192.0.2.0/24/a@sender.test/b@example.test`])
    }).pipe(Effect.scoped, Effect.ensuring(Effect.promise(() => deleteKeys(prefix))))
  })
})
