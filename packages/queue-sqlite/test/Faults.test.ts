import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { MailQueue } from "@cartero/queue"
import { ChildProcess, Fixtures } from "@cartero/queue/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqliteQueueStore } from "../src/index.ts"

const claimer = fileURLToPath(new URL("./fixtures/claimer.ts", import.meta.url))

describe("SqliteQueueStore faults", () => {
  it.live("a worker killed with SIGKILL between claim and complete: its recipients come back after the lease", () => {
    const dir = mkdtempSync(join(tmpdir(), "cartero-sqlite-"))
    const filename = join(dir, "queue.sqlite")
    return Effect.gen(function*() {
      const q = yield* MailQueue.MailQueue
      for (let i = 0; i < 5; i++) yield* q.enqueue({ envelope: Fixtures.envelope("a@a.test", `u${i}@b.test`, `v${i}@c.test`), body: Fixtures.bytes(`m${i}`) })
      const { child, line } = yield* ChildProcess.spawnUntil(claimer, [filename, "1500"], "CLAIMED")
      assert.strictEqual(line, "CLAIMED 10")
      yield* ChildProcess.kill9(child)
      assert.strictEqual((yield* q.claim({ limit: 100 })).length, 0)
      assert.strictEqual((yield* q.stats).recipients.inflight, 10)
      yield* ChildProcess.sleepReal(1600)
      const claims = yield* q.claim({ limit: 100 })
      assert.strictEqual(claims.reduce((n, c) => n + c.recipients.length, 0), 10)
      for (const c of claims) yield* q.complete(c, c.recipients.map((r) => ({ _tag: "Delivered" as const, index: r.index, reply: Fixtures.ok })))
      assert.strictEqual((yield* q.stats).messages, 0)
    }).pipe(
      Effect.provide(MailQueue.MailQueue.layer.pipe(Layer.provide(SqliteQueueStore.layer({ filename })))),
      Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
    )
  }, 30_000)
})
