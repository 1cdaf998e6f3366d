import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { QueueStore } from "@cartero/queue"
import { Tamper } from "@cartero/queue/testing"
import Database from "better-sqlite3"
import { Context, Effect, Layer } from "effect"
import { SqliteQueueStore } from "../src/index.ts"

/**
 * A store on a fresh temporary file and its tamper hook: a second connection to the same file that rewrites stored
 * text behind the store's back (the conformance suite's quarantine cases).
 */
export const tamperableLayer = (): Layer.Layer<QueueStore.QueueStore | Tamper.Tamper, unknown> =>
  Layer.effectContext(Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "cartero-queue-"))),
      (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
    )
    const filename = join(dir, "queue.sqlite")
    const store = yield* SqliteQueueStore.make({ filename })
    const raw = yield* Effect.acquireRelease(Effect.sync(() => new Database(filename)), (db) => Effect.sync(() => db.close()))
    const tamper: Tamper.Service = {
      envelope: (id, text) => Effect.sync(() => void raw.prepare("UPDATE messages SET envelope = ? WHERE id = ?").run(text, id)),
      reply: (id, index, text) => Effect.sync(() => void raw.prepare("UPDATE recipients SET reply = ? WHERE msg_id = ? AND idx = ?").run(text, id, index))
    }
    return Context.make(QueueStore.QueueStore, store).pipe(Context.add(Tamper.Tamper, tamper))
  }))
