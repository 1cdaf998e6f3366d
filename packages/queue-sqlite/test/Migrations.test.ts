import { MailQueue, QueuedMessage } from "@cartero/queue"
import { Fixtures } from "@cartero/queue/testing"
import { assert, describe, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqliteQueueStore } from "../src/index.ts"

/** The tables of a version-1 database (before `messages.trace_parent`), with one message queued by that version. */
const versionOne = (filename: string): void => {
  const db = new Database(filename)
  db.exec(`
    CREATE TABLE messages (id TEXT PRIMARY KEY, envelope TEXT NOT NULL, sender TEXT NOT NULL, arrived_at INTEGER NOT NULL,
      trace_id TEXT NOT NULL, body_size INTEGER NOT NULL, held INTEGER NOT NULL DEFAULT 0, finished_at INTEGER) WITHOUT ROWID;
    CREATE TABLE recipients (msg_id TEXT NOT NULL, idx INTEGER NOT NULL, domain TEXT NOT NULL, state TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, reply TEXT, lease TEXT, lease_expires INTEGER,
      PRIMARY KEY (msg_id, idx)) WITHOUT ROWID;
    CREATE TABLE bodies (msg_id TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (msg_id, seq)) WITHOUT ROWID;
    PRAGMA user_version = 1;
  `)
  const env = QueuedMessage.encodeEnvelope(Fixtures.envelope("a@a.test", "b@b.test"))
  db.prepare("INSERT INTO messages (id, envelope, sender, arrived_at, trace_id, body_size) VALUES (?, ?, ?, 0, ?, 1)").run("old", env, "<a@a.test>", "trace-old")
  db.prepare("INSERT INTO recipients (msg_id, idx, domain, state, next_at) VALUES ('old', 0, 'b.test', 'pending', 0)").run()
  db.prepare("INSERT INTO bodies (msg_id, seq, data) VALUES ('old', 0, ?)").run(Buffer.from("x"))
  db.close()
}

describe("SqliteQueueStore migrations", () => {
  it.effect("a version-1 queue gains trace_parent; its messages stay readable and claimable, untraced", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "cartero-migrate-"))),
        (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
      )
      const filename = join(dir, "queue.sqlite")
      versionOne(filename)
      const traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
      const claims = yield* Effect.gen(function*() {
        const q = yield* MailQueue.MailQueue
        assert.strictEqual((yield* q.show("old")).traceId, "trace-old")
        yield* q.enqueue({ envelope: Fixtures.envelope("a@a.test", "c@c.test"), body: Fixtures.bytes("y"), traceId: "trace-new", traceParent })
        return yield* q.claim({ leaseMillis: 60_000, limit: 10 })
      }).pipe(Effect.provide(MailQueue.MailQueue.layer.pipe(Layer.provide(SqliteQueueStore.SqliteQueueStore.layer({ filename })))))
      assert.deepStrictEqual(claims.map((c) => [c.traceId, c.traceParent ?? ""]).sort(), [["trace-new", traceParent], ["trace-old", ""]])
      const db = new Database(filename, { readonly: true })
      try {
        assert.strictEqual(db.pragma("user_version", { simple: true }), 2)
      } finally {
        db.close()
      }
    }))
})
