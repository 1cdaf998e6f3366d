import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { MailQueue } from "@cartero/queue"
import { Fixtures } from "@cartero/queue/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqliteQueueStore } from "../src/index.ts"

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8)

describe("SqliteQueueStore file permissions", () => {
  for (const existing of [false, true]) {
    it.live(`the database and its WAL files are owner-only (0600)${existing ? ": a 0644 file from an older version is tightened" : ", in a 0700 directory"}`, () => {
      const root = mkdtempSync(join(tmpdir(), "cartero-sqlite-perm-"))
      const dir = join(root, "data")
      const filename = join(dir, "queue.sqlite")
      if (existing) {
        mkdirSync(dir, { mode: 0o755 })
        writeFileSync(filename, "")
        chmodSync(filename, 0o644)
      }
      return Effect.gen(function*() {
        const queue = yield* MailQueue.MailQueue
        yield* queue.enqueue({ envelope: Fixtures.envelope("a@example.test", "b@example.test"), body: Buffer.from("Subject: secret\r\n\r\nbody\r\n") })
        assert.strictEqual(modeOf(filename), "600")
        assert.strictEqual(modeOf(`${filename}-wal`), "600")
        assert.strictEqual(modeOf(`${filename}-shm`), "600")
        // An operator's own directory is left as they made it.
        assert.strictEqual(modeOf(dir), existing ? "755" : "700")
      }).pipe(
        Effect.provide(MailQueue.MailQueue.layer.pipe(Layer.provide(SqliteQueueStore.SqliteQueueStore.layer({ filename })))),
        Effect.ensuring(Effect.sync(() => rmSync(root, { recursive: true, force: true })))
      )
    })
  }
})
