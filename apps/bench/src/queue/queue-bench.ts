/**
 * Queue benchmark: enqueue/s, claim+complete/s and p50/p99 latency for the memory, SQLite and Redis stores, with
 * 4 KiB and 100 KiB bodies, at 1, 10 and 100 concurrent producers (workers for claim+complete).
 *
 *   pnpm bench -- queue            (CARTERO_REDIS_URL, default redis://127.0.0.1:6379)
 *
 * `BENCH_STORES=redis BENCH_BODIES=4096 BENCH_CONC=100` runs one row (stores, body sizes, concurrencies).
 * Redis keys go under a unique prefix and are deleted afterwards; SQLite uses a temporary file (synchronous=FULL).
 * Prints `redis-benchmark -q -t set -d 4096 -n 20000` (on db 9) beside, when redis-benchmark exists.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { MailQueue, MemoryQueueStore } from "@cartero/queue"
import type { QueueStore } from "@cartero/queue"
import { SmtpReply } from "@cartero/smtp"
import { Effect, Layer } from "effect"
import { Purge, RedisQueueStore } from "@cartero/queue-redis"
import { SqliteQueueStore } from "@cartero/queue-sqlite"
import { envelope } from "./envelope.ts"

const redisUrl = process.env["CARTERO_REDIS_URL"] ?? "redis://127.0.0.1:6379"
/** `BENCH_STORES=redis,sqlite` runs only those stores. */
const only = process.env["BENCH_STORES"]?.split(",")
/** `BENCH_BODIES=4096` and `BENCH_CONC=100` run only those rows (for repeated, interleaved runs of one row). */
const bodies = process.env["BENCH_BODIES"]?.split(",").map(Number)
const concs = process.env["BENCH_CONC"]?.split(",").map(Number)
const ok = SmtpReply.make(250, "2.0.0", "ok")

const percentile = (sorted: ReadonlyArray<number>, p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0

interface Row {
  readonly store: string
  readonly body: string
  readonly conc: number
  readonly n: number
  readonly enqPerSec: number
  readonly enqP50: number
  readonly enqP99: number
  readonly ccPerSec: number
  readonly ccP50: number
  readonly ccP99: number
}

const measure = (store: string, layer: Layer.Layer<QueueStore.QueueStore, unknown>, bodySize: number, conc: number, n: number) =>
  Effect.gen(function*() {
    const q = yield* MailQueue.MailQueue
    const body = randomBytes(bodySize)
    const env = envelope("sender@bench.test", "rcpt@dest.test")
    const enqLat: Array<number> = []
    let t0 = performance.now()
    yield* Effect.forEach(Array.from({ length: n }), () =>
      Effect.suspend(() => {
        const s = performance.now()
        return Effect.tap(q.enqueue({ envelope: env, body }), () => Effect.sync(() => enqLat.push(performance.now() - s)))
      }), { concurrency: conc, discard: true })
    const enqSecs = (performance.now() - t0) / 1000
    const ccLat: Array<number> = []
    let done = 0
    t0 = performance.now()
    yield* Effect.forEach(Array.from({ length: conc }), () =>
      Effect.gen(function*() {
        while (done < n) {
          const s = performance.now()
          const claims = yield* q.claim({ limit: 1, leaseMillis: 60_000 })
          if (claims.length === 0) return
          for (const c of claims) {
            yield* q.complete(c, c.recipients.map((r) => ({ _tag: "Delivered" as const, index: r.index, reply: ok })))
            done++
          }
          ccLat.push(performance.now() - s)
        }
      }), { concurrency: conc, discard: true })
    const ccSecs = (performance.now() - t0) / 1000
    enqLat.sort((a, b) => a - b)
    ccLat.sort((a, b) => a - b)
    const row: Row = {
      store,
      body: bodySize >= 1024 ? `${bodySize / 1024} KiB` : `${bodySize} B`,
      conc,
      n,
      enqPerSec: n / enqSecs,
      enqP50: percentile(enqLat, 0.5),
      enqP99: percentile(enqLat, 0.99),
      ccPerSec: done / ccSecs,
      ccP50: percentile(ccLat, 0.5),
      ccP99: percentile(ccLat, 0.99)
    }
    return row
  }).pipe(Effect.provide(MailQueue.MailQueue.layer.pipe(Layer.provide(layer))))

const fmt = (r: Row) =>
  `| ${r.store} | ${r.body} | ${r.conc} | ${r.n} | ${Math.round(r.enqPerSec)} | ${r.enqP50.toFixed(2)} | ${r.enqP99.toFixed(2)} | ${Math.round(r.ccPerSec)} | ${r.ccP50.toFixed(2)} | ${r.ccP99.toFixed(2)} |`

const main = Effect.gen(function*() {
  const prefix = `cartero-bench:${randomBytes(4).toString("hex")}:`
  const stores: ReadonlyArray<readonly [string, Layer.Layer<QueueStore.QueueStore, unknown>, number]> = [
    ["memory", MemoryQueueStore.MemoryQueueStore.layer(), 1],
    ["sqlite", SqliteQueueStore.SqliteQueueStore.layerTemp(), 0.5],
    ["redis", RedisQueueStore.RedisQueueStore.layer({ url: redisUrl, prefix }), 1]
  ]
  console.log("| store | body | concurrency | messages | enqueue/s | enq p50 ms | enq p99 ms | claim+complete/s | cc p50 ms | cc p99 ms |")
  console.log("|---|---|---|---|---|---|---|---|---|---|")
  for (const [bodySize, baseN] of ([[4096, 4000], [102_400, 600]] as const).filter(([b]) => bodies === undefined || bodies.includes(b))) {
    for (const conc of [1, 10, 100].filter((c) => concs === undefined || concs.includes(c))) {
      for (const [name, layer, scale] of stores.filter(([name]) => only === undefined || only.includes(name))) {
        console.log(fmt(yield* measure(name, layer, bodySize, conc, Math.round(baseN * scale))))
      }
    }
  }
  // Clean up every key of this run.
  yield* Effect.promise(() => Purge.prefix(redisUrl, prefix))
  if (spawnSync("redis-benchmark", ["--version"]).status === 0) {
    const u = new URL(redisUrl)
    const out = execFileSync("redis-benchmark", ["-h", u.hostname, "-p", u.port || "6379", "--dbnum", "9", "-q", "-t", "set", "-d", "4096", "-n", "20000"]).toString()
    console.log(`\nredis-benchmark -q -t set -d 4096 -n 20000 (db 9): ${out.trim().split("\r").pop()?.trim() ?? out.trim()}`)
    execFileSync("redis-cli", ["-h", u.hostname, "-p", u.port || "6379", "-n", "9", "DEL", "key:__rand_int__"])
  }
})

Effect.runPromise(main).catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
