import { fileURLToPath } from "node:url"
import { MailQueue } from "@cartero/queue"
import { CrashScenario } from "@cartero/queue/testing"
import { describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { RedisQueueStore } from "../src/index.ts"
import { deleteKeys, redisUrl, uniquePrefix } from "./helpers.ts"

const claimer = fileURLToPath(new URL("./fixtures/claimer.ts", import.meta.url))

const queueOn = (url: string, prefix: string) =>
  MailQueue.MailQueue.layer.pipe(Layer.provide(RedisQueueStore.RedisQueueStore.layer({ url, prefix, commandTimeoutMillis: 1000 })))

describe("RedisQueueStore faults", () => {
  it.live("a worker killed with SIGKILL between claim and complete: its recipients come back after the lease", () => {
    const prefix = uniquePrefix()
    return CrashScenario.killedBetweenClaimAndComplete(claimer, [redisUrl, prefix, "1500"]).pipe(
      Effect.provide(queueOn(redisUrl, prefix)),
      Effect.ensuring(Effect.promise(() => deleteKeys(prefix)))
    )
  }, 30_000)
})
