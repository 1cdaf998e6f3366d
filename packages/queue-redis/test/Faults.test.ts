import { fileURLToPath } from "node:url"
import { MailQueue } from "@cartero/queue"
import { ChildProcess, Fixtures } from "@cartero/queue/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { RedisQueueStore } from "../src/index.ts"
import { deleteKeys, redisUrl, uniquePrefix } from "./helpers.ts"

const claimer = fileURLToPath(new URL("./fixtures/claimer.ts", import.meta.url))

const queueOn = (url: string, prefix: string) =>
  MailQueue.MailQueue.layer.pipe(Layer.provide(RedisQueueStore.layer({ url, prefix, commandTimeoutMillis: 1000 })))

describe("RedisQueueStore faults", () => {
  it.live("a worker killed with SIGKILL between claim and complete: its recipients come back after the lease", () => {
    const prefix = uniquePrefix()
    return Effect.gen(function*() {
      const q = yield* MailQueue.MailQueue
      for (let i = 0; i < 5; i++) yield* q.enqueue({ envelope: Fixtures.envelope("a@a.test", `u${i}@b.test`, `v${i}@c.test`), body: Fixtures.bytes(`m${i}`) })
      const { child, line } = yield* ChildProcess.spawnUntil(claimer, [redisUrl, prefix, "1500"], "CLAIMED")
      assert.strictEqual(line, "CLAIMED 10")
      yield* ChildProcess.kill9(child)
      assert.strictEqual((yield* q.claim({ limit: 100 })).length, 0)
      assert.strictEqual((yield* q.stats).recipients.inflight, 10)
      yield* ChildProcess.sleepReal(1600)
      const claims = yield* q.claim({ limit: 100 })
      assert.strictEqual(claims.reduce((n, c) => n + c.recipients.length, 0), 10)
      for (const c of claims) yield* q.complete(c, c.recipients.map((r) => ({ _tag: "Delivered" as const, index: r.index, reply: Fixtures.ok })))
      assert.strictEqual((yield* q.stats).messages, 0)
    }).pipe(Effect.provide(queueOn(redisUrl, prefix)), Effect.ensuring(Effect.promise(() => deleteKeys(prefix))))
  }, 30_000)
})
