/**
 * Enqueue-only load on Redis for profiling (`node --cpu-prof --import tsx apps/bench/src/queue/enqueue-profile.ts`): N messages of
 * 4 KiB at C concurrent producers, after a warm-up. Prints enqueues/s. Keys under a unique prefix, deleted after.
 */
import { randomBytes } from "node:crypto"
import { MailQueue } from "@cartero/queue"
import { Effect, Layer } from "effect"
import { Purge, RedisQueueStore } from "@cartero/queue-redis"
import { envelope } from "./envelope.ts"

const redisUrl = process.env["CARTERO_REDIS_URL"] ?? "redis://127.0.0.1:6379"
const n = Number(process.env["N"] ?? 20_000)
const conc = Number(process.env["C"] ?? 100)
const prefix = `cartero-bench:${randomBytes(4).toString("hex")}:`

const main = Effect.gen(function*() {
  const q = yield* MailQueue.MailQueue
  const body = randomBytes(4096)
  const env = envelope("sender@bench.test", "rcpt@dest.test")
  const run = (count: number) =>
    Effect.forEach(Array.from({ length: count }), () => q.enqueue({ envelope: env, body }), { concurrency: conc, discard: true })
  yield* run(2000)
  const t0 = performance.now()
  yield* run(n)
  console.log(`enqueue/s ${Math.round(n / ((performance.now() - t0) / 1000))}`)
}).pipe(Effect.provide(MailQueue.MailQueue.layer.pipe(Layer.provide(RedisQueueStore.RedisQueueStore.layer({ url: redisUrl, prefix })))))

Effect.runPromise(main).finally(() => Purge.prefix(redisUrl, prefix))
