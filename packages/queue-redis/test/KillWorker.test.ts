/**
 * Two worker processes share one Redis queue of 2 000 recipients; one is killed with SIGKILL halfway. Every
 * recipient must reach the sink, and the only duplicates allowed are the documented window: recipients the killed
 * worker had delivered to the sink but not yet completed. The worker tracks exactly those in
 * `<prefix>inflight:<worker>` (added after claim, removed after complete), so each duplicate must be one of them.
 */
import { fileURLToPath } from "node:url"
import { MailQueue } from "@cartero/queue"
import { ChildProcess, Fixtures } from "@cartero/queue/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { RedisQueueStore } from "../src/index.ts"
import { deleteKeys, redisUrl, uniquePrefix } from "./helpers.ts"

const worker = fileURLToPath(new URL("./fixtures/worker.ts", import.meta.url))

const messages = 500
const perMessage = 4 // two domains × two recipients: 1 000 claims, 2 000 recipients
const leaseMillis = 2000

describe("RedisQueueStore: a worker process killed mid-run", () => {
  it.live("delivers every recipient; duplicates only from the killed worker's unfinished claims", () => {
    const prefix = uniquePrefix()
    return Effect.gen(function*() {
      const q = yield* MailQueue.MailQueue
      const expected = new Set<string>()
      yield* Effect.forEach(Array.from({ length: messages }, (_, i) => i), (i) => {
        const to = [`a${i}@one.test`, `b${i}@one.test`, `c${i}@two.test`, `d${i}@two.test`]
        for (const rcpt of to) expected.add(`<${i}.kill@cartero.test> ${rcpt}`)
        const body = Fixtures.bytes(`Message-ID: <${i}.kill@cartero.test>\r\nSubject: ${i}\r\n\r\nbody ${i}\r\n`)
        return q.enqueue({ envelope: Fixtures.envelope("s@src.test", ...to), body })
      }, { concurrency: 20, discard: true })
      assert.strictEqual(expected.size, messages * perMessage)

      const redis = new RedisQueueStore.Redis(redisUrl, { maxRetriesPerRequest: 1 })
      yield* Effect.addFinalizer(() => Effect.promise(() => redis.quit()))
      const delivered = () => Effect.promise(() => redis.hlen(`${prefix}sink`))

      const args = (id: string) => [redisUrl, prefix, id, String(leaseMillis), "8"]
      const [a, b] = yield* Effect.all([
        ChildProcess.spawnScoped(worker, args("A"), "READY"),
        ChildProcess.spawnScoped(worker, args("B"), "READY")
      ], { concurrency: 2 })

      // Kill A halfway (by delivered recipients). Both run until then; polling is bounded by the deadline.
      const deadline = Date.now() + 20_000
      while ((yield* delivered()) < expected.size / 2 && Date.now() < deadline) yield* ChildProcess.sleepReal(10)
      yield* ChildProcess.kill9(a.child)
      const atKill = yield* delivered()
      const unfinished = new Set(yield* Effect.promise(() => redis.smembers(`${prefix}inflight:A`)))
      assert.isAbove(atKill, 0)
      assert.isBelow(atKill, expected.size, "killed before the end")

      // B finishes the rest, including A's claims once their 2 s leases expire.
      while ((yield* q.stats).messages > 0 && Date.now() < deadline) yield* ChildProcess.sleepReal(50)
      yield* ChildProcess.kill9(b.child)
      const stats = yield* q.stats
      assert.strictEqual(stats.messages, 0, "every message completed")

      const sink = yield* Effect.promise(() => redis.hgetall(`${prefix}sink`))
      const by = yield* Effect.promise(() => redis.hgetall(`${prefix}sink:by`))
      const missing = [...expected].filter((k) => sink[k] === undefined)
      const unexpected = Object.keys(sink).filter((k) => !expected.has(k))
      const duplicates = Object.entries(sink).filter(([, n]) => Number(n) > 1)
      assert.deepStrictEqual(missing, [], "every recipient delivered")
      assert.deepStrictEqual(unexpected, [])
      assert.isTrue(duplicates.every(([k, n]) => Number(n) === 2 && unfinished.has(k)), `duplicates outside the window: ${JSON.stringify(duplicates)}`)
      assert.isAtMost(duplicates.length, unfinished.size)
      assert.isAbove(Number(by["A"] ?? 0), 0, "A worked before it was killed")
      assert.isAbove(Number(by["B"] ?? 0), 0)
      // Visible in the test output: how the run went.
      console.log(`kill test: A delivered ${by["A"]}, B ${by["B"]}; killed at ${atKill}/${expected.size}; A held ${unfinished.size} unfinished; duplicates ${duplicates.length}`)
    }).pipe(
      Effect.scoped,
      Effect.provide(MailQueue.MailQueue.layer.pipe(Layer.provide(RedisQueueStore.RedisQueueStore.layer({ url: redisUrl, prefix })))),
      Effect.ensuring(Effect.promise(() => deleteKeys(prefix)))
    )
  }, 40_000)
})
