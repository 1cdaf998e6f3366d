import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { MailQueue } from "@cartero/queue"
import { ChildProcess, Fixtures } from "@cartero/queue/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { RedisQueueStore } from "../src/index.ts"
import { deleteKeys, redisUrl, uniquePrefix } from "./helpers.ts"

const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url))
const claimer = fileURLToPath(new URL("./fixtures/claimer.ts", import.meta.url))

const queueOn = (url: string, prefix: string) =>
  MailQueue.MailQueue.layer.pipe(Layer.provide(RedisQueueStore.layer({ url, prefix, commandTimeoutMillis: 1000 })))

describe("RedisQueueStore faults", () => {
  it.live("a worker killed with SIGKILL between claim and complete: its recipients come back after the lease", () => {
    const prefix = uniquePrefix()
    return Effect.gen(function*() {
      const q = yield* MailQueue.MailQueue
      for (let i = 0; i < 5; i++) yield* q.enqueue({ envelope: Fixtures.envelope("a@a.test", `u${i}@b.test`, `v${i}@c.test`), body: Fixtures.bytes(`m${i}`) })
      const { child, line } = yield* ChildProcess.spawnUntil(tsx, claimer, [redisUrl, prefix, "1500"], "CLAIMED")
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

  const hasRedisServer = spawnSync("redis-server", ["--version"]).status === 0

  it.live.skipIf(!hasRedisServer)("Redis restarted while accepting: enqueue fails with QueueUnavailable, then works again", () => {
    const dir = mkdtempSync(join(tmpdir(), "cartero-redis-"))
    const pidfile = join(dir, "redis.pid")
    const freePort = Effect.promise(() =>
      new Promise<number>((resolve) => {
        const s = createServer().listen(0, "127.0.0.1", () => {
          const address = s.address()
          const port = typeof address === "object" && address !== null ? address.port : 0
          s.close(() => resolve(port))
        })
      }))
    const start = (port: number) =>
      Effect.sync(() =>
        execFileSync("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes", "--pidfile", pidfile, "--dir", dir])
      ).pipe(Effect.andThen(waitFor(() => existsSync(pidfile))))
    const stop = Effect.sync(() => {
      if (!existsSync(pidfile)) return
      const pid = Number(readFileSync(pidfile, "utf8").trim())
      try {
        process.kill(pid, "SIGTERM")
      } catch {
        // already gone
      }
    }).pipe(Effect.andThen(waitFor(() => !existsSync(pidfile))))
    return Effect.gen(function*() {
      const port = yield* freePort
      yield* start(port)
      const url = `redis://127.0.0.1:${port}`
      yield* Effect.gen(function*() {
        const q = yield* MailQueue.MailQueue
        const send = q.enqueue({ envelope: Fixtures.envelope("a@a.test", "b@b.test"), body: Fixtures.bytes("x") })
        yield* send
        yield* stop
        const failure = yield* Effect.flip(send)
        assert.strictEqual(failure._tag, "QueueUnavailable")
        yield* start(port)
        // ioredis reconnects with back-off; enqueue must work again within a few seconds.
        let ok = false
        for (let i = 0; i < 60 && !ok; i++) {
          ok = (yield* Effect.result(send))._tag === "Success"
          if (!ok) yield* ChildProcess.sleepReal(100)
        }
        assert.isTrue(ok, "enqueue works after Redis is back")
      }).pipe(Effect.provide(queueOn(url, "cartero-outage:")))
    }).pipe(Effect.ensuring(stop), Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true }))))
  }, 30_000)
})

const waitFor = (condition: () => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 100 && !condition(); i++) yield* ChildProcess.sleepReal(50)
  })
