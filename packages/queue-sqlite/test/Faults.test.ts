import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { MailQueue } from "@cartero/queue"
import { CrashScenario } from "@cartero/queue/testing"
import { describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqliteQueueStore } from "../src/index.ts"

const claimer = fileURLToPath(new URL("./fixtures/claimer.ts", import.meta.url))

describe("SqliteQueueStore faults", () => {
  it.live("a worker killed with SIGKILL between claim and complete: its recipients come back after the lease", () => {
    const dir = mkdtempSync(join(tmpdir(), "cartero-sqlite-"))
    const filename = join(dir, "queue.sqlite")
    return CrashScenario.killedBetweenClaimAndComplete(claimer, [filename, "1500"]).pipe(
      Effect.provide(MailQueue.MailQueue.layer.pipe(Layer.provide(SqliteQueueStore.SqliteQueueStore.layer({ filename })))),
      Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
    )
  }, 30_000)
})
